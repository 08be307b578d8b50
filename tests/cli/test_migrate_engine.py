"""`archctl migrate terraform DIR --stack gc-dev` against the emulator process (engine): the flows of a
public CX-as-Code configuration (the sms-followup blueprint, tests/data/cxascode) are first deployed
into the `dev` org the way CX-as-Code does (its substitutions applied to the Archy file, one Archy job
each, published), then migrated: the stack adopts them and its first preview and `up` change nothing.
Then the definition is renamed (`aliases`) and its Archy file moved: still nothing to publish."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from pulumi import automation as auto

from emulator.testing import EmulatorProcess
from provider.domain import archy
from provider.domain.document import FlowDocument
from tests.support.cli import archctl_json
from tests.support.gc_org import live_flows, platform
from tests.support.project import Project, cli_project

pytestmark = [pytest.mark.engine, pytest.mark.slow]
SMS = Path(__file__).resolve().parents[1] / "data" / "cxascode" / "sms-followup"
STACK = "gc-dev"
TFVARS = {
    "callback_originating_sms_phonenumber": "+19206775555",
    "callback_phonenumber": "+18005551213",
    "callback_division": "Home",
}


def _deploy_as_cx_as_code(url: str) -> str:
    """The flow as `terraform apply` of the blueprint (with its dev.auto.tfvars) leaves it: the file's
    {{placeholders}} replaced by the resource's substitutions, deployed and published by an Archy job."""
    source = (SMS / "architect" / "callback_sms_eventrigger_flow.yaml.tftpl").read_text()
    text = re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: TFVARS[m.group(1)], source)
    parsed = archy.parse(text)
    document = FlowDocument(
        key="sms",
        name=parsed.name,
        type=str(parsed.type),  # type: ignore[arg-type]
        description=parsed.description,
        lifecycle_state="published",
        archy=text,
    )
    return platform(url).create(document, {}).id


def _changes(summary: dict[object, int] | None) -> dict[str, int]:
    return {str(getattr(k, "value", k)): v for k, v in (summary or {}).items() if str(k) != "same"}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: EmulatorProcess) -> Project:
    project = cli_project(tmp_path, monkeypatch, emulator.url, flows=False)
    emulator.admin.gc_set_async_delay(0.02)
    # The data action the flow calls (the blueprint's Terraform makes it): the org-objects check finds it.
    emulator.admin.gc_add_org_object("dev", "dataAction", "Callback SMS Integrations/Send SMS")
    project.stack(STACK).set_config("genesys-flows:apiUrl", auto.ConfigValue(emulator.url))
    return project


def test_migrated_stack_adopts_the_org_with_no_change_and_a_rename_publishes_nothing(
    project: Project, emulator: EmulatorProcess
) -> None:
    flow_id = _deploy_as_cx_as_code(emulator.url)
    before = live_flows(emulator.url)

    run = archctl_json("migrate", "terraform", str(SMS), "--stack", STACK, expect=0)
    doc = run.doc
    assert doc["stack_values_set"] == TFVARS  # the tfvars values, for the placeholders gc-dev lacked
    assert doc["import"]["ok"] and set(doc["import"]["preview_changes"]) == {"same"}
    assert [(r["key"], r["id"]) for r in doc["import"]["imported"]] == [("sms-eventrigger-flow", flow_id)]
    config = yaml.safe_load((project.root / "stacks" / f"Pulumi.{STACK}.yaml").read_text())["config"]
    assert {k: config["genesys-flows:substitutions"][k] for k in TFVARS} == TFVARS

    stack = project.stack(STACK)
    up = stack.up()
    assert up.summary.result == "succeeded" and _changes(up.summary.resource_changes) == {}
    assert live_flows(emulator.url) == before  # not one new version

    # A key rename with `aliases` and the Archy file moved: the same text, nothing to publish.
    flows = project.root / "flows" / "genesys-cloud"
    (flows / "sms-eventrigger-flow.archy.yaml").rename(flows / "sms-trigger-content.archy.yaml")
    definition = yaml.safe_load((flows / "sms-eventrigger-flow.yaml").read_text())
    definition.update(archy="sms-trigger-content.archy.yaml", aliases=["sms-eventrigger-flow"])
    (flows / "sms-trigger.yaml").write_text(yaml.safe_dump(definition))
    (flows / "sms-eventrigger-flow.yaml").unlink()
    preview = stack.preview()
    assert _changes(preview.change_summary) == {}
