"""The platform seam: what the provider, the program's pre-check and the CLI need from a platform.

A platform speaks one flows API. It takes canonical `FlowDocument`s (logical keys) plus `ids`
(logical key → flow id of the referenced flows) and answers `LiveFlow`s (ids). It validates what it
can without the network (`validate`), and it owns every API call: retries, pacing, locks, jobs,
conflict detection. Errors are `provider.errors.ArchitectError` subclasses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from provider.domain.document import FlowDocument
from provider.domain.fields import DESCRIPTION
from provider.domain.problems import Problem
from provider.platforms.http.settings import ConnectionSettings

#: What an update does when someone else changed the flow since the state last saw it.
ConflictPolicy = Literal["merge", "overwrite", "fail"]
#: (done, total or None, flow name) while an organization is read.
Progress = Callable[[int, int | None, str], None]


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

    @property
    def description(self) -> str:
        return str(self.attributes.get(DESCRIPTION) or "")


@dataclass
class OrgCheck:
    """The org-objects check of a set of flows against one org (read-only): `problems` (missing,
    ambiguous, not listable for lack of a permission), names computed at run time (`unchecked`,
    never guessed), how many names were checked and the API calls it took."""

    problems: list[Problem] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    checked: int = 0
    calls: int = 0


@runtime_checkable
class Platform(Protocol):
    """One flows API. Implementations: `architecture_api.ArchitectureApiPlatform`,
    `genesys_cloud.GenesysCloudPlatform`."""

    name: str
    #: The conflict policies this platform supports (genesys-cloud: no `merge`).
    conflict_policies: frozenset[str]

    def validate(self, document: FlowDocument) -> list[Problem]:
        """Every rule of this platform that holds without the network (all problems at once)."""
        ...

    def create(self, document: FlowDocument, ids: Mapping[str, str]) -> LiveFlow:
        """Create the flow; never a duplicate (an ambiguous create is resolved by a lookup), never
        adopting an existing flow of the same type and name silently."""
        ...

    def read(self, flow_id: str) -> LiveFlow | None:
        """The live flow, or None when it is gone (404/410)."""
        ...

    def update(
        self,
        flow_id: str,
        document: FlowDocument,
        ids: Mapping[str, str],
        *,
        base: LiveFlow,
        policy: ConflictPolicy,
        previous_ids: Mapping[str, str] | None = None,
    ) -> LiveFlow:
        """Make the flow match `document`. `base` is the flow as the state last recorded it (its
        `revision` detects someone else's change; the policy decides what happens then).
        `previous_ids` are the ids the state recorded for the references (logical key → id): where
        one differs from `ids`, that flow of the stack was replaced."""
        ...

    def delete(self, flow_id: str, *, name: str = "") -> None:
        """Delete the flow; already gone is success; in use fails naming the consumers."""
        ...

    def find(self, name: str, type: str) -> LiveFlow | None:
        """The live flow of exactly this type and name (case-insensitive), if any."""
        ...

    def list_flows(self) -> Iterator[LiveFlow]:
        """Every live flow of the organization."""
        ...

    def consumers(self, flow_id: str) -> list[FlowRef]:
        """The flows that use this one."""
        ...

    def set_aside(self, flow_id: str, document: FlowDocument) -> bool:
        """Before `document` is created: `flow_id` is a flow this stack wrote under the same key. If
        it still has the document's name and another type, the document replaces it (a type change);
        a platform whose references bind by name renames it out of the way. True when it did."""
        ...


#: The intermediate step of a draft's write (genesys-cloud): its job published the flow, the
#: deactivation that makes it a draft again has not run yet.
STEP_DEACTIVATION_PENDING = "deactivation_pending"

#: Set by the deploy layer around one write: a platform reports an intermediate step through it
#: (`report_step`) before going on, so that a run killed at that step is completed by the next one.
write_step: ContextVar[Callable[[str, str, str], None] | None] = ContextVar(
    "genesys_flows_write_step", default=None
)


def report_step(step: str, flow_id: str, revision: str) -> None:
    """Record `step` of the running write (the flow and its revision at that step), if one listens."""
    hook = write_step.get()
    if hook is not None:
        hook(step, flow_id, revision)


@runtime_checkable
class DraftRecovery(Protocol):
    """A platform whose drafts are written as "job (which publishes), then deactivate"
    (genesys-cloud): checked with `isinstance`."""

    def deactivate(self, flow_id: str) -> LiveFlow | None:
        """Take the flow's published version down (it stays checked in); the flow after, or None
        when it no longer exists."""
        ...


@runtime_checkable
class ContentExport(Protocol):
    """A platform whose content is read apart from the flow, through export jobs (genesys-cloud):
    checked with `isinstance`. On the others the content comes with `read`/`list_flows`."""

    def content_version(self, flow: LiveFlow) -> str | None:
        """The version whose content counts (the published one, else the checked-in one)."""
        ...

    def fetch_content(self, flow_id: str, version: str | None = None) -> str:
        """The flow's content (a version, or the latest) through an export job."""
        ...


@dataclass(frozen=True)
class FlowVersionInfo:
    """One version of a flow, as a platform that keeps them lists it."""

    id: str
    #: Whether this version was ever published (the ones a rollback may go back to).
    published: bool
    #: The version published now.
    live: bool = False
    created_by: str | None = None
    date_published: str | None = None


@runtime_checkable
class VersionHistory(Protocol):
    """A platform that keeps every version of a flow with its content (genesys-cloud), so that a
    flow can be rolled back to one: checked with `isinstance`."""

    def versions(self, flow_id: str) -> list[FlowVersionInfo]:
        """Every version of the flow, the newest first."""
        ...

    def fetch_content(self, flow_id: str, version: str | None = None) -> str:
        """One version's content (the text a definition holds)."""
        ...


@runtime_checkable
class RecordedWrites(Protocol):
    """A platform whose recorded revision may be derived rather than read back (genesys-cloud), so
    that "the live revision differs from the recorded one" does not by itself mean someone else
    wrote the flow: checked with `isinstance`."""

    def is_recorded_write(self, live: LiveFlow, base: LiveFlow) -> bool:
        """Whether `live` still shows the write recorded as `base` (its revision and extras)."""
        ...


@runtime_checkable
class ListedRead(Protocol):
    """A platform that answers a refresh from one listing of the org per run (genesys-cloud):
    checked with `isinstance`."""

    def read_listed(self, flow_id: str, type: str) -> LiveFlow | None:
        """The flow as the run's listing of its type shows it; None when it is gone."""
        ...


class PlatformConfig(Protocol):
    """What `provider.platforms.get_platform` needs from a stack's config
    (`provider.deploy.config.StackConfig` is one)."""

    @property
    def stack(self) -> str: ...
    @property
    def platform(self) -> str: ...
    @property
    def conflict_policy(self) -> ConflictPolicy: ...
    @property
    def force_unlock(self) -> bool: ...
    def connection(self) -> ConnectionSettings: ...


@runtime_checkable
class CycleStubs(Protocol):
    """A platform whose references bind by name (genesys-cloud), so a cycle of flows is deployable:
    checked with `isinstance`. The deploy layer journals both writes (provider/deploy/cycles.py)."""

    def create_stub(self, name: str, type: str) -> LiveFlow:
        """An empty published flow of this type and name (that uses no other flow)."""
        ...

    def publish_stub(
        self,
        flow_id: str,
        *,
        base_revision: str = "",
        policy: ConflictPolicy = "fail",
        base_extra: Mapping[str, str] | None = None,
    ) -> LiveFlow | None:
        """Publish an empty version over the flow (same name and type, no reference); None when it
        is gone. With `base_revision` (this stack's last write; derived as `base_extra` says, e.g.
        `revisionInferred`), someone else's version is handled as an update's is: `policy` fail
        refuses (`ConflictError`), overwrite replaces it (audited)."""
        ...
