"""The org-objects gate through the real engine and the emulator process, in one folded run: the
sample set with a data action added is promoted gc-dev → gc-staging while staging lacks that data
action and the queue its substitution names. Staging's preview fails with exactly those two
problems, `archctl validate --stack` and `archctl promote` report them (promote refused before any
write), `orgObjects: warn` previews through, and once both are seeded the promotion passes with
parity. (Missing, ambiguous, permission-less, off and offline are covered without the engine:
tests/platforms/genesys_cloud/test_org_check.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pulumi import automation as auto

from emulator.testing import EmulatorProcess
from tests.support.cli import archctl_json
from tests.support.engine import Meter
from tests.support.gc_org import platform
from tests.support.project import Project, cli_project

pytestmark = [pytest.mark.engine, pytest.mark.slow]

NS = "genesys-flows"
ACTION = "Acme Lookups/Find Account"
CALL_DATA = """                - callData:
                    name: Look the caller up
                    category:
                      Acme Lookups:
                        dataAction:
                          Find Account:
                            inputs: {}
                - transferToAcd:"""


def _project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: EmulatorProcess) -> Project:
    project = cli_project(tmp_path, monkeypatch, emulator.url, flows=True)
    emulator.admin.gc_set_async_delay(0.02)
    support = project.root / "flows" / "genesys-cloud" / "support-line.archy.yaml"
    support.write_text(support.read_text().replace("                - transferToAcd:", CALL_DATA, 1))
    staging_file = project.root / "stacks" / "Pulumi.gc-staging.yaml"
    data = yaml.safe_load(staging_file.read_text())
    data["config"][f"{NS}:substitutions"]["support_queue"] = "Premium Support STG"
    staging_file.write_text(yaml.safe_dump(data, sort_keys=False))
    for name in ("gc-dev", "gc-staging"):
        project.stack(name).set_config(f"{NS}:apiUrl", auto.ConfigValue(emulator.url))
    emulator.admin.gc_add_org_object("dev", "dataAction", ACTION)
    return project


def test_promotion_refused_on_a_missing_queue_and_data_action_then_passes_once_seeded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: EmulatorProcess
) -> None:
    project = _project(tmp_path, monkeypatch, emulator)
    project.stack("gc-dev").up()  # dev has both: its own preview passed the gate
    staging = project.stack("gc-staging")

    # Staging's preview: exactly the two problems, each naming flow, Archy path, type, name, stack.
    with Meter(emulator) as meter, pytest.raises(auto.CommandError) as failed:
        staging.preview()
    lines = [line for line in str(failed.value).splitlines() if "org.object." in line]
    assert len(lines) == 2, lines
    assert any(
        "flow 'support-line'" in line
        and "transferToAcd.targetQueue.lit.name" in line
        and "the queue 'Premium Support STG' does not exist in the org of stack gc-staging" in line
        for line in lines
    ), lines
    assert any(
        "callData.category.Acme Lookups.dataAction.Find Account" in line
        and f"the data action '{ACTION}' does not exist" in line
        for line in lines
    ), lines
    assert meter.result.writes == 0

    # archctl promote: refused by the target's gate, the same two problems, nothing written there.
    with Meter(emulator) as meter:
        refused = archctl_json("promote", "gc-dev", "gc-staging", "--yes", expect=1)
    gate = refused.doc["org_objects"]
    assert (
        sorted((p["flow"], p["rule"]) for p in gate["problems"])
        == [("support-line", "org.object.missing")] * 2
    )
    assert refused.doc["up"] is None and "Premium Support STG" in refused.doc["refused"]
    assert (
        meter.result.count("POST", "/api/v2/flows/jobs") == 0
        and meter.result.count("POST", "/api/v2/flows") == 0
    )
    assert list(platform(emulator.url, "staging-rw").list_flows()) == []

    # archctl validate --stack: the same check against the stack's org.
    validated = archctl_json("validate", "--stack", "gc-staging", expect=1)
    assert validated.doc["problems"] == [] and len(validated.doc["org_objects"]["problems"]) == 2

    # orgObjects: warn prints them and proceeds.
    staging.set_config(f"{NS}:orgObjects", auto.ConfigValue("warn"))
    warned = staging.preview()
    assert "Premium Support STG" in warned.stdout + warned.stderr
    staging.remove_config(f"{NS}:orgObjects")

    # Seeded: the promotion passes, parity holds.
    emulator.admin.gc_add_org_object("staging", "queue", "Premium Support STG")
    emulator.admin.gc_add_org_object("staging", "dataAction", ACTION)
    promoted = archctl_json("promote", "gc-dev", "gc-staging", "--yes", expect=0)
    assert promoted.doc["org_objects"]["ok"] and promoted.doc["org_objects"]["checked"] == 3
    assert promoted.doc["promoted"] and promoted.doc["parity"]["identical"]
