"""End to end on platform genesys-cloud: the real Pulumi engine (Automation API, local file backend)
running the program and the dynamic provider on the gc-dev stack against the real emulator process
(its real-platform routes: Archy jobs, version pointers, locks). Calls are counted by the emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi import automation as auto

from emulator.testing import DEMO_CLIENTS, EmulatorProcess
from provider.domain.loading import prepare
from tests.support.engine import Meter, flow_ids, make_project, open_stack, raw_export, summary

pytestmark = pytest.mark.engine

STACK = "gc-dev"
NS = "genesys-flows"
ORG = "dev"
JOBS = "/api/v2/flows/jobs"
SECRET = DEMO_CLIENTS["dev-rw"]


def _flows_dir(project: Path) -> Path:
    return project / "flows" / "genesys-cloud"


def _substitutions(project: Path) -> dict[str, str]:
    config = yaml.safe_load((project / "stacks" / f"Pulumi.{STACK}.yaml").read_text())["config"]
    return {str(k): str(v) for k, v in config[f"{NS}:substitutions"].items()}


def _prepared(project: Path) -> dict[str, Any]:
    prepared = prepare(_flows_dir(project), _substitutions(project), platform="genesys-cloud")
    assert prepared.ok, prepared.problems
    return prepared.definitions


def _audit(root: Path) -> list[dict[str, Any]]:
    path = root / "audit" / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _jobs(calls: Any) -> int:
    return int(calls.count("POST", JOBS))


def _deployed(tmp_path: Path, emulator: EmulatorProcess) -> tuple[Path, auto.Stack, dict[str, str]]:
    project = make_project(tmp_path)
    stack = open_stack(project, tmp_path, emulator.url, STACK)
    up = stack.up()
    assert up.summary.result == "succeeded"
    return project, stack, flow_ids(up)


def _edit_archy(project: Path, key: str, old: str, new: str) -> None:
    path = _flows_dir(project) / f"{key}.archy.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_preview_up_in_order_no_change_one_job_destroy(tmp_path: Path, emulator: EmulatorProcess) -> None:
    project = make_project(tmp_path)
    stack = open_stack(project, tmp_path, emulator.url, STACK)
    definitions = _prepared(project)
    assert len(definitions) == 7

    # preview: a create per flow (and the stack), not one API call.
    with Meter(emulator) as meter:
        preview = stack.preview()
    assert summary(preview) == {"create": len(definitions) + 1}
    assert meter.result.total == 0

    # up: every flow's job after the jobs of the flows it references.
    with Meter(emulator) as meter:
        up = stack.up()
    assert up.summary.resource_changes == {"create": len(definitions) + 1}
    calls = meter.result
    assert calls.rate_limited == 0
    assert _jobs(calls) == len(definitions)
    # The jobs' write-log entries carry no flow id: the audit trail (one line per confirmed create,
    # written when the platform answered) gives the order.
    ids = flow_ids(up)
    created = [
        e["flow_id"] for e in _audit(tmp_path) if e["action"] == "create" and e["outcome"] == "success"
    ]
    assert sorted(created) == sorted(ids.values())
    position = {flow_id: i for i, flow_id in enumerate(created)}
    for key, definition in definitions.items():
        for ref in definition.references:
            assert position[ids[ref]] < position[ids[key]], (ref, key)

    # no-change preview: zero API calls of any kind.
    with Meter(emulator) as meter:
        preview = stack.preview()
    assert summary(preview) == {}
    assert meter.result.total == 0

    # one content change = one job; the preview shows the text itself.
    _edit_archy(project, "billing-line", "Welcome to billing.", "Welcome to billing, again.")
    preview = stack.preview(diff=True)
    assert summary(preview) == {"update": 1}
    assert "Welcome to billing, again." in preview.stdout
    with Meter(emulator) as meter:
        up = stack.up()
    assert up.summary.resource_changes == {"update": 1, "same": len(definitions)}
    assert _jobs(meter.result) == 1

    # the client secret is nowhere in plaintext in the state.
    assert SECRET not in raw_export(project, tmp_path, STACK)

    # destroy: dependents first, and the org is empty after.
    with Meter(emulator) as meter:
        stack.destroy()
    deletes = [e for e in meter.result.write_log if e["method"] == "DELETE" and e["status"] < 300]
    gone_at = {e["flow_id"]: e["seq"] for e in deletes}
    assert set(gone_at) == set(ids.values())
    for key, definition in definitions.items():
        for ref in definition.references:
            assert gone_at[ids[key]] < gone_at[ids[ref]], (key, ref)
    assert meter.result.rate_limited == 0
