"""THE conversion module: the canonical flow (`FlowDocument`, logical keys) to and from its outside
forms — definition files (`as_document`), a live flow's fields back with logical keys
(`to_logical`; the Architecture API's wire form is its own: provider/platforms/architecture_api/
models.py), the block tree's canonical shape (`canonical_blocks`, `map_block_references`) and the
document itself (`document`, `logical_fields`). Snapshot files and Pulumi inputs are built from
`as_document`/`to_logical` output (provider.domain.snapshot, provider.deploy.resource).

Inputs are duck-typed (anything with the managed fields as attributes: a `FlowDefinition`, a
`FlowFile`, a `FlowDocument`), so this module imports none of its callers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from provider.domain.blocks import Block
from provider.domain.document import FlowDocument
from provider.domain.fields import FILE_ORDER, MANAGED_FIELDS, FlowType, attribute_values


def canonical_blocks(blocks: Iterable[Any]) -> list[dict[str, Any]]:
    """Blocks as plain dicts in one canonical shape: `id`, `type`, then `reference` and `children`
    only when set. Accepts models or mappings; used wherever block trees are compared."""
    out: list[dict[str, Any]] = []
    for block in blocks:
        data = block.model_dump(mode="json") if isinstance(block, BaseModel) else dict(block)
        item: dict[str, Any] = {"id": data.get("id"), "type": data.get("type")}
        if data.get("reference") is not None:
            item["reference"] = data["reference"]
        children = data.get("children") or []
        if children:
            item["children"] = canonical_blocks(children)
        out.append(item)
    return out


def map_block_references(blocks: Iterable[Any], mapping: Mapping[str, str] | Any) -> list[dict[str, Any]]:
    """Canonical blocks with each `reference` passed through `mapping` (a dict or a callable);
    a reference a dict does not hold is kept as it is."""

    def convert(ref: str) -> str:
        if callable(mapping):
            return str(mapping(ref))
        return str(mapping.get(ref, ref))

    def walk(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for item in items:
            new = dict(item)
            if new.get("reference") is not None:
                new["reference"] = convert(new["reference"])
            if new.get("children"):
                new["children"] = walk(new["children"])
            out.append(new)
        return out

    return walk(canonical_blocks(blocks))


def as_document(definition: Any) -> dict[str, Any]:
    """The definition's content as plain data (the file's fields in file order, logical keys, no
    `key`): every managed field, enums as their values."""
    return {name: _plain_field(name, getattr(definition, name)) for name in FILE_ORDER}


def _plain_field(name: str, value: Any) -> Any:
    """One managed field as plain data: the block tree canonical, sequences as lists, enums (StrEnums)
    as their strings."""
    if name == "blocks":
        return canonical_blocks(value or ())
    if isinstance(value, tuple | list):
        return list(value)
    if isinstance(value, StrEnum):
        return str(value)
    return value


def to_logical(fields: Mapping[str, Any], key_of_id: Mapping[str, str]) -> dict[str, Any]:
    """A live flow's managed fields (plain data, e.g. `provider.domain.live.managed_fields(live)`) as
    a definition document: ids mapped back to logical keys (an id `key_of_id` does not know is kept
    as it is)."""
    data = dict(fields)
    out = {name: data.get(name) for name in FILE_ORDER}  # every managed field, as it is ...
    out.update(  # ... but these in their canonical form
        name=data.get("name", ""),
        **attribute_values(data, canonical=True),
        type=str(data.get("type") or FlowType.INBOUNDCALL),
        lifecycle_state=str(data.get("lifecycle_state")),
        references=[key_of_id.get(r, r) for r in data.get("references") or []],
        blocks=map_block_references(data.get("blocks") or [], key_of_id),
    )
    return out


def document(definition: Any, *, key: str | None = None) -> FlowDocument:
    """A definition (or any object with the managed fields) as the canonical `FlowDocument`."""
    text = getattr(definition, "archy", None)
    return FlowDocument(
        key=key or definition.key,
        name=definition.name,
        type=definition.type,
        **attribute_values(definition),
        lifecycle_state=definition.lifecycle_state,
        references=tuple(definition.references),
        # Exactly one content: Archy text (genesys-cloud) or the block tree.
        blocks=None
        if text is not None
        else tuple(Block.model_validate(b) for b in canonical_blocks(definition.blocks or ())),
        archy=text,
        aliases=tuple(getattr(definition, "aliases", ()) or ()),
    )


def from_inputs(data: Mapping[str, Any], *, key: str) -> FlowDocument:
    """A Flow resource's inputs or outputs (plain data, logical keys; see provider.deploy.resource)
    as the canonical document. Absent optional fields take their defaults."""
    fields = {name: data.get(name) for name in MANAGED_FIELDS if data.get(name) is not None}
    if data.get("archy") is not None:  # genesys-cloud: the Archy text is the content
        fields["blocks"] = None
        fields["archy"] = data["archy"]
    else:
        fields["blocks"] = canonical_blocks(fields.get("blocks") or ())
    return FlowDocument.model_validate({"name": "", **fields, "key": key})


def logical_fields(doc: FlowDocument) -> dict[str, Any]:
    """The managed fields of a document as plain data with logical keys (what the rules check)."""
    data = as_document(doc)
    return {name: data[name] for name in MANAGED_FIELDS}


__all__ = [
    "as_document",
    "canonical_blocks",
    "document",
    "from_inputs",
    "logical_fields",
    "map_block_references",
    "to_logical",
]
