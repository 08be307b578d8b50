"""The checkpoint setting of this project's engine runs (provider/ops/engine.py): the state written
once at the end by default, `GENESYS_FLOWS_CHECKPOINTS=step` for Pulumi's per-step checkpoints, and
the CLI by hand (`engine env`) left with Pulumi's default. No engine needed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from provider.ops.engine import PROJECT_DIR, offline_env, skip_checkpoints


def env_of(tmp_path: Path, **base: str) -> dict[str, str]:
    return offline_env(backend_dir=tmp_path / "backend", pulumi_home=tmp_path / "home", base=dict(base))


def test_the_state_is_written_once_at_the_end_unless_step_is_asked_for(tmp_path: Path):
    assert env_of(tmp_path)["PULUMI_SKIP_CHECKPOINTS"] == "true"
    assert env_of(tmp_path, GENESYS_FLOWS_CHECKPOINTS="step")["PULUMI_SKIP_CHECKPOINTS"] == "false"
    assert env_of(tmp_path, GENESYS_FLOWS_CHECKPOINTS="END")["PULUMI_SKIP_CHECKPOINTS"] == "true"
    # an explicit PULUMI_SKIP_CHECKPOINTS is kept; GENESYS_FLOWS_CHECKPOINTS wins over it
    assert env_of(tmp_path, PULUMI_SKIP_CHECKPOINTS="false")["PULUMI_SKIP_CHECKPOINTS"] == "false"
    both = env_of(tmp_path, PULUMI_SKIP_CHECKPOINTS="true", GENESYS_FLOWS_CHECKPOINTS="step")
    assert both["PULUMI_SKIP_CHECKPOINTS"] == "false"
    with pytest.raises(ValueError, match="GENESYS_FLOWS_CHECKPOINTS"):
        skip_checkpoints({"GENESYS_FLOWS_CHECKPOINTS": "sometimes"})


def exports(*args: str, **extra: str) -> str:
    env = {"PATH": "/usr/bin:/bin", **extra}
    result = subprocess.run(
        [sys.executable, "-m", "provider.ops.engine", "env", *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout + result.stderr


def test_scripts_up_gets_the_setting_and_the_cli_by_hand_does_not():
    assert "PULUMI_SKIP_CHECKPOINTS" not in exports()
    assert "export PULUMI_SKIP_CHECKPOINTS='true'" in exports("--deploy")
    assert "export PULUMI_SKIP_CHECKPOINTS='false'" in exports("--deploy", GENESYS_FLOWS_CHECKPOINTS="step")
    assert "expected one of end, step" in exports("--deploy", GENESYS_FLOWS_CHECKPOINTS="x")
    assert "env --deploy" in (PROJECT_DIR / "scripts" / "up").read_text()


def test_end_of_run_checkpoints_only_where_the_journal_is_beside_the_state():
    s3 = {"PULUMI_BACKEND_URL": "s3://b?endpoint=127.0.0.1:1"}
    assert skip_checkpoints(s3) and skip_checkpoints({"PULUMI_BACKEND_URL": "file:///x"})
    assert not skip_checkpoints({**s3, "GENESYS_FLOWS_AUDIT_LOG": "/tmp/a.jsonl"})
    assert skip_checkpoints(
        {**s3, "GENESYS_FLOWS_AUDIT_LOG": "/tmp/a.jsonl", "GENESYS_FLOWS_CHECKPOINTS": "end"}
    )


def test_a_runners_own_pulumi_home_is_kept_by_engine_env(tmp_path: Path):
    """CI runners start from a clean PULUMI_HOME of their own (scripts/ci-preview, ci-deploy)."""
    assert f"export PULUMI_HOME='{tmp_path}'" in exports(PULUMI_HOME=str(tmp_path))
