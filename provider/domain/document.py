"""The canonical flow document: one flow as the project manages it, whatever the platform.

Every outside form (definition files, a platform's wire form, Pulumi inputs/outputs, snapshot files)
converts to and from this one model. References are *logical keys* (definition file names), never
platform ids; a platform maps them to ids through the `ids` it is given.

The content is platform-specific and exactly one of the two is set:
- `blocks`: the Architecture API's block tree (platform `architecture-api`);
- `archy`: the Archy YAML text, placeholders already substituted (platform `genesys-cloud`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from provider.domain.blocks import Block
from provider.domain.fields import FlowType, LifecycleState, with_attributes


class _Head(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    name: str
    type: FlowType = FlowType.INBOUNDCALL


if TYPE_CHECKING:  # the attributes code reads by name (the rest only through the table)

    class _Attributes(_Head):
        description: str = ""

else:  # one field per row of provider.domain.fields.ATTRIBUTES
    _Attributes = with_attributes(_Head, "_Attributes", frozen=True)


class FlowDocument(_Attributes):
    """One flow: identity (`key`), the managed fields (the attributes from the field table) and its
    content."""

    lifecycle_state: LifecycleState
    #: Logical keys of the flows this flow uses (declared, or derived from the content).
    references: tuple[str, ...] = ()
    blocks: tuple[Block, ...] | None = None
    archy: str | None = None
    #: Earlier keys of this flow (renamed definition files).
    aliases: tuple[str, ...] = Field(default=())

    def content(self) -> Any:
        """The platform content: the Archy text or the block tree."""
        return self.archy if self.archy is not None else self.blocks
