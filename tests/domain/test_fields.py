"""The field table (issue 21): a new simple managed field is one row in provider/domain/fields.py
plus its mapping in the wire table of the platform that carries it. The subprocess test adds a
`division` row and the Architecture API's mapping (touching only those two modules' objects, before
anything else imports) and follows the field from a definition file to the request body."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from provider.domain import fields

ROOT = Path(__file__).resolve().parents[2]

#: Adds the row and the wire mapping, then imports the rest of the provider.
BOOTSTRAP = """
from provider.domain import fields
fields.add_attribute(
    fields.Attribute("division", fields.ValueKind.TEXT, "The division that owns the flow", max_length=40)
)
from provider.domain import models
probe = models.FlowFields(name="x", division="Sales", lifecycle_state="draft")
without_mapping = "division" in probe.to_wire()
models.WIRE_ATTRIBUTES.add("division")
"""

CHECKS = """
import json, sys
from pathlib import Path
from provider.deploy import inputs
from provider.domain import convert, loading, snapshot
from provider.domain.models import Flow
from provider.platforms.architecture_api.client import ArchitectClient
from provider.platforms.architecture_api.platform import live_flow
from provider.platforms.http.requestor import Outcome
from provider.platforms.http.settings import ConnectionSettings

out = {"without_mapping": without_mapping}
folder = Path(sys.argv[1])
(folder / "main.yaml").write_text("name: Main\\ndivision: Sales\\nlifecycle_state: draft\\n")
(folder / "long.yaml").write_text("name: Long\\ndivision: " + "x" * 41 + "\\nlifecycle_state: draft\\n")
prepared = loading.prepare(folder, {})
out["problems"] = [(p.flow, p.field) for p in prepared.problems]
document = convert.document(prepared.definitions["main"])
out["document"] = document.division
out["schema"] = loading.definitions_schema()["$defs"]["FlowFile"]["properties"]["division"]

props = {**convert.as_document(document), inputs.FLOW_KEY: "main", inputs.REFERENCE_IDS: {}}
normalized = inputs.normalize_inputs(props)
out["inputs"] = normalized["division"]
absent = {k: v for k, v in props.items() if k != "division"}
out["inputs_default"] = inputs.normalize_inputs(absent)["division"]
out["changed"] = inputs.changed_fields({**normalized, "division": "Support"}, normalized)

wire_flow = Flow.model_validate({**convert.to_flow_fields(document, {}).to_wire(), "id": "f1", "_version": 3})
live = live_flow(wire_flow)
out["live"] = dict(live.attributes)
outputs = inputs.outputs(normalized, live)
out["outputs"] = outputs["division"]
out["base"] = dict(inputs.to_base("f1", outputs).attributes)
out["read_back"] = inputs.inputs_from_flow(live, outputs)["division"]
out["snapshot_order"] = list(snapshot.normalize({**convert.as_document(document), "description": "d"}))
out["snapshot_division"] = snapshot.normalize(convert.as_document(document))["division"]

sent = []
def fake_call(method, path, template, *, body=None, **_):
    # The server's answer: the flow as the request body set it.
    sent.append((method, body))
    answer = {"name": "Main", "lifecycle_state": "draft", **body, "id": "f1", "_version": 1}
    return Outcome(201 if method == "POST" else 200, answer, None, 1)
url = "http://127.0.0.1:9"
settings = ConnectionSettings(api_base_url=url, login_base_url=url, client_id="x", client_secret="y")
client = ArchitectClient(settings, pacing=False)
client._call = fake_call
created = client.create_flow(convert.to_flow_fields(document, {}))
desired = convert.to_flow_fields(document.model_copy(update={"division": "Support"}), {})
client.update_flow("f1", desired, base=created)
out["sent"] = sent
out["created"] = created.division
print(json.dumps(out))
"""


def test_the_table_is_the_field_list_and_description_a_row_of_it():
    assert [a.name for a in fields.ATTRIBUTES] == ["description"]
    assert fields.MANAGED_FIELDS == ("name", "description", "type", "lifecycle_state", "blocks", "references")
    assert fields.FILE_ORDER == ("name", "description", "type", "lifecycle_state", "references", "blocks")
    assert fields.REPLACING_FIELDS == ("type",)
    row = fields.attribute("description")
    assert row is not None and row.max_length == 2000 and row.doc
    assert (row.value(None), row.canonical(None), row.value("x")) == ("", "", "x")


def test_a_new_field_is_one_row_and_one_wire_mapping(tmp_path: Path):
    script = textwrap.dedent(BOOTSTRAP) + textwrap.dedent(CHECKS)
    # -I would drop the project from sys.path; the script must import nothing before the bootstrap.
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["without_mapping"] is False  # the Architecture API sends only what its table lists
    assert out["problems"] == [["long", "division"]]  # the row's limit, enforced by the file model
    assert out["document"] == "Sales"
    assert out["schema"]["description"] == "The division that owns the flow"
    assert (out["inputs"], out["inputs_default"]) == ("Sales", "")
    assert out["changed"] == ["division"]
    assert out["live"] == {"description": "", "division": "Sales"}
    assert out["outputs"] == "Sales" and out["base"]["division"] == "Sales" and out["read_back"] == "Sales"
    assert out["snapshot_order"] == [
        "name",
        "description",
        "division",
        "type",
        "lifecycle_state",
        "references",
        "blocks",
    ]
    assert out["snapshot_division"] == "Sales"
    (create_method, create_body), (patch_method, patch_body) = out["sent"]
    assert create_method == "POST" and create_body["division"] == "Sales"
    assert patch_method == "PATCH" and patch_body == {"_version": 1, "division": "Support"}
    assert out["created"] == "Sales"


def test_without_the_row_the_field_is_unknown():
    assert "division" not in fields.MANAGED_FIELDS
    assert fields.attribute("division") is None
