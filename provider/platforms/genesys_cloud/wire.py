"""The Genesys Cloud flows API answers this platform reads, as pydantic models named and shaped like
the official SDK's (`purecloudplatformclientv2`: `Flow`, `FlowVersion`, `Operation`, …), camelCase.
Lenient: unknown keys are ignored and every field the client can live without is optional, so a
platform that adds fields never breaks a deploy.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from provider.domain.fields import ATTRIBUTES


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class EntityRef(_Wire):
    """`DomainEntityRef` / `AddressableEntityRef` / `User` (only what the client reads)."""

    id: str | None = None
    name: str | None = None
    selfUri: str | None = None


class FlowVersion(_Wire):
    id: str
    name: str | None = None
    type: str | None = None  # SAVE | CHECKIN | PUBLISH
    createdBy: EntityRef | None = None
    createdByClient: EntityRef | None = None
    dateCreated: int | None = None  # epoch milliseconds
    dateSaved: int | None = None  # epoch milliseconds (a SAVE version: the holder's working copy)
    datePublished: int | str | None = None
    datePublishedEnd: int | str | None = None


class Operation(_Wire):
    id: str | None = None
    complete: bool | None = None
    actionName: str | None = None
    actionStatus: str | None = (
        None  # LOCKED | UNLOCKED | STARTED | PENDING_GENERATION | … | SUCCESS | FAILURE
    )
    errorCode: str | None = None
    errorMessage: str | None = None
    errorDetails: list[dict[str, Any]] | None = None
    user: EntityRef | None = None
    client: EntityRef | None = None


class Flow(_Wire):
    id: str
    name: str = ""
    description: str | None = None
    type: str | None = None
    active: bool | None = None
    deleted: bool | None = None
    lockedUser: EntityRef | None = None
    lockedClient: EntityRef | None = None
    publishedVersion: FlowVersion | None = None
    checkedInVersion: FlowVersion | None = None
    savedVersion: FlowVersion | None = None
    publishedBy: EntityRef | None = None
    currentOperation: Operation | None = None
    selfUri: str | None = None


#: The wire table: the simple managed fields (provider.domain.fields.ATTRIBUTES) this platform
#: carries, by field name → the `Flow`'s attribute (a new one also needs that attribute on `Flow`
#: above). Read generically; the description is written through the Archy document (and a PUT of
#: the flow when only it changed: `_locks._rename`), a new field would need its own write.
WIRE_ATTRIBUTES: dict[str, str] = {"description": "description"}


def live_attributes(flow: Flow) -> dict[str, Any]:
    """The attributes a live flow holds (absent or None as the table's default)."""
    rows = {a.name: a for a in ATTRIBUTES}
    return {name: rows[name].value(getattr(flow, key, None)) for name, key in WIRE_ATTRIBUTES.items()}


#: The attributes an Archy document holds (field → the parsed document's attribute): the definition
#: may repeat them only identically; the flow's value is the document's.
ARCHY_ATTRIBUTES: dict[str, str] = {"description": "description"}


def archy_attributes(document: Any) -> dict[str, Any]:
    """The attributes a parsed Archy document (`provider.domain.archy.ArchyFlow`) holds."""
    return {name: getattr(document, key) for name, key in ARCHY_ATTRIBUTES.items()}


class FlowVersionEntityListing(_Wire):
    entities: list[FlowVersion] = Field(default_factory=list)
    nextUri: str | None = None


class FlowEntityListing(_Wire):
    entities: list[Flow] = Field(default_factory=list)
    nextUri: str | None = None


class RegisterArchitectJobResponse(_Wire):
    id: str
    presignedUrl: str
    headers: dict[str, str] = Field(default_factory=dict)


class ArchitectJobMessage(_Wire):
    text: str | None = None
    type: str | None = None


class ArchitectJobStateResponse(_Wire):
    id: str
    status: str  # Registered | Started | Success | Failure
    command: str | None = None
    flow: EntityRef | None = None
    messages: list[ArchitectJobMessage] = Field(default_factory=list)


class RegisterArchitectExportJobResponse(_Wire):
    id: str
    status: str | None = None


class ArchitectExportJobStateResponse(_Wire):
    id: str
    status: str
    downloadUrl: str | None = None
    messages: list[ArchitectJobMessage] = Field(default_factory=list)


class Dependency(_Wire):
    """One consumed or consuming resource (`Dependency` / `ConsumedResourcesEntityListing` entity)."""

    id: str
    name: str | None = None
    type: str | None = None  # dependency object type, e.g. COMMONMODULEFLOW
    version: str | None = None
    deleted: bool | None = None


class DependencyListing(_Wire):
    entities: list[Dependency] = Field(default_factory=list)
    nextUri: str | None = None
