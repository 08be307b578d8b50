"""`archctl import`: adopt an org's flows into a stack; the next preview shows no changes."""

from __future__ import annotations

import pytest

from emulator.testing import DEMO_CLIENTS
from provider.domain.blocks import Block
from provider.platforms.architecture_api.client import ArchitectClient
from provider.platforms.architecture_api.models import FlowFields
from tests.support.cli import archctl_json
from tests.support.project import cli_project
from tests.support.state import demo_settings

pytestmark = [pytest.mark.engine, pytest.mark.slow]


def test_import_then_preview_shows_no_changes(emulator, tmp_path, monkeypatch) -> None:
    project = cli_project(tmp_path, monkeypatch, emulator.url, flows=False)
    client = ArchitectClient(demo_settings(emulator.url, "dev-rw"))
    sup = client.create_flow(FlowFields(name="Support Line", lifecycle_state="published", description="help"))
    bot = client.create_flow(FlowFields(name="Chat Bot", type="DIGITALBOT", lifecycle_state="draft"))
    client.create_flow(
        FlowFields(
            name="Front Door",
            lifecycle_state="published",
            references=[sup.id],
            blocks=[
                Block(id="root", type="menu", children=[Block(id="go", type="transfer", reference=sup.id)])
            ],
        )
    )
    writes_before = emulator.admin.stats()["writes"]

    # A definitions folder with a problem: import reports it and writes no file (nothing half-written)
    flows_dir = project.root / "flows"
    broken = flows_dir / "broken.yaml"
    broken.write_text("name: Broken\nlifecycle_state: draft\nreferences: [no-such-flow]\n")
    refused = archctl_json("import", "--stack", "dev", expect=1)
    assert any("no-such-flow" in p for p in refused.doc["problems"]), refused.doc
    assert sorted(p.name for p in flows_dir.iterdir()) == ["broken.yaml"]
    broken.unlink()

    run = archctl_json("import", "--stack", "dev", expect=0)
    assert sorted(r["key"] for r in run.doc["imported"]) == ["chat-bot", "front-door", "support-line"]
    assert all(v == 0 for k, v in run.doc["preview_changes"].items() if k != "same")
    text = (project.root / "flows" / "front-door.yaml").read_text()
    assert "reference: support-line" in text and sup.id not in text

    stack = project.stack("dev")
    stack.preview(expect_no_changes=True)
    raw_state = (tmp_path / "backend" / ".pulumi" / "stacks" / "genesys-flows" / "dev.json").read_text()
    assert DEMO_CLIENTS["dev-rw"] not in raw_state  # the client secret is encrypted in the state
    ids = {r["key"]: r["id"] for r in run.doc["imported"]}
    resources = stack.export_stack().deployment["resources"]
    in_state = {
        r["urn"].split("::")[-1]: r["id"]
        for r in resources
        if r["type"] == "pulumi-python:dynamic/architect:Flow"
    }
    assert in_state == ids and ids["chat-bot"] == bot.id and ids["support-line"] == sup.id
    up = stack.up()
    assert up.summary.resource_changes == {"same": 4}
    assert emulator.admin.stats()["writes"] == writes_before  # adopting wrote nothing to the org

    # the stack manages them now: a definition change is an update of the adopted flow
    path = project.root / "flows" / "support-line.yaml"
    path.write_text(path.read_text().replace("description: help", "description: changed"))
    assert stack.up().summary.resource_changes == {"same": 3, "update": 1}
    assert client.get_flow(sup.id).description == "changed"
    # and a second import has nothing left to adopt
    again = archctl_json("import", "--stack", "dev", expect=0)
    assert again.doc["imported"] == [] and len(again.doc["already_managed"]) == 3
