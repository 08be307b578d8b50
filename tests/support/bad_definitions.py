"""Sets of flow definitions that must fail the pre-check: key → (definitions, [(flow, field, rule)])."""

from __future__ import annotations

from typing import Any


def bad_flow(
    name: str, state: str = "draft", refs: list[str] | None = None, blocks: Any = None
) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "type": "COMMONMODULE", "lifecycle_state": state}
    if refs:
        out["references"] = refs
    out["blocks"] = blocks if blocks is not None else [{"id": "start", "type": "playAudio"}]
    return out


BAD_SETS: dict[str, tuple[dict[str, Any], list[tuple[str, str, str]]]] = {
    "cycle": (
        {"a": bad_flow("A", refs=["b"]), "b": bad_flow("B", refs=["c"]), "c": bad_flow("C", refs=["a"])},
        [("a", "references", "architect.flow.reference.cycle")],
    ),
    "unknown-key": (
        {"a": bad_flow("A", refs=["nowhere"])},
        [("a", "references[0]", "architect.flow.reference.unknown")],
    ),
    "undeclared-block-reference": (
        {"a": bad_flow("A", blocks=[{"id": "x", "type": "call", "reference": "b"}]), "b": bad_flow("B")},
        [("a", "blocks[0].reference", "architect.flow.reference.undeclared")],
    ),
    "duplicate-block-id": (
        {"a": bad_flow("A", blocks=[{"id": "x", "type": "t", "children": [{"id": "x", "type": "t"}]}])},
        [("a", "blocks[0].children[0].id", "architect.flow.block.id.duplicate")],
    ),
    "missing-name": (
        {"a": {"type": "COMMONMODULE", "lifecycle_state": "draft"}},
        [("a", "name", "architect.flow.field.required")],
    ),
    "bad-lifecycle-transition": (
        {"a": bad_flow("A", state="archived")},
        [("a", "lifecycle_state", "architect.flow.lifecycle.transition.invalid")],
    ),
    "published-references-draft": (
        {"a": bad_flow("A", state="published", refs=["b"]), "b": bad_flow("B", state="draft")},
        [("a", "references[0]", "architect.flow.reference.unpublished")],
    ),
    "unsupported-type": (
        {"a": {**bad_flow("A"), "type": "EMAILSEND"}},
        [
            ("a", "type", "architect.flow.field.invalid"),
            ("a", "type", "not supported by the architecture-api"),
        ],
    ),
    "unknown-placeholder": (
        {"a": bad_flow("A {{no_such_thing}}")},
        [("a", "name", "definition.placeholder.unknown"), ("a", "name", "no_such_thing")],
    ),
}

#: Decided by the provider's check against the state (archived is fine for an existing flow), not by
#: the program's pre-check: only the engine (or the provider's check, tests/deploy/test_resource.py)
#: sees these.
CHECKED_BY_THE_PROVIDER = frozenset({"bad-lifecycle-transition"})
