"""`archctl rollback` (issue 24) at the command line: its options and JSON schema, and the tutorial's
platform, which keeps no versions, refusing it with one clear error before any API call (the whole
rollback runs in tests/e2e/genesys_cloud/test_gc_rollback_engine.py)."""

from __future__ import annotations

import json

import pytest

from emulator.testing import EmulatorProcess
from provider.cli.main import build_parser
from tests.support.cli import archctl, archctl_json
from tests.support.engine import Meter
from tests.support.project import cli_project


def test_options_and_schema() -> None:
    argv = ["rollback", "--stack", "gc-prod", "billing-line", "--to", "3.0", "--now", "--reason", "outage"]
    args = build_parser().parse_args(argv)
    assert (args.stack, args.flow, args.to, args.now, args.reason) == (
        "gc-prod",
        "billing-line",
        "3.0",
        True,
        "outage",
    )
    defaults = build_parser().parse_args(["rollback", "--stack", "s", "f"])
    assert (defaults.to, defaults.now, defaults.reason) == (None, False, "")
    schema = json.loads(archctl("schema", "rollback").out)
    assert {"target_version", "diff", "written", "reason", "published_version"} <= set(schema["properties"])
    missing = archctl_json("rollback", "main-ivr", expect=2)
    assert "--stack" in missing.doc["error"]["message"]


@pytest.mark.pulumi_cli
def test_the_tutorial_platform_refuses_rollback_with_one_clear_error(
    emulator: EmulatorProcess, tmp_path, monkeypatch
) -> None:
    cli_project(tmp_path, monkeypatch, emulator.url, flows=True)
    with Meter(emulator) as meter:
        run = archctl_json("rollback", "--stack", "dev", "main-ivr", "--now", expect=2)
    error = run.doc["error"]
    assert error["kind"] == "configuration"
    assert "flow 'main-ivr': rollback is not supported on platform" in error["message"]
    assert "revert the definition in Git and deploy instead" in error["message"]
    assert "Traceback" not in run.out + run.err
    assert meter.result.total == 0  # refused before any API call
