"""The audit trail: one fsynced JSON line per mutation, complete after a SIGKILL, never a secret."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from provider.governance import audit, telemetry
from provider.platforms.http.recorder import MutationEvent

SECRET = "dev-rw-demo-secret"


def test_entry_fields_and_flow_context(tmp_path: Path, tel: telemetry.Telemetry) -> None:
    rec = tel.recorder("dev", metrics_dir=tmp_path / "m", audit_log=tmp_path / "a.jsonl", client_id="dev-rw")
    with telemetry.flow_context("main-menu"):
        rec.on_mutation(MutationEvent("update", "id-1", "Main Menu", 3, 4, "success", None, "corr-1", 0.25))
    rec.on_mutation(
        MutationEvent(
            "delete", "id-2", "Old", 2, None, "failure", "architect.flow.in.use", "corr-2", 0.1, "other"
        )
    )
    lines = (tmp_path / "a.jsonl").read_text().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert list(first) == list(audit.ENTRY_FIELDS)
    assert first["timestamp"].endswith("Z")
    assert datetime.fromisoformat(first["timestamp"].replace("Z", "+00:00")).tzinfo is not None
    assert first | {"timestamp": None, "pid": None} == {
        "timestamp": None,
        "event": "mutation",
        "action": "update",
        "stack": "dev",
        "flow_key": "main-menu",
        "flow_id": "id-1",
        "flow_name": "Main Menu",
        "version_before": 3,
        "version_after": 4,
        "outcome": "success",
        "error_code": None,
        "correlation_id": "corr-1",
        "latency_s": 0.25,
        "client_id": "dev-rw",
        "pid": None,
    }
    assert second["flow_key"] is None and second["client_id"] == "other"
    assert second["error_code"] == "architect.flow.in.use"


def test_recorder_is_shared_per_stack_and_folders(
    tmp_path: Path, monkeypatch, tel: telemetry.Telemetry
) -> None:
    monkeypatch.setenv(telemetry.METRICS_DIR_ENV, str(tmp_path / "env-m"))
    monkeypatch.setenv(telemetry.AUDIT_LOG_ENV, str(tmp_path / "env-a.jsonl"))
    a = tel.recorder("dev", client_id="x")
    b = tel.recorder("dev", client_id="y")
    c = tel.recorder("prod")
    assert a.metrics is b.metrics and a.metrics is not c.metrics
    assert a.audit_path == tmp_path / "env-a.jsonl"
    assert a.metrics.metrics_dir == tmp_path / "env-m"
    a.on_mutation(MutationEvent("create", "i", "n", None, 1, "success"))
    b.on_mutation(MutationEvent("create", "j", "m", None, 1, "success"))
    clients = [json.loads(line)["client_id"] for line in (tmp_path / "env-a.jsonl").read_text().splitlines()]
    assert clients == ["x", "y"]


def test_defaults_are_under_the_project(monkeypatch) -> None:
    from provider.ops.engine import PROJECT_DIR

    monkeypatch.delenv(telemetry.METRICS_DIR_ENV, raising=False)
    monkeypatch.delenv(telemetry.AUDIT_LOG_ENV, raising=False)
    assert telemetry.default_metrics_dir() == PROJECT_DIR / ".metrics"
    assert telemetry.default_audit_log() == PROJECT_DIR / ".audit" / "audit.jsonl"


CRASHER = textwrap.dedent(
    """
    import os, signal, sys
    from provider.governance import telemetry
    from provider.platforms.http.recorder import MutationEvent
    path, n = sys.argv[1], int(sys.argv[2])
    rec = telemetry.Telemetry().recorder("dev", metrics_dir=sys.argv[3], audit_log=path, client_id="dev-rw")
    for i in range(n):
        with telemetry.flow_context(f"flow-{i}"):
            event = MutationEvent("update", f"id-{i}", f"Flow {i}", i, i + 1, "success", None, f"c-{i}", 0.01)
            rec.on_mutation(event)
        print(i, flush=True)  # reported: the entry is on disk
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


@pytest.mark.slow
def test_a_killed_process_leaves_every_reported_entry(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    n = 60
    proc = subprocess.run(
        [sys.executable, "-c", CRASHER, str(path), str(n), str(tmp_path / "m")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL
    reported = [int(x) for x in proc.stdout.split()]
    assert reported == list(range(n))
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    assert [e["flow_key"] for e in entries] == [f"flow-{i}" for i in range(n)]
    assert all(e["outcome"] == "success" and e["stack"] == "dev" for e in entries)


@pytest.mark.slow
def test_killed_mid_run_from_outside(tmp_path: Path) -> None:
    """Killed at an arbitrary point by another process: every line it reported is whole and valid."""
    path = tmp_path / "audit.jsonl"
    script = CRASHER.replace("os.kill(os.getpid(), signal.SIGKILL)", "import time\nwhile True: time.sleep(1)")
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(path), "100000", str(tmp_path / "m")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    reported = 0
    for line in proc.stdout:
        reported = int(line) + 1
        if reported == 200:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    result = audit.read(path)
    assert result.invalid_lines == 0
    assert len(result.entries) >= reported
    assert [e["flow_key"] for e in result.entries] == [f"flow-{i}" for i in range(len(result.entries))]


@pytest.mark.slow
def test_processes_append_whole_lines(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    script = CRASHER.replace("os.kill(os.getpid(), signal.SIGKILL)", "")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(path), "150", str(tmp_path / "m")], stdout=subprocess.DEVNULL
        )
        for _ in range(4)
    ]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    result = audit.read(path)
    assert result.invalid_lines == 0 and len(result.entries) == 600
    assert len({e["pid"] for e in result.entries}) == 4


def test_never_rewritten_and_no_secret(tmp_path: Path, monkeypatch, tel: telemetry.Telemetry) -> None:
    monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_SECRET", SECRET)
    path = tmp_path / "a.jsonl"
    path.write_text('{"earlier": "entry"}\n')
    mode_before = os.stat(path).st_mode & 0o777
    rec = tel.recorder("dev", metrics_dir=tmp_path / "m", audit_log=path, client_id="dev-rw")
    rec.on_mutation(MutationEvent("create", "i", "n", None, 1, "success"))
    text = path.read_text()
    assert text.startswith('{"earlier": "entry"}\n')
    assert SECRET not in text
    # an existing log keeps its mode (it was created outside); a new one is the owner's only
    assert os.stat(path).st_mode & 0o777 == mode_before
    fresh = tmp_path / "new.jsonl"
    rec = tel.recorder("dev", metrics_dir=tmp_path / "m", audit_log=fresh, client_id="dev-rw")
    rec.on_mutation(MutationEvent("create", "i", "n", None, 1, "success"))
    assert os.stat(fresh).st_mode & 0o777 == 0o600


def test_read_filters_and_tolerates_a_torn_line(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    log = audit.AuditLog(path, "dev")
    log.record(MutationEvent("create", "i1", "One", None, 1, "success"), flow_key="one")
    log.record(MutationEvent("update", "i2", "Two", 1, 2, "success"), flow_key="two")
    log.close()
    with open(path, "a") as fh:
        fh.write('{"timestamp": "2020-01-01T00:00:00Z", "action": "cre')  # a torn last line
    everything = audit.read(path)
    assert len(everything.entries) == 2 and everything.invalid_lines == 1
    assert [e["flow_key"] for e in audit.read(path, flow="two").entries] == ["two"]
    assert [e["flow_key"] for e in audit.read(path, flow="i1").entries] == ["one"]
    future = datetime.now(UTC) + timedelta(hours=1)
    assert audit.read(path, since=future).entries == []
    assert len(audit.read(path, since=audit.parse_time("2000-01-01")).entries) == 2


def test_a_failed_write_is_an_error_not_a_recorded_entry() -> None:
    # /dev/full refuses every write (ENOSPC): record() must not return as if the entry were on disk.
    log = audit.AuditLog(Path("/dev/full"), "dev")
    try:
        with pytest.raises(OSError):
            log.record(MutationEvent("create", "id-1", "Main", None, 1, "success", None, "corr", 0.1))
    finally:
        log.close()
