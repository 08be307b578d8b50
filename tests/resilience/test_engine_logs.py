"""Through the real engine: `--logflow` with verbose logs works (the language host accepts the glog
flags the engine passes its plugins), and the most verbose logs hold no client secret and no token."""

from __future__ import annotations

import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

from emulator.auth import hash_token
from emulator.testing import DEMO_CLIENTS, EmulatorProcess
from provider.ops.engine import tools_bin
from tests.support.engine import engine_env, make_project, open_stack

pytestmark = [
    pytest.mark.engine,
    pytest.mark.skipif(not (tools_bin() / "pulumi").exists(), reason="the Pulumi CLI is not built"),
]

SECRET = DEMO_CLIENTS["dev-rw"]
FLOW = {
    "name": "Main",
    "type": "INBOUNDCALL",
    "lifecycle_state": "published",
    "blocks": [{"id": "b", "type": "playAudio"}],
}


def test_logflow_with_verbose_logs_works(tmp_path: Path, emulator: EmulatorProcess):
    project = make_project(tmp_path, {"main": FLOW})
    stack = open_stack(project, tmp_path, emulator.url)
    result = stack.up(log_flow=True, log_verbosity=3, log_to_std_err=True, on_output=lambda _: None)
    assert result.summary.result == "succeeded"
    preview = stack.preview(log_flow=True, log_verbosity=3, log_to_std_err=True)
    assert "flag provided but not defined" not in preview.stderr


TOKEN_CANDIDATE = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32), the emulator's tokens


def _issued_token_hashes(emulator: EmulatorProcess) -> set[str]:
    with sqlite3.connect(f"file:{emulator.data_path}?mode=ro", uri=True) as db:
        return {row[0] for row in db.execute("SELECT token_hash FROM tokens")}


def test_verbose_engine_logs_hold_no_secret_and_no_token(tmp_path: Path, emulator: EmulatorProcess):
    """`pulumi up -v=9 --logtostderr --logflow` (a support ticket's logs) on the gc-dev stack: the
    engine logs every property it hands the provider, the stack config included (see
    scripts/engine_patches/redact_secrets.py); neither the client secret nor a token is in anything
    the run wrote: its output, the Pulumi home, the state, the metrics and the audit trail."""
    project = make_project(tmp_path)
    open_stack(project, tmp_path, emulator.url, "gc-dev")
    run = subprocess.run(
        [
            str(tools_bin() / "pulumi"),
            "up",
            "--yes",
            "--stack",
            "gc-dev",
            "-v=9",
            "--logtostderr",
            "--logflow",
        ],
        cwd=project,
        env=engine_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    # The logs are the verbose ones, and the secret went through the engine's logging of Configure.
    assert "Configure().inputs]: genesys-flows:clientSecret={[secret]}" in run.stderr

    written = {"stdout": run.stdout, "stderr": run.stderr}
    for path in tmp_path.rglob("*"):
        if path.is_file() and "flows" not in path.relative_to(tmp_path).parts:
            written[str(path)] = path.read_text(errors="replace")
    tokens = _issued_token_hashes(emulator)
    assert tokens, "the deploy took a token"
    for where, text in written.items():
        assert SECRET not in text, where
        leaked = [c for c in TOKEN_CANDIDATE.findall(text) if hash_token(c) in tokens]
        assert not leaked, where
