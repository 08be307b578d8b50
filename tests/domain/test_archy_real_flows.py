"""Genesys-cloud definitions as Genesys and CX-as-Code users keep them (issue 19): per-flow
substitutions, duplicates before any call, CX-as-Code's layout (`MyFlow.yaml`, `.yaml.tftpl`), flows
declared external, and bot / in-queue references ordered like the others."""

from __future__ import annotations

from pathlib import Path

from provider.domain import archy
from provider.domain.fields import FlowType
from provider.domain.loading import RULE_PLACEHOLDER, render_scalar
from provider.domain.problems import RULE_UNKNOWN
from provider.platforms.genesys_cloud.loading import (
    RULE_ARCHY_CONTENT,
    RULE_DUPLICATE,
    RULE_EXTERNAL,
    RULE_SUBSTITUTIONS,
    ArchyDefinition,
    ExternalFlow,
    prepare_archy,
)

GC = "genesys-cloud"


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def definition(archy_file: str, extra: str = "") -> str:
    return f"archy: {archy_file}\nlifecycle_state: published\n{extra}"


def archy_definition(prepared, key: str) -> ArchyDefinition:
    found = prepared.definitions[key]
    assert isinstance(found, ArchyDefinition)
    return found


# -- per-flow substitutions ------------------------------------------------------------------------


def test_a_flows_own_substitutions_win_and_may_use_the_stacks(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "billing.yaml": definition(
                "Billing.yaml",
                'substitutions:\n  flow_name: "Billing {{env_label}}"\n  recorded: true\n  tries: 3\n',
            ),
            "Billing.yaml": "inboundCall:\n  name: {{flow_name}}\n  x: {{recorded}} {{tries}} {{shared}}\n",
        },
    )
    stack = {"env_label": "(dev)", "flow_name": "ignored: the flow's own value wins", "shared": "S"}
    prepared = prepare_archy(tmp_path, stack)
    assert prepared.problems == []
    flow = archy_definition(prepared, "billing")
    assert flow.name == "Billing (dev)"
    assert "x: true 3 S" in flow.archy  # YAML's scalars, not Python's `True`


def test_two_stacks_give_a_flow_two_names_through_its_own_substitutions(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "billing.yaml": definition(
                "billing.yaml.tftpl", 'substitutions:\n  flow_name: "Billing {{env}}"\n'
            ),
            "billing.yaml.tftpl": "inboundCall:\n  name: {{flow_name}}\n",
        },
    )
    names = {
        env: prepare_archy(tmp_path, {"env": env}).definitions["billing"].name for env in ("dev", "prod")
    }
    assert names == {"dev": "Billing dev", "prod": "Billing prod"}


def test_a_placeholder_neither_map_fills_names_the_flow_and_the_placeholder(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a.yaml": definition("A.yaml", "substitutions:\n  flow_name: A\n"),
            "A.yaml": 'inboundCall:\n  name: {{flow_name}}\n  q: "{{queue_name}}"\n',
        },
    )
    (problem,) = prepare_archy(tmp_path, {"env": "dev"}).problems
    assert (problem.flow, problem.field, problem.rule) == ("a", "archy", RULE_PLACEHOLDER)
    assert (
        "{{queue_name}}" in problem.message and "flow's own substitutions define flow_name" in problem.message
    )


def test_bad_substitutions_are_problems_not_tracebacks(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a.yaml": definition("A.yaml", "substitutions:\n  ok: x\n  nested: {a: 1}\n  v: '{{nope}}'\n"),
            "A.yaml": "inboundCall:\n  name: A\n",
            "b.yaml": definition("B.yaml", "substitutions: [1]\n"),
            "B.yaml": "inboundCall:\n  name: B\n",
        },
    )
    found = {(p.flow, p.field, p.rule) for p in prepare_archy(tmp_path, {}).problems}
    assert found == {
        ("a", "substitutions.nested", RULE_SUBSTITUTIONS),
        ("a", "substitutions.v", RULE_PLACEHOLDER),
        ("b", "substitutions", RULE_SUBSTITUTIONS),
    }


def test_scalars_render_as_yaml_writes_them() -> None:
    assert [render_scalar(v) for v in (True, False, None, 3, 1.5, "x")] == [
        "true",
        "false",
        "null",
        "3",
        "1.5",
        "x",
    ]


# -- duplicates ------------------------------------------------------------------------------------


def test_two_definitions_of_one_type_and_name_are_one_problem_naming_both(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "first.yaml": definition("One.yaml", "substitutions:\n  n: Billing\n"),
            "One.yaml": "inboundCall:\n  name: {{n}}\n",
            "second.yaml": definition("Two.yaml"),
            "Two.yaml": "inboundCall:\n  name: BILLING\n",
            "third.yaml": definition("Three.yaml"),
            "Three.yaml": "inboundChat:\n  name: Billing\n",  # another type: not a duplicate
        },
    )
    prepared = prepare_archy(tmp_path, {})
    (problem,) = prepared.problems
    assert (problem.flow, problem.field, problem.rule) == ("first", "name", RULE_DUPLICATE)
    assert "first (first.yaml) and second (second.yaml)" in problem.message
    assert "INBOUNDCALL" in problem.message
    assert set(prepared.definitions) == {"third"}


# -- CX-as-Code's layout ----------------------------------------------------------------------------


def test_archy_files_named_by_a_definition_are_content_in_any_of_the_three_forms(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.yaml": definition("MainFlow.yaml", "substitutions:\n  flow_name: Main\n"),
            # Not valid YAML before substitution (`{{flow_name}}` reads as a mapping key): still content.
            "MainFlow.yaml": "inboundCall:\n  name: {{flow_name}}\n",
            "queue.yaml": definition("Queue.yml"),
            "Queue.yml": "inqueueCall:\n  name: Hold\n",
            "tpl.yaml": definition("bot.yaml.tftpl"),
            "bot.yaml.tftpl": "botFlow:\n  name: Helper\n",
        },
    )
    prepared = prepare_archy(tmp_path, {})
    assert prepared.problems == []
    assert {k: d.type for k, d in prepared.definitions.items()} == {
        "main": FlowType.INBOUNDCALL,
        "queue": FlowType.INQUEUECALL,
        "tpl": FlowType.BOT,
    }


def test_a_stray_archy_file_is_one_problem_pointing_at_archy(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "Stray.yaml": "inboundShortMessage:\n  name: Stray\n",
            "Templated.yaml": "inqueueCall:\n  name: {{flow_name}}\n",  # not YAML until substituted
            "Misspelt.yaml": "inQueueCall:\n  name: Old\n",
            "With space.yaml": "workflow:\n  name: W\n",  # not a valid key either: still one problem
        },
    )
    problems = prepare_archy(tmp_path, {}).problems
    assert sorted((p.flow, p.rule) for p in problems) == [
        ("Misspelt", RULE_ARCHY_CONTENT),
        ("Stray", RULE_ARCHY_CONTENT),
        ("Templated", RULE_ARCHY_CONTENT),
        ("With space", RULE_ARCHY_CONTENT),
    ]
    assert all("this is Archy content: point a definition's `archy:` at it" in p.message for p in problems)


# -- references: bots, in-queue flows, externals ------------------------------------------------------

MESSAGE = """inboundShortMessage:
  name: Front
  settingsActionDefaults:
    transferToFlowSecure: {targetFlow: {name: Not A Reference}}
  states:
    - state:
        actions:
          - callBotFlow:
              botFlow:
                {{bot}}: {ver_latestPublished: {}}
          - transferToAcd:
              overrideInQueueFlow: {name: Hold}
"""


def test_bot_and_in_queue_references_are_derived_and_ordered_first(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "front.yaml": definition("Front.yaml", "substitutions:\n  bot: Helper\n"),
            "Front.yaml": MESSAGE,
            "helper.yaml": definition("Helper.yaml"),
            "Helper.yaml": "botFlow:\n  name: Helper\n",
            "hold.yaml": definition("Hold.yaml"),
            "Hold.yaml": "inqueueShortMessage:\n  name: Hold\n",
        },
    )
    prepared = prepare_archy(tmp_path, {})
    assert prepared.problems == []
    assert prepared.definitions["front"].references == ["helper", "hold"]
    assert prepared.order.index("front") > max(prepared.order.index("helper"), prepared.order.index("hold"))


def test_an_unknown_bot_is_an_error_unless_declared_external(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"front.yaml": definition("Front.yaml"), "Front.yaml": MESSAGE.replace("{{bot}}", "Team Bot")},
    )
    (tmp_path / "hold.yaml").write_text(definition("Hold.yaml"))
    (tmp_path / "Hold.yaml").write_text("inqueueShortMessage:\n  name: Hold\n")
    (problem,) = prepare_archy(tmp_path, {}).problems
    assert (problem.flow, problem.rule) == ("front", RULE_UNKNOWN)
    assert "BOT or DIGITALBOT flow 'Team Bot'" in problem.message and "external" in problem.message
    # Declared external (a placeholder, Archy's key): no problem, no reference, kept for the org check.
    extra = "external:\n  - {type: botFlow, name: '{{team}} Bot'}\n"
    (tmp_path / "front.yaml").write_text(definition("Front.yaml", extra))
    prepared = prepare_archy(tmp_path, {"team": "Team"})
    assert prepared.problems == []
    front = archy_definition(prepared, "front")
    assert front.references == ["hold"]
    assert front.external == [ExternalFlow(type=FlowType.BOT, name="Team Bot")]


def test_an_external_of_the_wrong_type_does_not_cover_the_reference(tmp_path: Path) -> None:
    extra = "external:\n  - {type: INQUEUECALL, name: Team Bot}\n  - {type: nope, name: X}\n  - [1]\n"
    write(
        tmp_path,
        {"front.yaml": definition("Front.yaml", extra), "Front.yaml": MESSAGE.replace("{{bot}}", "Team Bot")},
    )
    found = {(p.field, p.rule) for p in prepare_archy(tmp_path, {}).problems}
    assert ("external[1].type", RULE_EXTERNAL) in found and ("external[2]", RULE_EXTERNAL) in found
    assert any(rule == RULE_UNKNOWN for _, rule in found)


def test_is_external_compares_names_case_insensitively_and_types_the_action_accepts() -> None:
    (ref,) = archy.references({"callBotFlow": {"botFlow": {"helper": {}}}})
    assert archy.is_external(ref, [ExternalFlow(type=FlowType.DIGITALBOT, name="HELPER")])
    assert not archy.is_external(ref, [ExternalFlow(type=FlowType.INBOUNDCALL, name="helper")])


def test_externals_are_bounded_and_repeats_looked_up_once(tmp_path: Path) -> None:
    many = "".join(f"  - {{type: BOT, name: B{i}}}\n" for i in range(101))
    write(
        tmp_path,
        {"a.yaml": definition("A.yaml", "external:\n" + many), "A.yaml": "inboundCall:\n  name: A\n"},
    )
    (problem,) = prepare_archy(tmp_path, {}).problems
    assert (problem.field, problem.rule) == ("external", RULE_EXTERNAL) and "at most 100" in problem.message
    twice = "external:\n  - {type: BOT, name: B}\n  - {type: botFlow, name: b}\n"
    (tmp_path / "a.yaml").write_text(definition("A.yaml", twice))
    flow = archy_definition(prepare_archy(tmp_path, {}), "a")
    assert flow.external == [ExternalFlow(type=FlowType.BOT, name="B")]
