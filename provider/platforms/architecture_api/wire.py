"""The Architecture API's listing, version and dependency objects (wire names of the contract).

The flow itself (`Flow`, `FlowFields`) is in `provider.platforms.architecture_api.models`, with the
contract's tables its rules use; these objects only the client parses.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from provider.domain.fields import LifecycleState
from provider.platforms.architecture_api.models import Flow


class _Listing(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    pageSize: int | None = None
    pageNumber: int | None = None
    total: int | None = None
    pageCount: int | None = None
    selfUri: str | None = None
    firstUri: str | None = None
    lastUri: str | None = None
    nextUri: str | None = None
    previousUri: str | None = None


class FlowListing(_Listing):
    entities: list[Flow] = Field(default_factory=list)


class VersionInfo(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    version: int
    lifecycle_state: LifecycleState | None = None
    dateModified: str | None = None
    modifiedByClient: str | None = None


class VersionListing(_Listing):
    entities: list[VersionInfo] = Field(default_factory=list)


class Dependency(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    id: str
    name: str | None = None
    type: str | None = None
    version: int | None = None
    lifecycle_state: str | None = None
    selfUri: str | None = None


class DependencyReport(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    id: str
    name: str | None = None
    type: str | None = None
    version: int | None = None
    consumedResources: list[Dependency] = Field(default_factory=list)
    consumingResources: list[Dependency] = Field(default_factory=list)
