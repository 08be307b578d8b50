"""`archctl migrate terraform DIR --out FOLDER` without a stack (no engine, no network): the public
sms-followup blueprint (tests/data/cxascode) becomes definitions whose substituted Archy text is what
CX-as-Code deploys; a second run writes nothing; an edited file is kept; the report is one JSON document."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from provider.domain.loading import prepare
from tests.support.cli import archctl, archctl_json

DATA = Path(__file__).resolve().parents[1] / "data" / "cxascode"
SMS = DATA / "sms-followup"
TFVARS = {
    "callback_originating_sms_phonenumber": "+19206775555",
    "callback_phonenumber": "+18005551213",
    "callback_division": "Home",
}


def _cx_as_code_text(path: Path, values: dict[str, str]) -> str:
    """What CX-as-Code hands Archy: the file with each {{key}} of the resource's map replaced."""
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: values.get(m.group(1), m.group(0)), path.read_text())


def test_migrate_writes_definitions_deploying_the_same_text(tmp_path: Path) -> None:
    out = tmp_path / "flows"
    run = archctl_json("migrate", "terraform", str(SMS), "--out", str(out), expect=0)
    doc = run.doc
    assert [f["key"] for f in doc["flows"]] == ["sms-eventrigger-flow"]
    assert {p["name"]: p["value"] for p in doc["placeholders"]} == TFVARS
    assert doc["import"] is None and doc["problems"] == [] and doc["untranslated"] == []
    assert sorted(p.name for p in out.iterdir()) == [
        "sms-eventrigger-flow.archy.yaml",
        "sms-eventrigger-flow.yaml",
    ]
    definition = yaml.safe_load((out / "sms-eventrigger-flow.yaml").read_text())
    assert definition["archy"] == "sms-eventrigger-flow.archy.yaml"
    assert definition["lifecycle_state"] == "published"
    assert definition["substitutions"]["callback_division"] == "{{callback_division}}"
    source = SMS / "architect" / "callback_sms_eventrigger_flow.yaml.tftpl"
    assert (out / "sms-eventrigger-flow.archy.yaml").read_text() == source.read_text()
    # With the tfvars values as a stack's substitutions, the loader deploys what CX-as-Code did.
    prepared = prepare(out, TFVARS, platform="genesys-cloud")
    assert prepared.ok, prepared.problems
    assert prepared.definitions["sms-eventrigger-flow"].archy == _cx_as_code_text(source, TFVARS)  # type: ignore[attr-defined]

    # Again: nothing changes; an edited file is kept (and reported), not overwritten.
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    archctl_json("migrate", "terraform", str(SMS), "--out", str(out), expect=0)
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before
    (out / "sms-eventrigger-flow.yaml").write_text(
        "# mine\n" + (out / "sms-eventrigger-flow.yaml").read_text()
    )
    run = archctl_json("migrate", "terraform", str(SMS), "--out", str(out), expect=0)
    assert run.doc["kept_files"] == ["sms-eventrigger-flow.yaml"] and run.doc["written"] == []
    assert (out / "sms-eventrigger-flow.yaml").read_text().startswith("# mine")


def test_a_flow_the_loader_refuses_writes_nothing_and_bad_input_is_one_message(tmp_path: Path) -> None:
    config = tmp_path / "tf"
    config.mkdir()
    (config / "main.tf").write_text('resource "genesyscloud_flow" "f" {\n  filepath = "f.yaml"\n}\n')
    (config / "f.yaml").write_text("inboundCall:\n  name: [not, a, name]\n")
    out = tmp_path / "flows"
    run = archctl_json("migrate", "terraform", str(config), "--out", str(out), expect=1)
    assert run.doc["problems"] and "'f'" in run.doc["problems"][0]
    assert not out.exists()
    (config / "main.tf").write_text('resource "genesyscloud_flow" "f" {\n  filepath = \n')
    run = archctl("migrate", "terraform", str(config), "--out", str(out))
    assert run.code == 2 and "main.tf: not valid HCL" in run.err and "Traceback" not in run.err
    run = archctl("migrate", "terraform", str(config))
    assert run.code == 2 and "--out FOLDER or --stack S" in run.err
