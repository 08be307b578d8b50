"""Client-side validation: every contract rule that can be checked without the server.

`validate_flow` returns *all* problems of one flow at once (never raises on bad input, including raw
dicts straight from YAML with wrong types). Rules that need the whole set of flows (unknown
references, cycles, published-references-only) live in `provider.domain.graph`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from typing import Any

from pydantic import BaseModel

from provider.domain.fields import MANAGED_FIELDS, FlowType, LifecycleState
from provider.domain.models import ALLOWED_TRANSITIONS, CREATE_STATES, SERVER_FIELDS, Flow, FlowFields
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

NAME_MAX = 200
DESCRIPTION_MAX = 2000
BLOCK_ID_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
BLOCK_TYPE_MAX = 64
MAX_DEPTH = 20
MAX_BLOCKS = 2000

FLOW_TYPES: frozenset[str] = frozenset(t.value for t in FlowType)
LIFECYCLE_STATES: frozenset[str] = frozenset(s.value for s in LifecycleState)
_BLOCK_KEYS = frozenset({"id", "type", "children", "reference"})
_TOP_KEYS = frozenset(MANAGED_FIELDS) | frozenset(SERVER_FIELDS)


_PathNode = tuple[Any, str]  # (parent node or None, segment): a path built only when reported


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _as_mapping(value: Any) -> Mapping[str, Any] | None:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, Mapping):
        return value
    return None


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def validate_flow(
    fields: FlowFields | Mapping[str, Any],
    *,
    flow: str,
    current: Flow | None = None,
) -> list[Problem]:
    """All problems of one flow definition (an empty list when it is fine).

    `current` is the flow as it is now (for an update): it enables the lifecycle transition and
    immutable-field checks. Without it the definition is checked as a create (only `draft` or
    `published`, no server-assigned fields).
    """
    problems: list[Problem] = []

    def add(field: str, rule: str, message: str) -> None:
        problems.append(Problem(flow=flow, field=field, rule=rule, message=message))

    data = _data_of(fields)
    if data is None:
        add("", RULE_INVALID, f"a flow definition must be a mapping, not {type(fields).__name__}")
        return problems
    _check_keys(data, add, creating=current is None)
    _check_name(data.get("name"), add)
    _check_description(data.get("description"), add)
    _check_type(data, add, current)
    _check_lifecycle_state(_plain(data.get("lifecycle_state")), add, current)
    declared = _check_references(data.get("references"), add, current)
    _check_blocks_of(data.get("blocks"), add, declared)
    return problems


_Add = Callable[[str, str, str], None]


def _data_of(fields: FlowFields | Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The fields as wire-named plain data (a `Flow` adds its id and `_version`); None if not a mapping."""
    if isinstance(fields, FlowFields):
        data: Mapping[str, Any] = fields.to_wire()
        if isinstance(fields, Flow):
            data = {**data, "id": fields.id, "_version": fields.version}
        return data
    return _as_mapping(fields)


def _check_keys(data: Mapping[str, Any], add: _Add, *, creating: bool) -> None:
    for key in data:
        if not isinstance(key, str) or key not in _TOP_KEYS:
            add(str(key), RULE_BAD_REQUEST, f"unknown field {key!r}; known: {', '.join(MANAGED_FIELDS)}")
        elif creating and key in SERVER_FIELDS:
            add(key, RULE_BAD_REQUEST, f"{key!r} is assigned by the server and cannot be sent on create")


def _check_name(name: Any, add: _Add) -> None:
    if name is None:
        add("name", RULE_REQUIRED, "name is required")
    elif not isinstance(name, str):
        add("name", RULE_INVALID, f"name must be a string, not {type(name).__name__}")
    elif not name.strip():
        add("name", RULE_REQUIRED, "name must not be blank")
    elif len(name.strip()) > NAME_MAX:
        add("name", RULE_INVALID, f"name is {len(name.strip())} characters; at most {NAME_MAX} are allowed")


def _check_description(description: Any, add: _Add) -> None:
    if description is None:
        return
    if not isinstance(description, str):
        add("description", RULE_INVALID, f"must be a string, not {type(description).__name__}")
    elif len(description) > DESCRIPTION_MAX:
        add(
            "description",
            RULE_INVALID,
            f"description is {len(description)} characters; at most {DESCRIPTION_MAX} are allowed",
        )


def _check_type(data: Mapping[str, Any], add: _Add, current: Flow | None) -> None:
    """A known type; on an update, the same type and id as the current flow (both immutable)."""
    flow_type = _plain(data.get("type"))
    if flow_type is not None and (not isinstance(flow_type, str) or flow_type not in FLOW_TYPES):
        add("type", RULE_INVALID, f"type {_short(flow_type)} is not one of {', '.join(sorted(FLOW_TYPES))}")
        flow_type = None
    if current is None:
        return
    current_type = _plain(current.type)
    if flow_type is not None and flow_type != current_type:
        add("type", RULE_IMMUTABLE, f"type cannot change (it is {current_type}, asked {flow_type})")
    sent_id = data.get("id")
    if sent_id is not None and sent_id != current.id:
        add("id", RULE_IMMUTABLE, f"id cannot change (it is {current.id!r}, asked {_short(sent_id)})")


def _check_lifecycle_state(state: Any, add: _Add, current: Flow | None) -> None:
    """Required on create (draft or published); on an update, a transition the contract allows."""
    if state is None:
        if current is None:
            add("lifecycle_state", RULE_REQUIRED, "required on create (draft or published)")
        return
    if not isinstance(state, str) or state not in LIFECYCLE_STATES:
        add(
            "lifecycle_state",
            RULE_INVALID,
            f"lifecycle_state {_short(state)} is not one of draft, published, archived",
        )
    elif current is None:
        if state not in CREATE_STATES:
            add(
                "lifecycle_state",
                RULE_TRANSITION,
                f"a flow can only be created as draft or published, not {state}",
            )
    else:
        before = _plain(current.lifecycle_state)
        if state not in ALLOWED_TRANSITIONS.get(before, frozenset()):
            allowed = ", ".join(sorted(ALLOWED_TRANSITIONS.get(before, frozenset()) - {before}))
            add(
                "lifecycle_state",
                RULE_TRANSITION,
                f"cannot go from {before} to {state}; from {before} a flow can go to: {allowed}",
            )


def _check_references(references: Any, add: _Add, current: Flow | None) -> set[str]:
    """Each reference a non-empty id, listed once, not the flow itself. Returns the declared ones."""
    declared: set[str] = set()
    if references is None:
        return declared
    if isinstance(references, str) or not isinstance(references, Sequence):
        add("references", RULE_INVALID, f"must be a list of flow ids, not {type(references).__name__}")
        return declared
    for index, ref in enumerate(references):
        where = f"references[{index}]"
        if not isinstance(ref, str) or not ref.strip():
            add(where, RULE_INVALID, f"a reference must be a non-empty flow id, not {_short(ref)}")
            continue
        if ref in declared:
            add(where, RULE_INVALID, f"reference {ref!r} is listed more than once")
        declared.add(ref)
        if current is not None and ref == current.id:
            add(where, RULE_UNKNOWN, "a flow cannot reference itself")
    return declared


def _check_blocks_of(blocks: Any, add: _Add, declared: set[str]) -> None:
    """The block tree's shape, and every block reference also declared in `references`."""
    if blocks is None:
        return
    if isinstance(blocks, str) or not isinstance(blocks, Sequence):
        add("blocks", RULE_INVALID, f"blocks must be a list of blocks, not {type(blocks).__name__}")
        return
    block_refs: list[tuple[_PathNode, str]] = []
    _check_blocks(blocks, add, block_refs)
    for node, ref in block_refs:
        if ref not in declared:
            add(
                f"{_render(node)}.reference",
                RULE_UNDECLARED,
                f"block reference {ref!r} must also be listed in references",
            )


def _render(node: _PathNode) -> str:
    parts: list[str] = []
    cursor: _PathNode | None = node
    while cursor is not None:
        parts.append(cursor[1])
        cursor = cursor[0]
    parts.reverse()
    return ".".join(parts)


def _check_block_fields(
    block: Mapping[str, Any], node: _PathNode, add: Any, seen: dict[str, _PathNode]
) -> None:
    """One block's keys, id (unique across the tree: `seen`) and type."""
    for key in block:
        if key not in _BLOCK_KEYS:
            add(f"{_render(node)}.{key}", RULE_BAD_REQUEST, f"unknown block field {key!r}")
    block_id = block.get("id")
    if block_id is None:
        add(f"{_render(node)}.id", RULE_REQUIRED, "block id is required")
    elif not isinstance(block_id, str) or not BLOCK_ID_RE.fullmatch(block_id):
        add(
            f"{_render(node)}.id",
            RULE_INVALID,
            f"block id {_short(block_id)} must be 1-64 of A-Z a-z 0-9 _ . -",
        )
    elif block_id in seen:
        add(
            f"{_render(node)}.id",
            RULE_BLOCK_DUPLICATE,
            f"block id {block_id!r} is used twice (first at {_render(seen[block_id])})",
        )
    else:
        seen[block_id] = node
    block_type = block.get("type")
    if block_type is None:
        add(f"{_render(node)}.type", RULE_REQUIRED, "block type is required")
    elif not isinstance(block_type, str) or not 1 <= len(block_type) <= BLOCK_TYPE_MAX:
        add(
            f"{_render(node)}.type",
            RULE_INVALID,
            f"block type {_short(block_type)} must be 1-64 characters",
        )


def _check_blocks(blocks: Sequence[Any], add: Any, block_refs: list[tuple[_PathNode, str]]) -> None:
    """Walk the block tree iteratively (depth-first, in document order). Paths are linked nodes
    rendered only for a problem, so a very deep tree costs linear time."""
    seen: dict[str, _PathNode] = {}
    count = 0
    depth_reported = False
    stack: list[tuple[Any, _PathNode, int]] = [(b, (None, f"blocks[{i}]"), 1) for i, b in enumerate(blocks)]
    stack.reverse()
    while stack:
        raw, node, depth = stack.pop()
        count += 1
        if count == MAX_BLOCKS + 1:
            add(_render(node), RULE_BLOCK_LIMIT, f"a flow can hold at most {MAX_BLOCKS} blocks")
        if depth > MAX_DEPTH and not depth_reported:
            depth_reported = True
            add(_render(node), RULE_BLOCK_LIMIT, f"blocks nest {depth} deep; at most {MAX_DEPTH} levels")
        block = _as_mapping(raw)
        if block is None:
            add(
                _render(node),
                RULE_INVALID,
                f"a block must be a mapping with id and type, not {type(raw).__name__}",
            )
            continue
        _check_block_fields(block, node, add, seen)
        reference = block.get("reference")
        if reference is not None:
            if not isinstance(reference, str) or not reference.strip():
                add(f"{_render(node)}.reference", RULE_INVALID, f"must be a flow id, not {_short(reference)}")
            else:
                block_refs.append((node, reference))
        children = block.get("children")
        if children is not None:
            if isinstance(children, str) or not isinstance(children, Sequence):
                add(
                    f"{_render(node)}.children",
                    RULE_INVALID,
                    f"must be a list of blocks, not {type(children).__name__}",
                )
            else:
                for index in range(len(children) - 1, -1, -1):
                    stack.append((children[index], (node, f"children[{index}]"), depth + 1))


def validate_reference_declared(fields: FlowFields | Mapping[str, Any], *, flow: str) -> list[Problem]:
    """Only the undeclared-reference rule: every block `reference` also appears in `references`."""
    return [p for p in validate_flow(fields, flow=flow, current=None) if p.rule == RULE_UNDECLARED]
