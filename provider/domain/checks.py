"""The checks every platform shares on one flow's managed fields, without the network: the name, the
simple fields of the field table (their kind and length), a known flow type and lifecycle state,
and the references as a list of flow keys.

`check_fields` returns *all* problems at once and never raises on bad input (raw YAML data with
wrong types included). A platform adds its own rules (`FieldRules`, e.g. the Architecture API's
block tree and lifecycle transitions: provider/platforms/architecture_api/rules.py); rules that need
the whole set of flows (unknown references, cycles) live in `provider.domain.graph`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from typing import Any, Protocol

from pydantic import BaseModel

from provider.domain.fields import ATTRIBUTES, Attribute, FlowType, LifecycleState, ValueKind
from provider.domain.problems import RULE_INVALID, RULE_REQUIRED, RULE_TRANSITION, RULE_UNKNOWN, Problem

NAME_MAX = 200

FLOW_TYPES: frozenset[str] = frozenset(t.value for t in FlowType)
LIFECYCLE_STATES: frozenset[str] = frozenset(s.value for s in LifecycleState)

#: Adds one problem: (field, rule, message).
Add = Callable[[str, str, str], None]


class Current(Protocol):
    """The flow as it is now, what an update is checked against (None: a create). A `LiveFlow`
    is one; so is a platform's own flow object."""

    @property
    def id(self) -> str: ...

    @property
    def type(self) -> str: ...

    @property
    def lifecycle_state(self) -> str: ...


class FieldRules(Protocol):
    """A platform's own rules on a flow's managed fields (wire names, plain data), added to these."""

    def __call__(
        self, data: Mapping[str, Any], *, flow: str, current: Current | None = None
    ) -> list[Problem]: ...


def plain(value: Any) -> Any:
    """An enum member as its value; anything else as it is."""
    return value.value if isinstance(value, Enum) else value


def as_mapping(value: Any) -> Mapping[str, Any] | None:
    """A mapping or a pydantic model as a mapping (wire names); None for anything else."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, Mapping):
        return value
    return None


def short(value: Any, limit: int = 60) -> str:
    """`repr(value)`, cut to `limit` characters for a message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_state_dependent(problem: Problem) -> bool:
    """A problem only the flow's current state can decide (e.g. a lifecycle transition): a check of
    the definitions alone leaves it to the provider's check, which knows the state."""
    return problem.rule == RULE_TRANSITION and problem.field == "lifecycle_state"


def check_fields(data: Any, *, flow: str, current: Current | None = None) -> list[Problem]:
    """All neutral problems of one flow's managed fields (an empty list when they are fine).

    `current` is the flow as it is now (an update): the lifecycle state is then not required, and a
    reference to the flow itself is reported. Without it the fields are checked as a create.
    """
    problems: list[Problem] = []

    def add(field: str, rule: str, message: str) -> None:
        problems.append(Problem(flow=flow, field=field, rule=rule, message=message))

    fields = as_mapping(data)
    if fields is None:
        add("", RULE_INVALID, f"a flow definition must be a mapping, not {type(data).__name__}")
        return problems
    _check_name(fields.get("name"), add)
    for attribute in ATTRIBUTES:
        _check_attribute(attribute, fields.get(attribute.name), add)
    flow_type = plain(fields.get("type"))
    if flow_type is not None and (not isinstance(flow_type, str) or flow_type not in FLOW_TYPES):
        add("type", RULE_INVALID, f"type {short(flow_type)} is not one of {', '.join(sorted(FLOW_TYPES))}")
    _check_lifecycle_state(plain(fields.get("lifecycle_state")), add, creating=current is None)
    _check_references(fields.get("references"), add, current)
    return problems


def _check_name(name: Any, add: Add) -> None:
    if name is None:
        add("name", RULE_REQUIRED, "name is required")
    elif not isinstance(name, str):
        add("name", RULE_INVALID, f"name must be a string, not {type(name).__name__}")
    elif not name.strip():
        add("name", RULE_REQUIRED, "name must not be blank")
    elif len(name.strip()) > NAME_MAX:
        add("name", RULE_INVALID, f"name is {len(name.strip())} characters; at most {NAME_MAX} are allowed")


def _check_attribute(attribute: Attribute, value: Any, add: Add) -> None:
    """One simple field (a row of the field table): its kind, and its length limit."""
    name = attribute.name
    if value is None:
        return
    if attribute.kind is ValueKind.TEXT_LIST:
        if isinstance(value, str) or not isinstance(value, Sequence):
            add(name, RULE_INVALID, f"must be a list of strings, not {type(value).__name__}")
        elif attribute.max_length is not None and len(value) > attribute.max_length:
            add(
                name,
                RULE_INVALID,
                f"{name} has {len(value)} items; at most {attribute.max_length} are allowed",
            )
        for index, item in enumerate(value if isinstance(value, list | tuple) else ()):
            if not isinstance(item, str):
                add(f"{name}[{index}]", RULE_INVALID, f"must be a string, not {type(item).__name__}")
        return
    if attribute.kind is ValueKind.BOOL:
        if not isinstance(value, bool):
            add(name, RULE_INVALID, f"must be true or false, not {type(value).__name__}")
        return
    if not isinstance(value, str):
        add(name, RULE_INVALID, f"must be a string, not {type(value).__name__}")
    elif attribute.max_length is not None and len(value) > attribute.max_length:
        add(
            name,
            RULE_INVALID,
            f"{name} is {len(value)} characters; at most {attribute.max_length} are allowed",
        )


def _check_lifecycle_state(state: Any, add: Add, *, creating: bool) -> None:
    """Required on create; one of the known states. Which states a flow may be created in, and which
    transitions an update may make, are the platform's rules."""
    if state is None:
        if creating:
            add("lifecycle_state", RULE_REQUIRED, "required on create (draft or published)")
        return
    if not isinstance(state, str) or state not in LIFECYCLE_STATES:
        add(
            "lifecycle_state",
            RULE_INVALID,
            f"lifecycle_state {short(state)} is not one of draft, published, archived",
        )


def _check_references(references: Any, add: Add, current: Current | None) -> None:
    """Each reference a non-empty flow key or id, listed once, not the flow itself."""
    if references is None:
        return
    if isinstance(references, str) or not isinstance(references, Sequence):
        add("references", RULE_INVALID, f"must be a list of flow ids, not {type(references).__name__}")
        return
    declared: set[str] = set()
    for index, ref in enumerate(references):
        where = f"references[{index}]"
        if not isinstance(ref, str) or not ref.strip():
            add(where, RULE_INVALID, f"a reference must be a non-empty flow id, not {short(ref)}")
            continue
        if ref in declared:
            add(where, RULE_INVALID, f"reference {ref!r} is listed more than once")
        declared.add(ref)
        if current is not None and ref == current.id:
            add(where, RULE_UNKNOWN, "a flow cannot reference itself")
