"""The block-tree content form: a flow's content as a tree of typed blocks (the counterpart of
Archy text, `provider.domain.archy`), with the logical key of a flow a block uses."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Block(BaseModel):
    """One node of a flow's block tree."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    id: str
    type: str
    children: list[Block] = Field(default_factory=list)
    reference: str | None = None


Block.model_rebuild()
