"""Through the real Pulumi engine: hostile definition files fail `pulumi preview` with one short,
clear message and no API call; a second checkout's `scripts/up` never deploys into another
checkout's emulator and points its stack at its own."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pulumi import automation as auto

from emulator.testing import EmulatorProcess
from provider.ops.engine import PROJECT_DIR, tools_bin
from tests.resilience.test_hostile_yaml import VALID, alias_bomb
from tests.support.engine import Meter, make_project, open_stack

pytestmark = [
    pytest.mark.engine,
    pytest.mark.skipif(not (tools_bin() / "pulumi").exists(), reason="the Pulumi CLI is not built"),
]


def test_hostile_definitions_fail_the_preview_clearly(tmp_path: Path, emulator: EmulatorProcess):
    project = make_project(tmp_path, {})
    flows = project / "flows"
    (flows / "bomb.yaml").write_text(alias_bomb())
    (flows / "deep.yaml").write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    (flows / "dups.yaml").write_text(VALID + "name: again\n")
    secret = tmp_path / "outside-secret.txt"
    secret.write_text("TOP-SECRET-VALUE: [not yaml\n")
    (flows / "leak.yaml").symlink_to(secret)
    (flows / "fine.YAML").write_text(VALID)
    stack = open_stack(project, tmp_path, emulator.url)
    with Meter(emulator) as meter, pytest.raises(auto.CommandError) as failure:
        stack.preview()
    assert meter.result.total == 0
    message = str(failure.value)
    for expected in (
        "bomb.yaml, line 1: anchor &a is not allowed",
        "deep.yaml, line 1: nesting deeper than 100 levels",
        "dups.yaml, line 4: duplicate key 'name' (first on line 1)",
        "leak.yaml resolves to a file outside the definitions folder",
        "4 problem(s) in the flow definitions",
    ):
        assert expected in message, message
    assert "TOP-SECRET-VALUE" not in message
    assert "RecursionError" not in message and "MemoryError" not in message
    assert len(message) < 20_000  # a deep file used to print 207 KB of traceback


# -- a second checkout -----------------------------------------------------------------------------


def checkout(root: Path) -> Path:
    """A copy of what `scripts/up` needs of this checkout (its own .emulator/ and .pulumi/)."""
    root.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("provider", "emulator", "scripts", "stacks", "flows"):
        shutil.copytree(PROJECT_DIR / name, root / name, ignore=ignore)
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(PROJECT_DIR / name, root / name)
    (root / ".venv").symlink_to(sys.prefix)
    return root


def deploy(root: Path, port: int) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "GENESYSCLOUD_", "EMULATOR_"))}
    env["PULUMI_TOOLS_DIR"] = str(tools_bin().parent)
    env["EMULATOR_PORT"] = str(port)
    return subprocess.run(
        ["scripts/up", "dev"], cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_second_checkout_never_deploys_into_another_checkouts_emulator(
    tmp_path: Path, emulator: EmulatorProcess
):
    """`emulator` stands for the first checkout's (it has other data and another admin key)."""
    second = checkout(tmp_path / "second")
    port = int(emulator.url.rsplit(":", 1)[1])
    refused = deploy(second, port)
    assert refused.returncode != 0
    assert "is not this checkout's" in refused.stdout + refused.stderr
    assert emulator.admin.stats()["writes"] == 0

    own = free_port()
    try:
        result = deploy(second, own)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        assert f"apiUrl http://127.0.0.1:{own}" in result.stdout  # EMULATOR_PORT reached the stack
        assert "10 created" in result.stdout
        again = deploy(second, own)
        assert "reusing this checkout's emulator" in again.stdout and "10 unchanged" in again.stdout
    finally:
        pid_file = second / ".emulator" / "emulator.pid"
        if pid_file.exists():
            subprocess.run(["kill", pid_file.read_text().strip()], check=False)
    assert emulator.admin.stats()["writes"] == 0
    assert not (second / "stacks" / "Pulumi.dev.yaml").read_text().count(str(own))


# -- a 429 storm -----------------------------------------------------------------------------------


def test_a_429_storm_completes_in_one_up(tmp_path: Path, emulator: EmulatorProcess):
    """60% of the API calls answered 429 with `Retry-After: 1` (and no rate-limit headers)."""
    import time

    project = make_project(tmp_path)
    stack = open_stack(project, tmp_path, emulator.url)
    emulator.admin.set_faults(error_rate=0.6, statuses=[429], seed=11)
    started = time.monotonic()
    result = stack.up()
    wall = time.monotonic() - started
    admin = emulator.admin
    injected = int(admin.session.get(f"{admin.base_url}/_emulator/faults", timeout=30).json()["injected"])
    admin.clear_faults()
    assert result.summary.result == "succeeded"
    assert (result.summary.resource_changes or {}).get("create") == 10
    print(f"429 storm: {injected} x 429 (Retry-After: 1), one up in {wall:.1f} s")
    assert injected > 0
