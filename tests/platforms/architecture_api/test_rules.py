"""The Architecture API's rules (provider/platforms/architecture_api/rules.py): every contract rule
checkable without the server, all problems at once. The neutral checks they come with are pinned in
tests/domain/test_checks.py."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provider.domain.checks import check_fields
from provider.domain.fields import LifecycleState
from provider.domain.live import LiveFlow
from provider.domain.problems import (
    RULE_BAD_REQUEST,
    RULE_BLOCK_DUPLICATE,
    RULE_BLOCK_LIMIT,
    RULE_IMMUTABLE,
    RULE_INVALID,
    RULE_REQUIRED,
    RULE_TRANSITION,
    RULE_UNDECLARED,
    RULE_UNKNOWN,
    Problem,
)
from provider.platforms.architecture_api.kind import KIND
from provider.platforms.architecture_api.models import Flow, FlowFields
from provider.platforms.architecture_api.rules import (
    contract_problems,
    validate_flow,
    validate_reference_declared,
)

GOOD = {
    "name": "Main Menu",
    "description": "d",
    "type": "INBOUNDCALL",
    "lifecycle_state": "draft",
    "blocks": [
        {"id": "root", "type": "menu", "children": [{"id": "xfer", "type": "transfer", "reference": "r1"}]}
    ],
    "references": ["r1"],
}


def current(state: str = "draft", **extra) -> Flow:
    return Flow.model_validate({**GOOD, "id": "f-1", "_version": 4, "lifecycle_state": state, **extra})


def rules(problems: list[Problem]) -> list[tuple[str, str]]:
    return [(p.field, p.rule) for p in problems]


def test_good_flow_has_no_problems():
    assert validate_flow(GOOD, flow="main") == []
    assert validate_flow(FlowFields.model_validate(GOOD), flow="main") == []


def test_problem_str_names_flow_field_rule():
    problems = validate_flow(
        {
            **GOOD,
            "blocks": [
                {"id": "root", "type": "m", "children": [{"id": "x", "type": "t"}, {"id": "x", "type": "t"}]}
            ],
        },
        flow="main-menu",
    )
    assert [str(p) for p in problems] == [
        "flow 'main-menu': field 'blocks[0].children[1].id': architect.flow.block.id.duplicate: "
        "block id 'x' is used twice (first at blocks[0].children[0])"
    ]


@pytest.mark.parametrize(
    ("change", "field", "rule", "needle"),
    [
        (
            {"lifecycle_state": "archived"},
            "lifecycle_state",
            RULE_TRANSITION,
            "only be created as draft or published",
        ),
        (
            {"references": []},
            "blocks[0].children[0].reference",
            RULE_UNDECLARED,
            "also be listed in references",
        ),
        ({"blocks": {"id": "x"}}, "blocks", RULE_INVALID, "list of blocks"),
        ({"blocks": ["x"]}, "blocks[0]", RULE_INVALID, "mapping"),
        ({"blocks": [{"type": "t"}]}, "blocks[0].id", RULE_REQUIRED, "block id is required"),
        ({"blocks": [{"id": "no spaces", "type": "t"}]}, "blocks[0].id", RULE_INVALID, "1-64 of"),
        ({"blocks": [{"id": "x" * 65, "type": "t"}]}, "blocks[0].id", RULE_INVALID, "1-64 of"),
        ({"blocks": [{"id": "a"}]}, "blocks[0].type", RULE_REQUIRED, "block type is required"),
        ({"blocks": [{"id": "a", "type": ""}]}, "blocks[0].type", RULE_INVALID, "1-64 characters"),
        ({"blocks": [{"id": "a", "type": "t" * 65}]}, "blocks[0].type", RULE_INVALID, "1-64 characters"),
        ({"blocks": [{"id": "a", "type": "t", "children": "b"}]}, "blocks[0].children", RULE_INVALID, "list"),
        (
            {"blocks": [{"id": "a", "type": "t", "color": 1}]},
            "blocks[0].color",
            RULE_BAD_REQUEST,
            "unknown block",
        ),
        (
            {"blocks": [{"id": "a", "type": "t"}, {"id": "a", "type": "t"}]},
            "blocks[1].id",
            RULE_BLOCK_DUPLICATE,
            "twice",
        ),
        ({"colour": "red"}, "colour", RULE_BAD_REQUEST, "unknown field"),
        ({"id": "abc"}, "id", RULE_BAD_REQUEST, "assigned by the server"),
        ({"_version": 1}, "_version", RULE_BAD_REQUEST, "assigned by the server"),
    ],
)
def test_each_bad_input_case(change, field, rule, needle):
    data = {**GOOD, **change}
    problems = validate_flow(data, flow="main")
    matching = [p for p in problems if p.field == field and p.rule == rule]
    assert matching, rules(problems)
    assert needle in matching[0].message
    assert matching[0].flow == "main"


def test_depth_limit():
    block: dict = {"id": "b21", "type": "t"}
    for level in range(20, 0, -1):
        block = {"id": f"b{level}", "type": "t", "children": [block]}
    problems = validate_flow({**GOOD, "blocks": [block]}, flow="deep")
    assert [p.rule for p in problems] == [RULE_BLOCK_LIMIT]
    assert "20" in problems[0].message
    # exactly 20 levels is fine
    assert validate_flow({**GOOD, "blocks": block["children"]}, flow="deep") == []


def test_count_limit():
    blocks = [{"id": f"b{i}", "type": "t"} for i in range(2000)]
    assert validate_flow({**GOOD, "blocks": blocks}, flow="big") == []
    blocks.append({"id": "one-more", "type": "t"})
    problems = validate_flow({**GOOD, "blocks": blocks}, flow="big")
    assert [p.rule for p in problems] == [RULE_BLOCK_LIMIT] and "2000" in problems[0].message


def test_very_deep_tree_does_not_recurse():
    block: dict = {"id": "leaf", "type": "t"}
    for level in range(50_000):
        block = {"id": f"b{level}", "type": "t", "children": [block]}
    problems = validate_flow({**GOOD, "blocks": [block]}, flow="deep")
    assert {p.rule for p in problems} == {RULE_BLOCK_LIMIT}


def test_all_problems_at_once():
    data = {
        "name": "",
        "type": "NOPE",
        "lifecycle_state": "archived",
        "blocks": [{"id": "a"}, {"id": "a", "type": "t"}],
    }
    found = {p.rule for p in validate_flow(data, flow="f")}
    assert found == {RULE_REQUIRED, RULE_INVALID, RULE_TRANSITION, RULE_BLOCK_DUPLICATE}


@pytest.mark.parametrize(
    ("before", "after", "ok"),
    [
        ("draft", "published", True),
        ("draft", "archived", True),
        ("published", "draft", True),
        ("published", "archived", True),
        ("archived", "draft", True),
        ("archived", "published", False),
        ("archived", "archived", True),
        ("published", "published", True),
    ],
)
def test_lifecycle_transitions_against_current(before, after, ok):
    problems = validate_flow({**GOOD, "lifecycle_state": after}, flow="f", current=current(before))
    assert (problems == []) is ok
    if not ok:
        assert problems[0].rule == RULE_TRANSITION and "archived to published" in problems[0].message


def test_immutable_fields_and_self_reference_on_update():
    problems = validate_flow(
        {**GOOD, "type": "BOT", "id": "other", "references": ["r1", "f-1"]}, flow="f", current=current()
    )
    assert set(rules(problems)) == {
        ("type", RULE_IMMUTABLE),
        ("id", RULE_IMMUTABLE),
        ("references[1]", RULE_UNKNOWN),
    }
    # server fields are fine on update when unchanged
    assert validate_flow({**GOOD, "id": "f-1", "_version": 4}, flow="f", current=current()) == []


def test_validate_reference_declared():
    data = {**GOOD, "references": []}
    problems = validate_reference_declared(data, flow="f")
    assert [p.rule for p in problems] == [RULE_UNDECLARED]


def test_enum_members_and_models_accepted_in_mappings():
    data = {**GOOD, "lifecycle_state": LifecycleState.PUBLISHED}
    assert validate_flow(data, flow="f") == []


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)
keys = st.sampled_from(
    ["name", "description", "type", "lifecycle_state", "blocks", "references", "id", "junk"]
)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.dictionaries(keys, json_values, max_size=7) | json_values)
def test_never_raises_on_arbitrary_yaml_like_input(data):
    problems = validate_flow(data, flow="fuzz")
    assert all(isinstance(p, Problem) for p in problems)
    assert all(p.flow == "fuzz" and p.rule for p in problems)


def test_the_contract_is_the_neutral_checks_and_the_platform_rules():
    data = {**GOOD, "name": " ", "colour": "red", "lifecycle_state": "archived", "references": ["r1", "r1"]}
    neutral = check_fields(data, flow="f")
    own = contract_problems(data, flow="f")
    assert rules(neutral) == [("name", RULE_REQUIRED), ("references[1]", RULE_INVALID)]
    assert rules(own) == [("colour", RULE_BAD_REQUEST), ("lifecycle_state", RULE_TRANSITION)]
    assert validate_flow(data, flow="f") == neutral + own
    # the platform's rules never repeat a neutral problem
    assert contract_problems({**GOOD, "type": "FAX", "lifecycle_state": "live"}, flow="f") == []


def test_a_live_flow_is_a_current_as_the_clients_flow_is():
    live = LiveFlow(id="f-1", name="x", type="INBOUNDCALL", lifecycle_state="archived", revision="4")
    data = {**GOOD, "lifecycle_state": "published", "type": "BOT", "references": ["r1", "f-1"]}
    assert validate_flow(data, flow="f", current=live) == validate_flow(
        data, flow="f", current=current("archived")
    )
    assert set(rules(validate_flow(data, flow="f", current=live))) == {
        ("lifecycle_state", RULE_TRANSITION),
        ("type", RULE_IMMUTABLE),
        ("references[1]", RULE_UNKNOWN),
    }


def test_the_registry_row_plugs_the_rules_in_with_the_current_flow():
    live = LiveFlow(id="k", name="x", type="INBOUNDCALL", lifecycle_state="archived", revision="")
    data = {**GOOD, "lifecycle_state": "published"}
    assert rules(KIND.field_problems(data, flow="f", current=live)) == [("lifecycle_state", RULE_TRANSITION)]
    assert KIND.field_problems(data, flow="f") == []
    unsupported = KIND.field_problems({**GOOD, "type": "EMAILSEND"}, flow="f")
    assert rules(unsupported) == [("type", RULE_INVALID)]
    assert "not supported by the architecture-api platform" in unsupported[0].message
