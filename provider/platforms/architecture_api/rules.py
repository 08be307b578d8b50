"""The Architecture API's own rules on one flow, checked without the server: what it adds to the
neutral checks every platform shares (`provider.domain.checks`). The unknown and server-assigned
keys, the states a flow may be created in and the lifecycle transitions of an update, the immutable
type and id, the block tree's shape and limits, and every block reference declared in `references`.

`validate_flow` is the whole contract (the neutral checks and these rules), as the client checks a
write before sending it; `contract_problems` is these rules alone (`FieldRules`: what the platform
plugs into a definitions reader and the provider's check). Neither raises on bad input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from provider.domain.checks import (
    FLOW_TYPES,
    LIFECYCLE_STATES,
    Add,
    Current,
    as_mapping,
    check_fields,
    plain,
    short,
)
from provider.domain.fields import MANAGED_FIELDS
from provider.domain.problems import (
    RULE_BAD_REQUEST,
    RULE_BLOCK_DUPLICATE,
    RULE_BLOCK_LIMIT,
    RULE_IMMUTABLE,
    RULE_INVALID,
    RULE_REQUIRED,
    RULE_TRANSITION,
    RULE_UNDECLARED,
    Problem,
)
from provider.platforms.architecture_api.models import (
    ALLOWED_TRANSITIONS,
    CREATE_STATES,
    SERVER_FIELDS,
    Flow,
    FlowFields,
)

BLOCK_ID_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
BLOCK_TYPE_MAX = 64
MAX_DEPTH = 20
MAX_BLOCKS = 2000

_BLOCK_KEYS = frozenset({"id", "type", "children", "reference"})
_TOP_KEYS = frozenset(MANAGED_FIELDS) | frozenset(SERVER_FIELDS)


_PathNode = tuple[Any, str]  # (parent node or None, segment): a path built only when reported


def validate_flow(
    fields: FlowFields | Mapping[str, Any],
    *,
    flow: str,
    current: Current | None = None,
) -> list[Problem]:
    """All problems of one flow for the Architecture API (an empty list when it is fine): the
    neutral checks, then this platform's rules.

    `current` is the flow as it is now (for an update): it enables the lifecycle transition and
    immutable-field checks. Without it the definition is checked as a create (only `draft` or
    `published`, no server-assigned fields).
    """
    data = _data_of(fields)
    problems = check_fields(fields if data is None else data, flow=flow, current=current)
    if data is not None:
        problems += contract_problems(data, flow=flow, current=current)
    return problems


def contract_problems(data: Mapping[str, Any], *, flow: str, current: Current | None = None) -> list[Problem]:
    """This platform's rules alone on a flow's fields (wire names, plain data), without the neutral
    checks (`provider.domain.checks.check_fields`) that come with them."""
    problems: list[Problem] = []

    def add(field: str, rule: str, message: str) -> None:
        problems.append(Problem(flow=flow, field=field, rule=rule, message=message))

    _check_keys(data, add, creating=current is None)
    _check_type(data, add, current)
    _check_lifecycle_state(plain(data.get("lifecycle_state")), add, current)
    _check_blocks_of(data.get("blocks"), add, _declared(data.get("references")))
    return problems


def validate_reference_declared(fields: FlowFields | Mapping[str, Any], *, flow: str) -> list[Problem]:
    """Only the undeclared-reference rule: every block `reference` also appears in `references`."""
    return [p for p in validate_flow(fields, flow=flow, current=None) if p.rule == RULE_UNDECLARED]


def _data_of(fields: FlowFields | Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The fields as wire-named plain data (a `Flow` adds its id and `_version`); None if not a mapping."""
    if isinstance(fields, FlowFields):
        data: Mapping[str, Any] = fields.to_wire()
        if isinstance(fields, Flow):
            data = {**data, "id": fields.id, "_version": fields.version}
        return data
    return as_mapping(fields)


def _check_keys(data: Mapping[str, Any], add: Add, *, creating: bool) -> None:
    for key in data:
        if not isinstance(key, str) or key not in _TOP_KEYS:
            add(str(key), RULE_BAD_REQUEST, f"unknown field {key!r}; known: {', '.join(MANAGED_FIELDS)}")
        elif creating and key in SERVER_FIELDS:
            add(key, RULE_BAD_REQUEST, f"{key!r} is assigned by the server and cannot be sent on create")


def _check_type(data: Mapping[str, Any], add: Add, current: Current | None) -> None:
    """On an update, the same type and id as the current flow (both immutable). An unknown type is
    the neutral checks' problem."""
    if current is None:
        return
    flow_type = plain(data.get("type"))
    current_type = plain(current.type)
    if isinstance(flow_type, str) and flow_type in FLOW_TYPES and flow_type != current_type:
        add("type", RULE_IMMUTABLE, f"type cannot change (it is {current_type}, asked {flow_type})")
    sent_id = data.get("id")
    if sent_id is not None and sent_id != current.id:
        add("id", RULE_IMMUTABLE, f"id cannot change (it is {current.id!r}, asked {short(sent_id)})")


def _check_lifecycle_state(state: Any, add: Add, current: Current | None) -> None:
    """A known state (the neutral checks report the others): on create draft or published; on an
    update, a transition the contract allows."""
    if not isinstance(state, str) or state not in LIFECYCLE_STATES:
        return
    if current is None:
        if state not in CREATE_STATES:
            add(
                "lifecycle_state",
                RULE_TRANSITION,
                f"a flow can only be created as draft or published, not {state}",
            )
        return
    before = plain(current.lifecycle_state)
    if state not in ALLOWED_TRANSITIONS.get(before, frozenset()):
        allowed = ", ".join(sorted(ALLOWED_TRANSITIONS.get(before, frozenset()) - {before}))
        add(
            "lifecycle_state",
            RULE_TRANSITION,
            f"cannot go from {before} to {state}; from {before} a flow can go to: {allowed}",
        )


def _declared(references: Any) -> set[str]:
    """The well-formed references (a non-empty string each): the ones a block may use."""
    if references is None or isinstance(references, str) or not isinstance(references, Sequence):
        return set()
    return {ref for ref in references if isinstance(ref, str) and ref.strip()}


def _check_blocks_of(blocks: Any, add: Add, declared: set[str]) -> None:
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
            f"block id {short(block_id)} must be 1-64 of A-Z a-z 0-9 _ . -",
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
            f"block type {short(block_type)} must be 1-64 characters",
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
        block = as_mapping(raw)
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
                add(f"{_render(node)}.reference", RULE_INVALID, f"must be a flow id, not {short(reference)}")
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
