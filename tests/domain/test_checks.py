"""The neutral checks every platform shares (provider/domain/checks.py): name, description, a known
type and lifecycle state, references a list of keys; all problems at once, never raising."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provider.domain.checks import check_fields, is_state_dependent
from provider.domain.fields import FlowType, LifecycleState
from provider.domain.live import LiveFlow
from provider.domain.problems import (
    RULE_INVALID,
    RULE_REQUIRED,
    RULE_TRANSITION,
    RULE_UNKNOWN,
    Problem,
)

GOOD = {
    "name": "Main Menu",
    "description": "d",
    "type": "INBOUNDCALL",
    "lifecycle_state": "draft",
    "references": ["r1"],
}
CURRENT = LiveFlow(id="f-1", name="Main Menu", type="INBOUNDCALL", lifecycle_state="draft", revision="4")


def rules(problems: list[Problem]) -> list[tuple[str, str]]:
    return [(p.field, p.rule) for p in problems]


def test_good_fields_have_no_problems():
    assert check_fields(GOOD, flow="main") == []
    assert (
        check_fields({**GOOD, "type": FlowType.BOT, "lifecycle_state": LifecycleState.PUBLISHED}, flow="m")
        == []
    )


@pytest.mark.parametrize(
    ("change", "field", "rule", "message"),
    [
        ({"name": None}, "name", RULE_REQUIRED, "name is required"),
        ({"name": "   "}, "name", RULE_REQUIRED, "name must not be blank"),
        ({"name": "x" * 201}, "name", RULE_INVALID, "name is 201 characters; at most 200 are allowed"),
        ({"name": 12}, "name", RULE_INVALID, "name must be a string, not int"),
        (
            {"description": "d" * 2001},
            "description",
            RULE_INVALID,
            "description is 2001 characters; at most 2000 are allowed",
        ),
        ({"description": ["x"]}, "description", RULE_INVALID, "must be a string, not list"),
        ({"type": "FAX"}, "type", RULE_INVALID, "type 'FAX' is not one of BOT, BUSINESSPROCESS,"),
        (
            {"lifecycle_state": None},
            "lifecycle_state",
            RULE_REQUIRED,
            "required on create (draft or published)",
        ),
        (
            {"lifecycle_state": "live"},
            "lifecycle_state",
            RULE_INVALID,
            "lifecycle_state 'live' is not one of draft, published, archived",
        ),
        ({"references": "r1"}, "references", RULE_INVALID, "must be a list of flow ids, not str"),
        (
            {"references": ["r1", "r1"]},
            "references[1]",
            RULE_INVALID,
            "reference 'r1' is listed more than once",
        ),
        (
            {"references": ["r1", ""]},
            "references[1]",
            RULE_INVALID,
            "a reference must be a non-empty flow id, not ''",
        ),
    ],
)
def test_each_bad_input_case(change, field, rule, message):
    problems = check_fields({**GOOD, **change}, flow="main")
    assert len(problems) == 1, rules(problems)
    assert (problems[0].flow, problems[0].field, problems[0].rule) == ("main", field, rule)
    assert problems[0].message.startswith(message)


def test_missing_name_key_and_not_a_mapping():
    data = {k: v for k, v in GOOD.items() if k != "name"}
    assert rules(check_fields(data, flow="f")) == [("name", RULE_REQUIRED)]
    problems = check_fields(["not", "a", "mapping"], flow="f")
    assert rules(problems) == [("", RULE_INVALID)]
    assert problems[0].message == "a flow definition must be a mapping, not list"


def test_an_update_needs_no_state_and_may_not_reference_itself():
    data = {**GOOD, "lifecycle_state": None, "references": ["r1", "f-1"]}
    assert rules(check_fields(data, flow="f", current=CURRENT)) == [("references[1]", RULE_UNKNOWN)]
    assert check_fields(data, flow="f", current=CURRENT)[0].message == "a flow cannot reference itself"
    # on a create the same reference is no problem here (the graph pre-check reports a self-cycle)
    assert rules(check_fields(data, flow="f")) == [("lifecycle_state", RULE_REQUIRED)]


def test_what_a_platform_decides_is_left_to_it():
    """Create states, transitions, unknown keys and the content's shape are a platform's rules."""
    data = {**GOOD, "lifecycle_state": "archived", "colour": "red", "id": "x", "blocks": "not a tree"}
    assert check_fields(data, flow="f") == []
    archived = LiveFlow(**{**CURRENT.__dict__, "lifecycle_state": "archived"})
    assert check_fields({**GOOD, "lifecycle_state": "published"}, flow="f", current=archived) == []


def test_state_dependent_problems():
    assert is_state_dependent(Problem("f", "lifecycle_state", RULE_TRANSITION, "x"))
    assert not is_state_dependent(Problem("f", "lifecycle_state", RULE_INVALID, "x"))
    assert not is_state_dependent(Problem("f", "name", RULE_TRANSITION, "x"))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)
keys = st.sampled_from(["name", "description", "type", "lifecycle_state", "references", "junk"])


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.dictionaries(keys, json_values, max_size=6) | json_values)
def test_never_raises_on_arbitrary_yaml_like_input(data):
    problems = check_fields(data, flow="fuzz")
    assert all(isinstance(p, Problem) and p.flow == "fuzz" and p.rule for p in problems)
