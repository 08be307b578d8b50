"""Flow definitions: loading, substitutions, validation and pre-check, conversion, the JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from provider.domain import loading as defs
from provider.domain.loading import (
    DefinitionError,
    FlowDefinition,
    PreparedSet,
    definitions_schema,
)
from provider.ops.engine import PROJECT_DIR
from provider.platforms.architecture_api.models import to_flow_fields
from provider.platforms.architecture_api.rules import contract_problems

FLOWS = PROJECT_DIR / "flows"
DEV_SUBS = {
    "brand": "Acme Telecom",
    "env_label": "Development",
    "billing_queue": "Billing DEV",
    "support_queue": "Tech Support DEV",
}


def write(directory: Path, key: str, data: Any) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
    (directory / f"{key}.yaml").write_text(text)


def flow(name: str = "A", state: str = "draft", **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "COMMONMODULE", "lifecycle_state": state, **extra}


def prepare(directory: Path, substitutions: dict[str, str] | None = None) -> PreparedSet:
    """The reader as the block-tree platform runs it: with its rules plugged in."""
    return defs.prepare(directory, substitutions, rules=contract_problems)


def load_definitions(directory: Path, substitutions: dict[str, str] | None = None) -> dict[str, Any]:
    return defs.load_definitions(directory, substitutions, rules=contract_problems)


# --------------------------------------------------------------------------------- the sample set


def test_the_sample_set_is_valid_and_shaped_as_promised():
    prepared = prepare(FLOWS, DEV_SUBS)
    assert prepared.ok, prepared.problems
    keys = prepared.definitions
    assert len(keys) >= 6
    refs = {k: set(d.references) for k, d in keys.items()}
    position = {k: i for i, k in enumerate(prepared.order)}
    for key, deps in refs.items():
        assert all(position[d] < position[key] for d in deps)
    # a chain of at least four
    assert "billing-menu" in refs["main-ivr"] and "payment-handler" in refs["billing-menu"]
    assert "secure-payment" in refs["payment-handler"]
    # a diamond: main-ivr → billing-menu, support-menu → customer-lookup
    assert {"billing-menu", "support-menu"} <= refs["main-ivr"]
    assert "customer-lookup" in refs["billing-menu"] & refs["support-menu"]
    # a shared common module used by several flows
    users = [k for k, r in refs.items() if "shared-greeting" in r]
    assert len(users) >= 2 and keys["shared-greeting"].type.value == "COMMONMODULE"
    # drafts and published flows, placeholders filled
    states = {d.lifecycle_state.value for d in keys.values()}
    assert states == {"draft", "published"}
    assert keys["after-hours"].name == "After Hours (Development)"
    assert "{{" not in json.dumps([d.model_dump(mode="json") for d in keys.values()])


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_stack_defines_the_placeholders_the_flows_use(stack: str):
    config = yaml.safe_load((PROJECT_DIR / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    assert config["genesys-flows:clientId"] == f"{stack}-rw"
    assert "secure" in config["genesys-flows:clientSecret"]
    prepared = prepare(FLOWS, config["genesys-flows:substitutions"])
    assert prepared.ok, prepared.problems


def test_the_committed_schema_is_the_generated_one():
    committed = json.loads((FLOWS / defs.SCHEMA_FILE).read_text())
    assert committed == definitions_schema()
    assert (FLOWS / defs.SCHEMA_FILE).read_text() == defs.schema_text()


def test_the_schema_accepts_the_sample_files_and_rejects_typos():
    schema = definitions_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in FLOWS.glob("*.yaml"):
        assert path.read_text().startswith(defs.SCHEMA_MODELINE)
        assert list(validator.iter_errors(yaml.safe_load(path.read_text()))) == [], path
    assert list(validator.iter_errors({"name": "x", "lifecycle_state": "draft", "blocs": []}))
    assert list(validator.iter_errors({"name": "x", "lifecycle_state": "drafty"}))
    nested = {"name": "x", "lifecycle_state": "draft", "blocks": [{"id": "a", "type": "t", "children": [{}]}]}
    assert list(validator.iter_errors(nested))


def test_the_schema_accepts_the_genesys_cloud_samples_and_checks_their_form():
    """The genesys-cloud form (`archy:` file or inline text, lifecycle published|draft, optional
    references, name and type): every sample of flows/genesys-cloud validates; its mistakes do not."""
    validator = jsonschema.Draft202012Validator(definitions_schema())
    samples = sorted(
        p for p in (FLOWS / "genesys-cloud").glob("*.yaml") if not p.name.endswith(".archy.yaml")
    )
    assert len(samples) == 7
    for path in samples:
        assert list(validator.iter_errors(yaml.safe_load(path.read_text()))) == [], path
    inline = {
        "archy": "inboundCall:\n  name: X\n",
        "lifecycle_state": "draft",
        "name": "X",
        "type": "INBOUNDCALL",
    }
    assert list(validator.iter_errors(inline)) == []
    assert list(validator.iter_errors({"archy": "x.archy.yaml", "lifecycle_state": "archived"}))
    assert list(validator.iter_errors({"archy": "x.archy.yaml"}))  # lifecycle_state is required
    assert list(validator.iter_errors({"archy": "", "lifecycle_state": "draft"}))
    assert list(validator.iter_errors({"archy": "x.archy.yaml", "lifecycle_state": "draft", "blocks": []}))
    assert list(
        validator.iter_errors({"archy": "x.archy.yaml", "lifecycle_state": "draft", "references": ["a", "a"]})
    )
    assert list(validator.iter_errors({"archy": "x.archy.yaml", "lifecycle_state": "draft", "type": "NOPE"}))
    # Without `archy`, the block form: its name is required and `archy`-only keys do not apply.
    assert list(validator.iter_errors({"lifecycle_state": "draft"}))


# ----------------------------------------------------------------------------------------- problems


def test_every_problem_is_reported_at_once_naming_flow_field_and_rule(tmp_path: Path):
    write(tmp_path, "a", flow("A {{missing}}", references=["b"]))
    write(tmp_path, "b", flow("B", references=["c"]))
    write(tmp_path, "c", flow("C", references=["a"]))
    write(
        tmp_path,
        "d",
        flow(
            "D",
            state="published",
            references=["nowhere", "e"],
            blocks=[{"id": "x", "type": "t", "children": [{"id": "x", "type": "t", "reference": "f"}]}],
        ),
    )
    write(tmp_path, "e", flow("E"))
    write(tmp_path, "f", {"type": "COMMONMODULE", "lifecycle_state": "draft"})
    prepared = prepare(tmp_path, {})
    found = {(p.flow, p.field, p.rule) for p in prepared.problems}
    assert ("a", "name", defs.RULE_PLACEHOLDER) in found
    assert ("a", "references", "architect.flow.reference.cycle") in found
    assert ("d", "references[0]", "architect.flow.reference.unknown") in found
    assert ("d", "references[1]", "architect.flow.reference.unpublished") in found
    assert ("d", "blocks[0].children[0].id", "architect.flow.block.id.duplicate") in found
    assert ("d", "blocks[0].children[0].reference", "architect.flow.reference.undeclared") in found
    assert ("f", "name", "architect.flow.field.required") in found
    cycle = next(p for p in prepared.problems if p.rule.endswith("cycle"))
    assert "a → b → c → a" in cycle.message
    placeholder = next(p for p in prepared.problems if p.rule == defs.RULE_PLACEHOLDER)
    assert "{{missing}}" in placeholder.message
    with pytest.raises(DefinitionError) as error:
        load_definitions(tmp_path, {})
    assert len(error.value.problems) == len(prepared.problems)
    assert "flow 'a': field 'name'" in str(error.value)


def test_placeholders_are_filled_in_every_string_including_nested_blocks(tmp_path: Path):
    write(
        tmp_path,
        "a",
        flow(
            "{{ team }} menu",
            description="for {{team}} in {{region}}",
            blocks=[{"id": "r", "type": "menu", "children": [{"id": "q", "type": "queue-{{team}}"}]}],
        ),
    )
    prepared = prepare(tmp_path, {"team": "Billing", "region": "EMEA"})
    assert prepared.ok, prepared.problems
    a = prepared.definitions["a"]
    assert a.name == "Billing menu" and a.description == "for Billing in EMEA"
    assert a.blocks[0].children[0].type == "queue-Billing"
    bad = prepare(tmp_path, {"team": "Billing"})
    assert [(p.flow, p.field, p.rule) for p in bad.problems] == [("a", "description", defs.RULE_PLACEHOLDER)]
    assert "{{region}}" in bad.problems[0].message


def test_placeholders_in_enum_fields_work_through_prepare(tmp_path: Path):
    write(tmp_path, "a", {"name": "A", "type": "{{kind}}", "lifecycle_state": "{{state}}"})
    prepared = prepare(tmp_path, {"kind": "WORKFLOW", "state": "published"})
    assert prepared.ok, prepared.problems
    assert prepared.definitions["a"].type.value == "WORKFLOW"


def test_files_that_are_not_definitions(tmp_path: Path):
    write(tmp_path, "broken", "name: [unclosed\n")
    write(tmp_path, "listy", "- 1\n- 2\n")
    write(tmp_path, "_bad key", flow())
    write(tmp_path, "extra", flow(colour="blue"))
    (tmp_path / "notes.txt").write_text("not a definition")
    prepared = prepare(tmp_path, {})
    found = {(p.flow, p.rule) for p in prepared.problems}
    assert ("broken", defs.RULE_YAML) in found
    assert ("listy", "architect.flow.field.invalid") in found
    assert ("_bad key", defs.RULE_KEY) in found
    assert ("extra", "bad.request") in found
    assert prepared.definitions == {}


def test_aliases_name_earlier_keys_and_never_reach_the_api(tmp_path: Path):
    write(tmp_path, "greeting", flow("Greeting", aliases=["old-greeting"]))
    prepared = prepare(tmp_path)
    assert prepared.ok, prepared.problems
    definition = prepared.definitions["greeting"]
    assert definition.aliases == ["old-greeting"]
    assert "aliases" not in to_flow_fields(definition, {}).to_wire()
    assert "aliases" not in defs.as_document(definition)


def test_bad_aliases_are_problems(tmp_path: Path):
    write(tmp_path, "a", flow("A", aliases=["b", "not a key", "old"]))
    write(tmp_path, "b", flow("B", aliases=["old"]))
    write(tmp_path, "c", flow("C", aliases="old"))
    found = {(p.flow, p.field, p.rule) for p in prepare(tmp_path).problems}
    assert found == {
        ("a", "aliases[0]", defs.RULE_ALIAS),  # the key of a current file
        ("a", "aliases[1]", defs.RULE_ALIAS),  # not a key
        ("b", "aliases[0]", defs.RULE_ALIAS),  # already claimed by a
        ("c", "aliases", "architect.flow.field.invalid"),  # not a list
    }


def test_the_platform_rules_are_plugged_in_the_neutral_checks_always_run(tmp_path: Path):
    write(tmp_path, "a", flow("", blocks=[{"id": "x", "type": "t"}, {"id": "x", "type": "t"}]))
    neutral = {(p.field, p.rule) for p in defs.prepare(tmp_path, {}).problems}
    assert neutral == {("name", "architect.flow.field.required")}
    with_rules = {(p.field, p.rule) for p in prepare(tmp_path, {}).problems}
    assert with_rules == neutral | {("blocks[1].id", "architect.flow.block.id.duplicate")}


def test_archived_is_left_to_the_provider(tmp_path: Path):
    """Whether `archived` is allowed depends on the flow's current state, which only Pulumi knows."""
    write(tmp_path, "a", flow(state="archived"))
    assert prepare(tmp_path, {}).ok


def test_load_definitions_without_substitutions_keeps_placeholders():
    loaded = load_definitions(FLOWS)
    assert "{{env_label}}" in loaded["after-hours"].name
    rendered = defs.apply_substitutions(loaded, DEV_SUBS)
    assert rendered["after-hours"].name == "After Hours (Development)"
    with pytest.raises(DefinitionError) as error:
        defs.apply_substitutions(loaded, {})
    assert any(p.flow == "main-ivr" and p.rule == defs.RULE_PLACEHOLDER for p in error.value.problems)


# --------------------------------------------------------------------------------------- conversion


def _definition() -> FlowDefinition:
    return FlowDefinition.model_validate(
        {
            "key": "main",
            "name": "Main",
            "type": "INBOUNDCALL",
            "lifecycle_state": "published",
            "references": ["menu", "greeting"],
            "blocks": [
                {"id": "g", "type": "call", "reference": "greeting"},
                {"id": "m", "type": "menu", "children": [{"id": "x", "type": "call", "reference": "menu"}]},
            ],
        }
    )


def test_dump_definition_round_trips(tmp_path: Path):
    text = defs.dump_definition(_definition())
    assert text.startswith(defs.SCHEMA_MODELINE)
    (tmp_path / "main.yaml").write_text(text)
    (tmp_path / "menu.yaml").write_text(defs.dump_definition(flow("Menu", "published")))
    (tmp_path / "greeting.yaml").write_text(defs.dump_definition(flow("Greeting", "published")))
    loaded = load_definitions(tmp_path, {})
    assert defs.as_document(loaded["main"]) == defs.as_document(_definition())
