"""A flow as a platform holds it (`LiveFlow`), and another flow as a dependency report names it
(`FlowRef`): the same plain values on every platform.

They live in the domain, not in `provider.platforms.base` (which re-exports them), because the
domain works on live flows too (snapshots of an organization, the rules an update is checked
against) and the domain imports no platform.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FlowRef:
    """Another flow, as a consumer or a consumed resource is reported."""

    id: str
    name: str = ""
    type: str = ""


@dataclass(frozen=True)
class LiveFlow:
    """A flow as the platform holds it. `references` are flow ids.

    `revision` is the platform's concurrency token, opaque to callers and recorded in the state after
    every write: the `_version` (architecture-api), or the version pointers
    `published=<id>;checkedIn=<id>` (genesys-cloud). `content` is the block tree (architecture-api)
    or the Archy YAML text (genesys-cloud; None when it was not fetched). `attributes` are the simple
    managed fields (provider.domain.fields.ATTRIBUTES) the platform carries, by field name; one it
    does not carry is absent (the state's value stands).
    """

    id: str
    name: str
    type: str
    lifecycle_state: str
    revision: str
    references: tuple[str, ...] = ()
    content: object | None = None
    #: Who last changed the content, where the platform says (e.g. genesys-cloud `publishedBy.name`).
    changed_by: str | None = None
    self_uri: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)
    attributes: Mapping[str, Any] = field(default_factory=dict)


def managed_fields(flow: LiveFlow) -> dict[str, Any]:
    """The live flow's managed fields as plain data (references still ids); a content that is not a
    block tree (Archy text, or none fetched) leaves `blocks` empty."""
    return {
        "name": flow.name,
        **flow.attributes,
        "type": flow.type,
        "lifecycle_state": flow.lifecycle_state,
        "references": list(flow.references),
        "blocks": flow.content if isinstance(flow.content, list) else [],
    }
