"""Pydantic models of the wire shapes. They document the API in `/openapi.json` (request bodies are
parsed and checked by hand in `rules.py`, so that every problem maps to the contract's exact error)."""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from .rules import BLOCK_ID_PATTERN, DESCRIPTION_MAX, FLOW_TYPES, LIFECYCLE_STATES

FlowType = Literal[
    "BOT",
    "COMMONMODULE",
    "DIGITALBOT",
    "INBOUNDCALL",
    "INBOUNDCHAT",
    "INBOUNDEMAIL",
    "INBOUNDSHORTMESSAGE",
    "INQUEUECALL",
    "INQUEUEEMAIL",
    "INQUEUESHORTMESSAGE",
    "OUTBOUNDCALL",
    "SECURECALL",
    "SPEECH",
    "SURVEYINVITE",
    "VOICE",
    "VOICEMAIL",
    "VOICESURVEY",
    "WORKFLOW",
    "WORKITEM",
]
LifecycleState = Literal["draft", "published", "archived"]
assert get_args(FlowType) == FLOW_TYPES
assert get_args(LifecycleState) == LIFECYCLE_STATES

_UNIQUE: dict[str, Any] = {"uniqueItems": True}


class Block(BaseModel):
    """A node of a flow's block tree."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=BLOCK_ID_PATTERN, description="Unique across the flow's whole tree.")
    type: str = Field(min_length=1, max_length=64)
    children: list[Block] | SkipJsonSchema[None] = Field(default=None, description="Optional child blocks.")
    reference: str | SkipJsonSchema[None] = Field(
        default=None, description="Optional id of a flow; it must also appear in the flow's `references`."
    )


class FlowCreate(BaseModel):
    """The body of `POST /flows`: a flow without `id`, `_version` or any server field."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        min_length=1, description="1-200 characters after trimming; unique per type, case-insensitively."
    )
    description: str | SkipJsonSchema[None] = Field(default=None, max_length=DESCRIPTION_MAX)
    type: FlowType | SkipJsonSchema[None] = Field(
        default=None, description="Defaults to INBOUNDCALL; immutable."
    )
    lifecycle_state: LifecycleState = Field(description="Only draft or published on create.")
    blocks: list[Block] | SkipJsonSchema[None] = None
    references: list[str] | SkipJsonSchema[None] = Field(default=None, json_schema_extra=_UNIQUE)


class FlowPatch(BaseModel):
    """The body of `PATCH /flows/{flowId}`: `_version` plus the fields to replace whole."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    version: int = Field(
        alias="_version", ge=1, description="The version the writer last saw (precondition)."
    )
    id: str | SkipJsonSchema[None] = Field(default=None, description="Allowed only unchanged.")
    type: FlowType | SkipJsonSchema[None] = Field(default=None, description="Allowed only unchanged.")
    name: str | SkipJsonSchema[None] = Field(default=None, min_length=1)
    description: str | SkipJsonSchema[None] = Field(default=None, max_length=DESCRIPTION_MAX)
    lifecycle_state: LifecycleState | SkipJsonSchema[None] = None
    blocks: list[Block] | SkipJsonSchema[None] = None
    references: list[str] | SkipJsonSchema[None] = Field(default=None, json_schema_extra=_UNIQUE)
    dateCreated: str | SkipJsonSchema[None] = Field(default=None, description="Ignored.")
    dateModified: str | SkipJsonSchema[None] = Field(default=None, description="Ignored.")
    selfUri: str | SkipJsonSchema[None] = Field(default=None, description="Ignored.")


class Flow(BaseModel):
    """A flow as the server returns it."""

    model_config = ConfigDict(populate_by_name=True)

    id: str
    name: str
    description: str
    type: FlowType
    lifecycle_state: LifecycleState
    version: int = Field(alias="_version", ge=1)
    blocks: list[Block]
    references: list[str]
    dateCreated: str
    dateModified: str
    selfUri: str


class Paging(BaseModel):
    pageSize: int
    pageNumber: int
    total: int
    pageCount: int
    selfUri: str
    firstUri: str
    lastUri: str
    nextUri: str | SkipJsonSchema[None] = Field(default=None, description="Absent on the last page.")
    previousUri: str | SkipJsonSchema[None] = Field(default=None, description="Absent on the first page.")


class FlowListing(Paging):
    entities: list[Flow]


class VersionSummary(BaseModel):
    version: int
    lifecycle_state: LifecycleState
    dateModified: str
    modifiedByClient: str


class VersionListing(Paging):
    entities: list[VersionSummary]


class Dependency(BaseModel):
    id: str
    name: str
    type: FlowType
    version: int
    lifecycle_state: LifecycleState
    selfUri: str


class DependencyObject(BaseModel):
    id: str
    name: str
    type: FlowType
    version: int
    consumedResources: list[Dependency]
    consumingResources: list[Dependency]


class ErrorDetail(BaseModel):
    errorCode: str
    fieldName: str
    entityId: str
    entityName: str


class ErrorBody(BaseModel):
    """The contract's error body; `contextId` equals the `ININ-Correlation-Id` header."""

    message: str
    code: str
    status: int
    contextId: str
    details: list[ErrorDetail]
    errors: list[Any]


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"]
    expires_in: int


class TokenError(BaseModel):
    error: str
    description: str
    error_description: str


class Health(BaseModel):
    status: Literal["ok"]
