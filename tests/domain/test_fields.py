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
from typing import Any

import pytest

from provider.domain import fields

ROOT = Path(__file__).resolve().parents[2]

#: Adds the row (`spec`, the first argument) and the wire mapping, then imports the rest.
BOOTSTRAP = """
import json, sys
spec = json.loads(sys.argv[1])
F = spec["name"]
from provider.domain import fields
row = fields.Attribute(F, fields.ValueKind(spec["kind"]), spec["doc"], max_length=spec["limit"])
fields.add_attribute(row)
from provider.platforms.architecture_api import models
probe = models.FlowFields(name="x", lifecycle_state="draft", **{F: spec["value"]})
without_mapping = F in probe.to_wire()
models.WIRE_ATTRIBUTES.add(F)
"""

CHECKS = """
from pathlib import Path
import yaml
from provider.deploy import inputs
from provider.domain import convert, loading, snapshot
from provider.platforms.architecture_api.models import Flow, to_flow_fields
from provider.platforms.architecture_api.client import ArchitectClient
from provider.platforms.architecture_api.platform import live_flow
from provider.platforms.http.requestor import Outcome
from provider.platforms.http.settings import ConnectionSettings

out = {"without_mapping": without_mapping}
folder = Path(sys.argv[2])
for key, value in (("main", spec["value"]), ("long", spec["too_long"])):
    text = yaml.safe_dump({"name": key, F: value, "lifecycle_state": "draft"})
    (folder / f"{key}.yaml").write_text(text)
prepared = loading.prepare(folder, {})
out["problems"] = [(p.flow, p.field) for p in prepared.problems]
document = convert.document(prepared.definitions["main"])
out["document"] = getattr(document, F)
out["schema"] = loading.definitions_schema()["$defs"]["FlowFile"]["properties"][F]

props = {**convert.as_document(document), inputs.FLOW_KEY: "main", inputs.REFERENCE_IDS: {}}
normalized = inputs.normalize_inputs(props)
out["inputs"] = normalized[F]
out["inputs_default"] = inputs.normalize_inputs({k: v for k, v in props.items() if k != F})[F]
out["changed"] = inputs.changed_fields({**normalized, F: spec["other"]}, normalized)

wire_flow = Flow.model_validate({**to_flow_fields(document, {}).to_wire(), "id": "f1", "_version": 3})
live = live_flow(wire_flow)
out["live"] = dict(live.attributes)
outputs = inputs.outputs(normalized, live)
out["outputs"] = outputs[F]
out["base"] = inputs.to_base("f1", outputs).attributes[F]
out["read_back"] = inputs.inputs_from_flow(live, outputs)[F]
out["snapshot_order"] = list(snapshot.normalize(convert.as_document(document)))
out["snapshot"] = snapshot.normalize(convert.as_document(document))[F]
# Promotion parity: the environment's value in it becomes its placeholder again.
dev = snapshot.Snapshot(flows={"main": snapshot.normalize(convert.as_document(document))})
out["unsubstituted"] = snapshot.unsubstitute(dev, {"env": spec["env_value"]}).flows["main"][F]

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
created = client.create_flow(to_flow_fields(document, {}))
desired = to_flow_fields(document.model_copy(update={F: spec["other"]}), {})
client.update_flow("f1", desired, base=created)
out["sent"] = sent
out["created"] = getattr(created, F)
print(json.dumps(out))
"""

DIVISION = {
    "name": "division",
    "kind": "text",
    "doc": "The division that owns the flow",
    "limit": 40,
    "value": "Sales",
    "other": "Support",
    "too_long": "x" * 41,
    "empty": "",
    "env_value": "Sales",
    "unsubstituted": "{{env}}",
}
LANGUAGES = {
    "name": "supportedLanguages",
    "kind": "text list",
    "doc": "The languages the flow speaks",
    "limit": 3,
    "value": ["en-us", "fr-ca"],
    "other": ["en-us"],
    "too_long": ["a", "b", "c", "d"],
    "empty": [],
    "env_value": "fr-ca",
    "unsubstituted": ["en-us", "{{env}}"],
}


def test_the_table_is_the_field_list_and_description_a_row_of_it():
    assert [a.name for a in fields.ATTRIBUTES] == ["description"]
    assert fields.MANAGED_FIELDS == ("name", "description", "type", "lifecycle_state", "blocks", "references")
    assert fields.FILE_ORDER == ("name", "description", "type", "lifecycle_state", "references", "blocks")
    assert fields.REPLACING_FIELDS == ("type",)
    row = fields.attribute("description")
    assert row is not None and row.max_length == 2000 and row.doc
    assert (row.value(None), row.canonical(None), row.value("x")) == ("", "", "x")


def test_each_kind_has_its_empty_value_and_canonical_form():
    tags = fields.Attribute("tags", fields.ValueKind.TEXT_LIST, "Labels")
    assert (tags.value(None), tags.canonical(("a", 1)), tags.annotation(frozen=True)) == (
        [],
        ["a", "1"],
        tuple[str, ...],
    )
    flag = fields.Attribute("pinned", fields.ValueKind.BOOL, "Pinned")
    assert (flag.value(None), flag.canonical(None), flag.canonical(1)) == (False, False, True)
    text = fields.Attribute("division", fields.ValueKind.TEXT, "Division", default="Home")
    assert (text.value(None), text.canonical(""), text.value(5)) == ("Home", "Home", 5)


@pytest.mark.parametrize("spec", [DIVISION, LANGUAGES], ids=["text", "text-list"])
def test_a_new_field_is_one_row_and_one_wire_mapping(tmp_path: Path, spec: dict[str, Any]):
    script = textwrap.dedent(BOOTSTRAP) + textwrap.dedent(CHECKS)
    # Not -I (it would drop the project from sys.path): the script imports nothing before the row.
    done = subprocess.run(
        [sys.executable, "-c", script, json.dumps(spec), str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    name, value, other = spec["name"], spec["value"], spec["other"]
    assert out["without_mapping"] is False  # the Architecture API sends only what its table lists
    assert out["problems"] == [["long", name]]  # the row's limit, enforced by the file model
    assert out["document"] == value
    assert out["schema"]["description"] == spec["doc"]
    assert (out["inputs"], out["inputs_default"]) == (value, spec["empty"])
    assert out["changed"] == [name]
    assert out["live"] == {"description": "", name: value}
    assert out["outputs"] == out["base"] == out["read_back"] == out["snapshot"] == value
    assert out["unsubstituted"] == spec["unsubstituted"]
    assert out["snapshot_order"] == [
        "name",
        "description",
        name,
        "type",
        "lifecycle_state",
        "references",
        "blocks",
    ]
    (create_method, create_body), (patch_method, patch_body) = out["sent"]
    assert create_method == "POST" and create_body[name] == value
    assert patch_method == "PATCH" and patch_body == {"_version": 1, name: other}
    assert out["created"] == value


def test_without_the_row_the_field_is_unknown():
    assert "division" not in fields.MANAGED_FIELDS
    assert fields.attribute("division") is None
