"""Through the real engine: the provider's metrics are whole when `pulumi up` returns even if its
exit outlasts the engine's wait (5 s, then SIGKILL, so `atexit` never runs): they were written when
the engine sent `Cancel` (provider/deploy/sdk_patches/host_cancel.py). A CI run once read the
metrics of an up with only the provider's first throttled write in them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from provider.governance import metrics
from tests.support.project import cli_project

pytestmark = [pytest.mark.engine, pytest.mark.slow]

# Injected into every Python process the engine starts: in the dynamic-provider host only, a
# non-daemon thread holds the interpreter's shutdown (which waits for such threads before atexit)
# for longer than the engine waits, so the engine ends the provider with SIGKILL.
SLOW_EXIT = """
import sys, threading, time

def _hold_the_exit():
    threading.main_thread().join()  # returns once the main thread is shutting down
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if getattr(spec, "name", "") == "pulumi.dynamic.__main__":
        time.sleep(60)

threading.Thread(target=_hold_the_exit, name="slow-exit").start()
"""


def test_metrics_are_whole_when_the_provider_exit_outlasts_the_engine(
    emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = cli_project(tmp_path, monkeypatch, emulator.url, flows=True)
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SLOW_EXIT)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])))
    flows = len(list((project.root / "flows").glob("*.yaml")))
    emulator.admin.reset()

    up = project.stack("dev").up()
    assert up.summary.resource_changes == {"create": flows + 1}

    stats = emulator.admin.stats()
    mine = metrics.load(project.metrics_dir, "dev")["dev"].to_json(samples=False)
    assert {(r["method"], r["path"], r["status"]): r["count"] for r in mine["requests"]} == {
        (r["method"], r["path"], str(r["status"])): r["count"] for r in stats["requests"]
    }
    assert {(m["action"], m["outcome"]): m["count"] for m in mine["mutations"]} == {
        ("create", "success"): flows
    }
    # the merged summary too: Cancel runs the whole flush
    merged = json.loads((project.metrics_dir / "dev.json").read_text())
    assert merged["total_requests"] == stats["total_requests"]
