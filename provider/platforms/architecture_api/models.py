"""The Architecture API's flow objects, with the wire names of the contract (`_version`,
`lifecycle_state`, ...), and the contract's tables (mutable and server fields, lifecycle transitions).

`FlowFields` is what a writer controls; `Flow` is what the server answers (the fields plus the
server-managed ones); `to_flow_fields` turns a canonical flow (logical keys) into the former.
Responses are parsed leniently (unknown keys ignored) so a newer server does not break an older
client; `FlowFields` built in code rejects unknown keys so a typo never goes unnoticed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from provider.domain import convert
from provider.domain.blocks import Block
from provider.domain.fields import (
    ATTRIBUTES,
    MANAGED_FIELDS,
    REPLACING_FIELDS,
    FlowType,
    LifecycleState,
    with_attributes,
)

#: The wire table: the simple managed fields (provider.domain.fields.ATTRIBUTES) this API carries,
#: each under its own name. A field not listed here is never sent and reads as its default.
WIRE_ATTRIBUTES: set[str] = {"description"}
#: Fields a PATCH may change (`type` may only be sent unchanged, so the client never sends it).
MUTABLE_FIELDS: tuple[str, ...] = tuple(f for f in MANAGED_FIELDS if f not in REPLACING_FIELDS)
#: Server-assigned fields: never sent on create.
SERVER_FIELDS: tuple[str, ...] = ("id", "_version", "dateCreated", "dateModified", "selfUri")

#: Lifecycle transitions the contract allows (any state to itself is allowed too).
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"draft", "published", "archived"}),
    "published": frozenset({"published", "draft", "archived"}),
    "archived": frozenset({"archived", "draft"}),
}
#: States a flow may be created in.
CREATE_STATES: frozenset[str] = frozenset({"draft", "published"})


class _Head(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid", use_enum_values=False)

    name: str


if TYPE_CHECKING:  # nothing reads an attribute by name here
    _Attributes = _Head
else:  # one field per row of the field table (sent only when in WIRE_ATTRIBUTES)
    _Attributes = with_attributes(_Head, "_Attributes")


class FlowFields(_Attributes):
    """The user-settable fields of a flow (what a create sends and a PATCH may change)."""

    type: FlowType = FlowType.INBOUNDCALL
    lifecycle_state: LifecycleState
    blocks: list[Block] = Field(default_factory=list)
    references: list[str] = Field(default_factory=list)

    def to_wire(self) -> dict[str, Any]:
        """The managed fields this API carries as JSON-ready wire values (enums as strings, `None`s
        left out)."""
        # warnings=False: a `model_copy(update=...)` may hold plain strings for the enums; they
        # serialize to the same wire values.
        data = self.model_dump(
            mode="json", by_alias=True, exclude_none=True, include=set(MANAGED_FIELDS), warnings=False
        )
        return {name: data[name] for name in MANAGED_FIELDS if name in data and _carried(name)}


def wire_attributes(fields: FlowFields) -> dict[str, Any]:
    """The attributes this API carries, as `fields` holds them."""
    return {a.name: getattr(fields, a.name) for a in ATTRIBUTES if a.name in WIRE_ATTRIBUTES}


def _carried(name: str) -> bool:
    return name in WIRE_ATTRIBUTES or all(a.name != name for a in ATTRIBUTES)


class Flow(FlowFields):
    """A flow as the server returns it."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    id: str
    version: int = Field(alias="_version")
    dateCreated: str | None = None
    dateModified: str | None = None
    selfUri: str | None = None

    def to_fields(self) -> FlowFields:
        """Just the managed fields (e.g. the `ours` or `theirs` of a merge)."""
        return FlowFields.model_validate({name: getattr(self, name) for name in MANAGED_FIELDS})

    def to_json(self) -> dict[str, Any]:
        """The whole object with the contract's wire names (`_version`)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def to_flow_fields(definition: Any, ids: Mapping[str, str]) -> FlowFields:
    """A definition or a `FlowDocument` as the Architecture API's `FlowFields`: every logical key
    (in `references` and in blocks) replaced by the flow id `ids` maps it to. `KeyError` names a key
    without an id."""
    missing = [ref for ref in _all_references(definition) if ref not in ids]
    if missing:
        raise KeyError(f"no flow id for the referenced key(s): {', '.join(sorted(set(missing)))}")
    fields = {name: getattr(definition, name) for name in MANAGED_FIELDS}
    fields["references"] = [ids[r] for r in definition.references]
    blocks = convert.map_block_references(definition.blocks or (), ids)
    fields["blocks"] = [Block.model_validate(b) for b in blocks]
    return FlowFields.model_validate(fields)


def _all_references(definition: Any) -> list[str]:
    refs = list(definition.references)
    stack = list(definition.blocks or ())
    while stack:
        block = stack.pop()
        if block.reference is not None:
            refs.append(block.reference)
        stack.extend(block.children)
    return refs
