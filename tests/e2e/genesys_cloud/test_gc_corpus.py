"""The Archy corpus (tests/data/archy-corpus: real public flows from Genesys' Terraform provider and
Genesys Cloud Blueprints) deployed end to end: the real Pulumi engine on the gc-dev stack against the
real emulator process. One engine test: a flow naming a bot another team owns (`external`) fails
preview while that bot is missing, with no write; then up (bot and in-queue references created
first), a second up that changes nothing, refresh and preview clean (no drift), destroy leaves
nothing but the other team's bot."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi import automation as auto

from emulator.testing import EmulatorProcess
from provider.platforms.genesys_cloud.loading import prepare_archy
from tests.domain.test_archy_corpus import CORPUS, STACK
from tests.support.engine import Meter, flow_ids, make_project, open_stack, summary
from tests.support.gc_org import live_flows

pytestmark = [pytest.mark.engine, pytest.mark.slow]

NS = "genesys-flows"
JOBS = "/api/v2/flows/jobs"
#: A flow of ours calling a bot the bots team builds in Architect (not in the corpus: ours).
TEAM_FRONT = {
    "team-front.yaml": "archy: Team Front.yaml\nlifecycle_state: published\n"
    "external:\n  - {type: botFlow, name: Team Bot}\n",
    "Team Front.yaml": "inboundShortMessage:\n  name: Team Front\n  states:\n    - state:\n"
    "        actions:\n          - callBotFlow:\n              botFlow:\n"
    "                Team Bot: {ver_latestPublished: {}}\n",
}


def _corpus_project(tmp_path: Path) -> Path:
    project = make_project(tmp_path)
    target = project / "flows" / "corpus"
    target.mkdir()
    for path in CORPUS.iterdir():
        if path.is_file() and path.name != "README.md":
            shutil.copy(path, target / path.name)
    for name, text in TEAM_FRONT.items():
        (target / name).write_text(text, encoding="utf-8")
    stack_file = project / "stacks" / "Pulumi.gc-dev.yaml"
    data = yaml.safe_load(stack_file.read_text())
    data["config"][f"{NS}:flowsDir"] = "flows/corpus"
    data["config"][f"{NS}:substitutions"] = dict(STACK)
    # The blueprints' queues and data actions are not in the emulator's org: reported, not refused
    # (the org-objects check itself: tests/platforms/genesys_cloud/test_org_check.py).
    data["config"][f"{NS}:orgObjects"] = "warn"
    stack_file.write_text(yaml.safe_dump(data, sort_keys=False))
    return project


def _created_order(root: Path) -> list[str]:
    path = root / "audit" / "audit.jsonl"
    entries = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [
        e["flow_id"]
        for e in entries
        if e.get("event") == "mutation" and e["action"] == "create" and e["outcome"] == "success"
    ]


def _changes(result: Any) -> dict[str, int]:
    return {str(getattr(k, "value", k)): v for k, v in (result.summary.resource_changes or {}).items()}


def test_the_corpus_with_an_external_bot_deploys_in_order_no_op_no_drift_destroys(
    tmp_path: Path, emulator: EmulatorProcess
) -> None:
    project = _corpus_project(tmp_path)
    definitions = prepare_archy(project / "flows" / "corpus", STACK).definitions
    count = len(definitions)
    assert count >= 25
    stack = open_stack(project, tmp_path, emulator.url, "gc-dev")

    # The other team's bot is not there yet: preview fails naming it, and nothing is written.
    with Meter(emulator) as meter, pytest.raises(auto.CommandError) as failure:
        stack.preview()
    assert "architect.flow.external.missing" in str(failure.value) and "'Team Bot'" in str(failure.value)
    assert meter.result.writes == 0
    bot = emulator.admin.gc_seed_flow("dev", "botFlow:\n  name: Team Bot\n")

    up = stack.up()
    assert up.summary.result == "succeeded"
    assert up.summary.resource_changes == {"create": count + 1}
    ids = flow_ids(up)
    live = {f["id"]: f for f in live_flows(emulator.url) if f["id"] != bot["id"]}
    assert set(live) == set(ids.values())
    assert all(f.get("publishedVersion") for f in live.values())
    assert {(live[ids[k]]["name"], live[ids[k]]["type"]) for k in ids} == {
        (d.name, str(d.type)) for d in definitions.values()
    }
    # Every referenced flow (bots called by message flows, the in-queue flow of a menu's ACD
    # transfer, a transfer target) was created before the flow that names it.
    position = {flow_id: i for i, flow_id in enumerate(_created_order(tmp_path))}
    edges = [(key, ref) for key, d in definitions.items() for ref in d.references]
    assert ("awsp-basicmessageflow", "awsp-basicbot") in edges
    assert ("park-call-park-agent-inbound-flow", "park-default-in-queue-flow") in edges
    for key, ref in edges:
        assert position[ids[ref]] < position[ids[key]], (ref, key)

    # The second run changes nothing and runs no job.
    with Meter(emulator) as meter:
        again = stack.up()
    assert again.summary.resource_changes == {"same": count + 1}
    assert meter.result.count("POST", JOBS) == 0 and meter.result.writes == 0

    # Refresh and preview: no drift.
    refresh = stack.refresh()
    assert "update" not in _changes(refresh) and "delete" not in _changes(refresh)
    assert summary(stack.preview()) == {}

    stack.destroy()
    assert [f["id"] for f in live_flows(emulator.url)] == [bot["id"]]  # an external is never deleted
