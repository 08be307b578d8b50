"""The genesys-cloud rules a flow document must keep, checked without the network (all at once)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provider.domain import archy
from provider.domain.document import FlowDocument
from provider.domain.problems import Problem
from provider.platforms.base import ConflictPolicy

NAME = "genesys-cloud"
#: No `merge`: Archy content is opaque YAML that cannot be merged field by field.
CONFLICT_POLICIES: tuple[ConflictPolicy, ...] = ("fail", "overwrite")

RULE_ARCHIVED = "genesys.flow.lifecycle.archived.unsupported"
RULE_BLOCKS = "genesys.flow.blocks.unsupported"
RULE_ARCHY_REQUIRED = "genesys.flow.archy.required"
RULE_ARCHY_INVALID = "genesys.flow.archy.invalid"
RULE_TYPE_MISMATCH = "genesys.flow.archy.type.mismatch"
RULE_NAME_MISMATCH = "genesys.flow.archy.name.mismatch"


_ARCHIVED = (
    "'archived' does not exist on genesys-cloud: use 'draft' (checked in, not published) or "
    "delete the definition"
)
_BLOCKS = "genesys-cloud flows carry Archy YAML ('archy'), not a 'blocks' tree"


def field_problems(data: Mapping[str, Any], *, flow: str) -> list[Problem]:
    """The rules that hold on the managed fields alone (the provider's check, a preview of any Flow
    resource): no archived state, no block tree. The rest needs the Archy document."""
    problems = []
    if str(data.get("lifecycle_state")) == "archived":
        problems.append(Problem(flow, "lifecycle_state", RULE_ARCHIVED, _ARCHIVED))
    if data.get("blocks"):
        problems.append(Problem(flow, "blocks", RULE_BLOCKS, _BLOCKS))
    return problems


def validate_document(document: FlowDocument) -> list[Problem]:
    """Every rule of this platform that holds without the network (all problems at once)."""
    flow = document.name or document.key
    problems: list[Problem] = []

    def add(field: str, rule: str, message: str) -> None:
        problems.append(Problem(flow=flow, field=field, rule=rule, message=message))

    if str(document.lifecycle_state) == "archived":
        add("lifecycle_state", RULE_ARCHIVED, _ARCHIVED)
    if document.blocks is not None:
        add("blocks", RULE_BLOCKS, _BLOCKS)
    if document.archy is None:
        add("archy", RULE_ARCHY_REQUIRED, "a genesys-cloud flow needs its content as Archy YAML ('archy')")
        return problems
    try:
        parsed = archy.parse(document.archy)
    except archy.ArchyError as exc:
        add("archy", RULE_ARCHY_INVALID, str(exc))
        return problems
    if parsed.type != str(document.type):
        add(
            "type",
            RULE_TYPE_MISMATCH,
            f"the definition says {document.type} but the Archy document is {parsed.top_key} ({parsed.type})",
        )
    if parsed.name != document.name:
        add(
            "name",
            RULE_NAME_MISMATCH,
            f"the definition says {document.name!r} but the Archy document's name is {parsed.name!r}",
        )
    return problems
