"""Genesys-cloud definitions (Archy content) through the registry's `prepare` for "genesys-cloud": the
sample set loads in dependency order, and every bad input is a problem naming flow, field and rule."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from provider import platforms
from provider.domain import archy, files
from provider.domain.convert import document
from provider.domain.loading import RULE_OTHER_CONTENT as RULE_ARCHY_PLATFORM
from provider.domain.loading import RULE_PLACEHOLDER, PreparedSet
from provider.domain.problems import RULE_CYCLE, RULE_UNKNOWN, RULE_UNPUBLISHED
from provider.platforms.genesys_cloud.loading import (
    RULE_ARCHIVED,
    RULE_ARCHY_FILE,
    RULE_BLOCKS,
    RULE_NAME_MISMATCH,
    RULE_TYPE_MISMATCH,
    ArchyDefinition,
)

SAMPLES = Path(__file__).resolve().parents[3] / "flows" / "genesys-cloud"
SUBS = {"env_label": "(dev)", "greeting": "Hi", "schedule_group": "G", "support_queue": "Q"}
GC = "genesys-cloud"


def prepare(folder: Path, subs: dict[str, str], *, platform: str) -> PreparedSet:
    return platforms.kind(platform).prepare(folder, subs)


def module(name: str, extra: str = "") -> str:
    return f"commonModule:\n  name: {name}\n  states:\n    - state:\n        name: S\n{extra}"


def inbound(name: str, *modules: str, transfer: str | None = None) -> str:
    pad = " " * 10
    call = f"{pad}- callCommonModule:\n{pad}    commonModule:\n"
    actions = "".join(f"{call}{pad}      {m}: {{}}\n" for m in modules)
    if transfer:
        actions += f"{pad}- transferToFlow:\n{pad}    targetFlow:\n{pad}      name: {transfer}\n"
    body = actions or f"{pad}[]\n"
    return f"inboundCall:\n  name: {name}\n  tasks:\n    - task:\n        actions:\n{body}"


def write(folder: Path, key: str, text: str, state: str = "published", extra: str = "") -> None:
    (folder / f"{key}.archy.yaml").write_text(text)
    (folder / f"{key}.yaml").write_text(f"archy: {key}.archy.yaml\nlifecycle_state: {state}\n{extra}")


def rules_of(folder: Path) -> set[tuple[str, str, str]]:
    prepared = prepare(folder, {}, platform=GC)
    return {(p.flow, p.field, p.rule) for p in prepared.problems}


def test_sample_set_loads_in_dependency_order_with_derived_references() -> None:
    prepared = prepare(SAMPLES, SUBS, platform=GC)
    assert prepared.problems == []
    assert len(prepared.order) == 7
    position = {key: i for i, key in enumerate(prepared.order)}
    for key, definition in prepared.definitions.items():
        for ref in definition.references:
            assert position[ref] < position[key], (ref, key)
    main = prepared.definitions["main-ivr"]
    assert isinstance(main, ArchyDefinition)
    assert sorted(main.references) == ["billing-line", "support-line"]
    assert main.name == "Main IVR (dev)" and str(main.type) == "INBOUNDCALL"
    assert "{{" not in main.archy and "Hi" in main.archy
    doc = document(main)
    assert doc.blocks is None and doc.archy == main.archy


def test_archy_files_are_content_not_definitions() -> None:
    listed = [p.name for p in files.definition_files(SAMPLES)[0]]
    assert listed and not any(".archy." in name for name in listed)


def test_inline_archy_text(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(
        "lifecycle_state: published\narchy: |\n  commonModule:\n    name: M {{env_label}}\n"
    )
    prepared = prepare(tmp_path, SUBS, platform=GC)
    assert prepared.problems == []
    assert prepared.definitions["m"].name == "M (dev)"


def test_unknown_placeholder_names_flow_field_and_placeholder(tmp_path: Path) -> None:
    shutil.copytree(SAMPLES, tmp_path / "f")
    prepared = prepare(tmp_path / "f", {k: v for k, v in SUBS.items() if k != "greeting"}, platform=GC)
    assert [(p.flow, p.field, p.rule) for p in prepared.problems] == [("main-ivr", "archy", RULE_PLACEHOLDER)]
    assert "{{greeting}}" in prepared.problems[0].message


def test_every_bad_input_is_reported_at_once(tmp_path: Path) -> None:
    write(tmp_path, "unparseable", "inboundCall: [unclosed\n")
    write(tmp_path, "unknown-ref", inbound("U", "Nowhere"))
    write(
        tmp_path,
        "a",
        module(
            "A",
            "        actions:\n          - callCommonModule:\n"
            "              commonModule:\n                B: {}\n",
        ),
    )
    write(
        tmp_path,
        "b",
        module(
            "B",
            "        actions:\n          - callCommonModule:\n"
            "              commonModule:\n                A: {}\n",
        ),
    )
    write(tmp_path, "draft-mod", module("D"), state="draft")
    write(tmp_path, "uses-draft", inbound("UD", "D"))
    write(tmp_path, "wrong-type", inbound("WT"), extra="type: COMMONMODULE\n")
    write(tmp_path, "wrong-name", inbound("WN"), extra="name: Other\n")
    write(tmp_path, "old", inbound("O"), state="archived")
    write(tmp_path, "blocky", inbound("BL"), extra="blocks: []\n")
    write(tmp_path, "declared", inbound("DE", "A"), extra="references: [b]\n")
    (tmp_path / "outside.yaml").write_text("archy: ../elsewhere.archy.yaml\nlifecycle_state: draft\n")
    found = rules_of(tmp_path)
    expected = {
        ("unparseable", "archy", archy.RULE_ARCHY_INVALID),
        ("unknown-ref", "inboundCall.tasks[0].task.actions[0].callCommonModule", RULE_UNKNOWN),
        ("uses-draft", "references[0]", RULE_UNPUBLISHED),
        ("wrong-type", "type", RULE_TYPE_MISMATCH),
        ("wrong-name", "name", RULE_NAME_MISMATCH),
        ("old", "lifecycle_state", RULE_ARCHIVED),
        ("blocky", "blocks", RULE_BLOCKS),
        ("declared", "references", archy.RULE_REFERENCES_DISAGREE),
        ("outside", "archy", RULE_ARCHY_FILE),
    }
    assert expected <= found, expected - found
    # A cycle is no problem on this platform (deployed with a stub first): named as a note.
    assert not any(rule == RULE_CYCLE for _, _, rule in found)
    prepared = prepare(tmp_path, {}, platform=GC)
    cycle = next(p for p in prepared.notes if p.rule == RULE_CYCLE)
    assert (cycle.flow, cycle.field) == (
        "a",
        "archy: commonModule.states[0].state.actions[0].callCommonModule",
    )
    assert "a → b → a" in cycle.message


def test_a_cycle_of_archy_references_names_the_archy_path_of_its_edge(tmp_path: Path) -> None:
    """A cycle made of references derived from the Archy content is reported on its first flow with
    the field naming where, in that flow's document, the edge to the next flow is."""
    write(tmp_path, "front", inbound("Front", transfer="Middle"))
    write(tmp_path, "middle", inbound("Middle", transfer="Back"))
    write(tmp_path, "back", inbound("Back", transfer="Front"))
    write(tmp_path, "selfish", inbound("Selfish", transfer="Selfish"))
    prepared = prepare(tmp_path, {}, platform=GC)
    problems = prepared.problems
    [cycle] = [p for p in prepared.notes if p.rule == RULE_CYCLE]
    assert prepared.by_name == {"middle": ["back"]}  # the walk from `back`: back → front → middle
    assert cycle.flow == "back" and cycle.message == "references form a cycle: back → front → middle → back"
    assert cycle.field == "archy: inboundCall.tasks[0].task.actions[0].transferToFlow"
    assert "field 'archy: inboundCall.tasks[0].task.actions[0].transferToFlow'" in str(cycle)
    [itself] = [p for p in problems if p.flow == "selfish"]
    assert (itself.field, itself.rule) == (
        "archy: inboundCall.tasks[0].task.actions[0].transferToFlow",
        RULE_UNKNOWN,
    )


def test_a_cycle_of_drafts_is_refused_before_any_write_naming_the_cycle_and_rule(tmp_path: Path) -> None:
    """Its stub would be published and its draft content never adopted over it: one problem on the
    flow the cycle closes on, naming the cycle, the holder and the rule; a published cycle passes."""
    write(tmp_path, "billing", inbound("Billing Line", transfer="Main IVR"), state="draft")
    write(tmp_path, "main-ivr", inbound("Main IVR", transfer="Billing Line"), state="draft")
    prepared = prepare(tmp_path, {}, platform=GC)
    assert prepared.by_name == {"main-ivr": ["billing"]}
    [problem] = [p for p in prepared.problems if p.rule == RULE_CYCLE]
    assert (problem.flow, problem.field) == ("billing", "lifecycle_state")
    assert "billing → main-ivr → billing" in problem.message and "'main-ivr' uses it" in problem.message
    assert "is draft" in str(problem) and "published" in problem.message
    for key, name, to in (("billing", "Billing Line", "Main IVR"), ("main-ivr", "Main IVR", "Billing Line")):
        write(tmp_path, key, inbound(name, transfer=to))
    assert prepare(tmp_path, {}, platform=GC).problems == []


def test_the_cycle_field_is_the_edge_of_the_reported_flow(tmp_path: Path) -> None:
    """Each flow's edge is at its own path: the field follows the flow the cycle is reported on."""
    write(tmp_path, "a", inbound("A", "M"))  # a's edge to m: a callCommonModule
    write(
        tmp_path,
        "m",
        module(
            "M",
            "        actions:\n          - transferToFlow:\n"
            "              targetFlow:\n                name: A\n",
        ),
    )
    [cycle] = [p for p in prepare(tmp_path, {}, platform=GC).notes if p.rule == RULE_CYCLE]
    assert cycle.flow == "a" and "a → m → a" in cycle.message
    assert cycle.field == "archy: inboundCall.tasks[0].task.actions[0].callCommonModule"


def test_ambiguous_name(tmp_path: Path) -> None:
    write(tmp_path, "one", inbound("Same"))
    (tmp_path / "two.archy.yaml").write_text("inboundChat:\n  name: Same\n")
    (tmp_path / "two.yaml").write_text("archy: two.archy.yaml\nlifecycle_state: published\n")
    write(tmp_path, "caller", inbound("C", transfer="Same"))
    where = "inboundCall.tasks[0].task.actions[0].transferToFlow"
    assert ("caller", where, archy.RULE_AMBIGUOUS) in rules_of(tmp_path)


@pytest.mark.parametrize("platform", ["architecture-api"])
def test_archy_on_the_architecture_api_names_the_file(tmp_path: Path, platform: str) -> None:
    write(tmp_path, "m", module("M"))
    problems = prepare(tmp_path, {}, platform=platform).problems
    hit = [p for p in problems if p.rule == RULE_ARCHY_PLATFORM]
    assert hit and hit[0].flow == "m" and "m.yaml" in hit[0].message
