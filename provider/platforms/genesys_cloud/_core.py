"""The genesys-cloud platform's shared state and steps: the connection, the reads, validation,
who holds a lock, a flow as a `LiveFlow`, and the recorder's events (metrics, audit)."""

from __future__ import annotations

import functools
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Literal

from provider.domain import archy
from provider.domain.document import FlowDocument
from provider.domain.problems import Problem
from provider.errors import (
    ArchitectError,
    ForbiddenError,
    LockedError,
    ServerError,
    ValidationError,
)
from provider.platforms.base import FlowRef, LiveFlow
from provider.platforms.http.pool import ClientPool
from provider.platforms.http.recorder import ConflictEvent, MutationEvent, Recorder
from provider.platforms.http.requestor import Requestor
from provider.platforms.http.retry import RetryPolicy
from provider.platforms.http.settings import ConnectionSettings

from . import replaced
from ._proxy import GenesysCloudProxy, object_type
from .listing import FlowListing
from .polling import Backoff, JobTimer, PollTimeout, poll
from .rules import CONFLICT_POLICIES, NAME, validate_document
from .versions import (
    EXTRA_ARCHY_SHA,
    EXTRA_INFERRED,
    EXTRA_OWN_CHECKIN,
    archy_sha,
    by_client,
    flow_type_of,
    own_write,
    ref_name,
    revision_of,
)
from .wire import Flow, live_attributes

log = logging.getLogger(__name__)

CODE_CHANGED_ELSEWHERE = "architect.flow.changed.elsewhere"
CODE_LOCKED = "architect.flow.locked.by.user"
CODE_EXISTS = "architect.flow.already.exists"
CODE_JOB_TIMEOUT = "job.timeout"

#: Job failures caused by the platform's own rate limit (Archy exits 107 on a 429): rerun the job.
#: A bare "429" is not enough: it can be part of a flow's name in the job's message.
_JOB_THROTTLED = re.compile(
    r"(?:http|status|code)\s*:?\s*429\b|\b429\s+too many|too many requests|exit code:?\s*107", re.IGNORECASE
)
_JOB_LOCKED = re.compile(r"\blocked\b|forceUnlock", re.IGNORECASE)
#: 409 codes that, answering the replay of an ambiguous attempt, mean the first attempt went through.
_OWN_REPLAY_CODES: dict[str, tuple[str, ...]] = {
    "checkin": ("architect.flow.not.locked.by.user", "architect.operation.already.in.progress"),
    "publish": ("architect.operation.already.in.progress",),
}


class PlatformCore:
    """What every operation of `GenesysCloudPlatform` shares (see its module, `platform`)."""

    name = NAME
    conflict_policies: frozenset[str] = frozenset(CONFLICT_POLICIES)

    def __init__(
        self,
        settings: ConnectionSettings,
        *,
        recorder: Recorder | None = None,
        retry: RetryPolicy | None = None,
        force_unlock: bool = False,
        job_timeout_s: float = 600.0,
        poll_initial_s: float = 0.2,
        poll_max_s: float = 5.0,
        job_attempts: int = 3,
        delete_attempts: int = 6,
        track_dependencies: bool = True,
        stack: str | None = None,
        pacing: bool = True,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        pool: ClientPool | None = None,
        adaptive_polling: bool = True,
        listing_max_age_s: float = 60.0,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.force_unlock = force_unlock
        self.job_timeout_s = job_timeout_s
        self.backoff = Backoff(initial_s=poll_initial_s, max_s=poll_max_s)
        # Import and export jobs: the first status call when most such jobs are done (learnt).
        self.job_timer = JobTimer(self.backoff) if adaptive_polling else None
        self.export_timer = JobTimer(self.backoff) if adaptive_polling else None
        self.job_attempts = max(1, job_attempts)
        self.delete_attempts = max(1, delete_attempts)
        self.track_dependencies = track_dependencies
        self.stack = stack
        self._clock = clock
        self._sleep = sleep
        #: Epoch seconds, for the age of a lock (the platform dates a saved copy by the wall clock).
        self.wall_clock = wall_clock
        self._requestor = Requestor(settings, retry=retry, recorder=recorder, pacing=pacing, pool=pool)
        self.recorder: Recorder = self._requestor.recorder
        self._api = GenesysCloudProxy(self._requestor)
        self._lock = threading.Lock()
        self._deleting: set[str] = set()
        self._deleted: set[str] = set()
        self._aside_lock = threading.Lock()
        self._set_aside_ids: set[str] = set()
        self.listing = FlowListing(
            lambda type: self._api.iter_flows(type=type), self._clock, max_age_s=listing_max_age_s
        )
        self._consumed_cache: dict[tuple[str, str], tuple[str, ...]] = {}

    @property
    def requestor(self) -> Requestor:
        """The org's authenticated, paced, retried calls (the org-objects check reads through it)."""
        return self._requestor

    def validate(self, document: FlowDocument) -> list[Problem]:
        """Every rule of this platform that holds without the network (all problems at once)."""
        return validate_document(document)

    def read(self, flow_id: str) -> LiveFlow | None:
        """One GET; None when the flow does not exist or was deleted."""
        flow = self._api.get_flow(flow_id)
        return None if flow is None else self._live(flow)

    def is_recorded_write(self, live: LiveFlow, base: LiveFlow) -> bool:
        """Whether `live` still shows the write recorded as `base` (`versions.own_write`): the rule of
        the revision check of an update, of a refresh and of a cycle's cut."""
        ours = live.extra.get(EXTRA_OWN_CHECKIN) == "true"
        return own_write(live.revision, ours, base.revision, base.extra.get(EXTRA_INFERRED))

    def read_listed(self, flow_id: str, type: str) -> LiveFlow | None:
        """The flow as the run's listing of its type shows it (a refresh at the cost of that
        listing); a flow the listing lacks is read alone (gone: None)."""
        flow = self.listing.by_id(flow_id, type) if type else None
        return self._live(flow) if flow is not None else self.read(flow_id)

    def find(self, name: str, type: str) -> LiveFlow | None:
        flow = self._find_flow(name, type)
        return None if flow is None else self._live(flow)

    def list_flows(self) -> Iterator[LiveFlow]:
        for flow in self._api.iter_flows():
            yield self._live(flow)

    def consumers(self, flow_id: str, *, type: str | None = None) -> list[FlowRef]:
        """The flows whose published or checked-in version uses this one."""
        if type is None:
            flow = self._api.get_flow(flow_id)
            if flow is None or not flow.type:
                return []
            type = flow.type
        obj = object_type(type)
        found: dict[str, FlowRef] = {}
        for flow_filter in ("published", "checkedIn"):
            entities = self._rebuilt(
                functools.partial(self._api.consuming, flow_id, obj, flow_filter), "consumers"
            )
            for dep in entities:
                if dep.id != flow_id:
                    found.setdefault(dep.id, FlowRef(dep.id, dep.name or "", flow_type_of(dep.type)))
        return list(found.values())

    def consumed_flows(self, flow_id: str, version: str, type: str) -> list[FlowRef]:
        """The flows `version` of the flow uses (dependency tracking; 206 "being rebuilt" waited)."""
        obj = object_type(type)
        entities = self._rebuilt(lambda: self._api.consumed(flow_id, version, obj), "consumed resources")
        return [
            FlowRef(d.id, d.name or "", flow_type_of(d.type))
            for d in entities
            if d.type and (d.type.endswith("FLOW") or d.type == "WORKFLOW")
        ]

    def _require_valid(
        self, document: FlowDocument, action: Literal["create", "update"], flow_id: str | None = None
    ) -> None:
        problems = self.validate(document)
        if not problems:
            return
        for problem in problems:
            self._requestor.safe(self.recorder.on_validation_problem, problem)
        error = ValidationError(
            f"flow {document.name!r} is invalid for genesys-cloud ({len(problems)} problem(s)); "
            "nothing was sent",
            problems=problems,
            code="payload.or.params.invalid",
        )
        self._audit(action, flow_id, document.name, None, None, self._clock(), error)
        raise error

    def _find_flow(self, name: str, type: str) -> Flow | None:
        """The flow of exactly this type and name (case-insensitive): the list filter is not exact."""
        wanted = name.casefold()
        for flow in self._api.iter_flows(type=type, name=name):
            if (
                flow.name.casefold() == wanted
                and (flow.type or "").upper() == type.upper()
                and not flow.deleted
            ):
                return flow
        return None

    def _rebuilt(self, fetch: Callable[[], Any], what: str) -> Any:
        """Dependency tracking answers 206 while it rebuilds: wait (bounded) for a real answer."""
        try:
            return poll(
                fetch,
                lambda result: result is not None,
                backoff=Backoff(initial_s=max(self.backoff.initial_s, 0.5), max_s=self.backoff.max_s),
                timeout_s=min(self.job_timeout_s, 60.0),
                clock=self._clock,
                sleep=self._sleep,
                what=f"dependency tracking ({what}) is being rebuilt",
                first_delay=False,
            )
        except PollTimeout as exc:
            raise ServerError(str(exc), status=206, code="architect.dependency.tracking.rebuilding") from None

    def _description(self, document: FlowDocument) -> str:
        if document.description:
            return document.description
        assert document.archy is not None
        return archy.parse(document.archy).description

    def _holder(self, flow: Flow) -> str | None:
        """Who holds the flow's lock, when it is not this client."""
        if flow.lockedUser is not None:
            return f"user {ref_name(flow.lockedUser) or 'unknown'}"
        client = flow.lockedClient
        if client is not None and self.settings.client_id not in (client.id, client.name):
            return f"OAuth client {ref_name(client) or 'unknown'}"
        return None

    def _unlock(self, flow: Flow, name: str, holder: str) -> Flow:
        started = self._clock()
        version = flow.checkedInVersion.id if flow.checkedInVersion else None
        whose = replaced.lock_holder(flow, self.wall_clock())
        try:
            out = self._api.action("unlock", flow.id)
        except ForbiddenError as exc:
            exc.message += " — forceUnlock needs the permission architect:flow:unlock"
            self._audit("unlock", flow.id, name, version, version, started, exc, replaced=whose)
            raise
        except ArchitectError as exc:
            self._audit("unlock", flow.id, name, version, version, started, exc, replaced=whose)
            raise
        age = whose["lock_age_s"]
        held = f", held for at least {age:.0f} s" if age is not None else ""
        log.warning("flow %r (%s): unlocked the lock of %s%s (forceUnlock)", name, flow.id, holder, held)
        self._audit("unlock", flow.id, name, version, version, started, None, replaced=whose)
        return Flow.model_validate(out.body) if isinstance(out.body, dict) and out.body.get("id") else flow

    def _locked_error(self, label: str, holder: str, what: str, job_messages: str = "") -> LockedError:
        quoted = f" (the job said: {job_messages})" if job_messages else ""
        return LockedError(
            f"{label} is locked by {holder}; the {what} was not done{quoted}. Ask them to check the flow in "
            "(or discard their changes) in Architect, or set forceUnlock on the stack to unlock it first "
            "(needs the permission architect:flow:unlock; their unsaved edits are lost)",
            holder=holder,
            status=409,
            code=CODE_LOCKED,
        )

    def _live(
        self,
        flow: Flow,
        document: FlowDocument | None = None,
        ids: Mapping[str, str] | None = None,
        *,
        known_references: tuple[str, ...] | None = None,
    ) -> LiveFlow:
        extra: dict[str, str] = {}
        if flow.publishedVersion is not None:
            extra["publishedVersion"] = flow.publishedVersion.id
        if flow.checkedInVersion is not None:
            extra["checkedInVersion"] = flow.checkedInVersion.id
        holder = self._holder(flow)
        if holder:
            extra["lockedBy"] = holder
        if by_client(flow, self.settings.client_id):
            extra[EXTRA_OWN_CHECKIN] = "true"
        references: tuple[str, ...] = ()
        if document is not None and document.archy is not None:
            extra[EXTRA_ARCHY_SHA] = archy_sha(document.archy)
            version = flow.publishedVersion or flow.checkedInVersion
            if known_references is not None:
                references = known_references
            elif not (document.references or archy.parse(document.archy).references):
                references = ()  # the content names no other flow: nothing to look up
            elif (flow.id, version.id if version else "") in self._consumed_cache:
                references = self._consumed_cache[(flow.id, version.id if version else "")]
            elif self.track_dependencies and version is not None and flow.type and flow.type != "SPEECH":
                try:
                    consumed = self.consumed_flows(flow.id, version.id, flow.type)
                except ArchitectError as exc:  # e.g. no dependencyTracking permission, a lost answer
                    # The deploy itself succeeded: report it, with the references marked unknown.
                    log.warning("flow %r: consumed flows unknown: %s", document.name, exc)
                    extra["referencesUnknown"] = exc.code or "unavailable"
                    consumed = None
                references = tuple(sorted(ref.id for ref in consumed or ()))
                if consumed is not None:
                    self._consumed_cache[(flow.id, version.id)] = references
                declared = {ids[k] for k in document.references if ids and k in ids}
                if consumed is not None and ids is not None and declared != set(references):
                    log.warning(
                        "flow %r: its content uses %s but the definition declares %s",
                        document.name,
                        sorted(references),
                        sorted(declared),
                    )
        return LiveFlow(
            id=flow.id,
            name=flow.name,
            type=flow.type or "",
            lifecycle_state="published" if flow.publishedVersion is not None else "draft",
            revision=revision_of(flow),
            references=references,
            changed_by=ref_name(flow.publishedBy),
            self_uri=flow.selfUri,
            extra=extra,
            attributes=live_attributes(flow),
        )

    def _conflict(
        self, flow_id: str, resolution: Literal["overwritten", "failed"], fields: dict[str, Any]
    ) -> None:
        self._requestor.safe(
            self.recorder.on_conflict, ConflictEvent(flow_id=flow_id, resolution=resolution, fields=fields)
        )

    def _audit(
        self,
        action: Literal["create", "update", "delete", "unlock"],
        flow_id: str | None,
        name: str | None,
        before: str | None,
        after: str | None,
        started: float,
        error: ArchitectError | None,
        *,
        replaced: Mapping[str, Any] | None = None,
    ) -> None:
        self._requestor.safe(
            self.recorder.on_mutation,
            MutationEvent(
                action=action,
                flow_id=flow_id,
                flow_name=name,
                version_before=before,
                version_after=after,
                outcome="failure" if error is not None else "success",
                error_code=(error.code or type(error).__name__) if error is not None else None,
                correlation_id=error.correlation_id
                if error is not None
                else self._requestor.last_correlation_id,
                latency_s=max(0.0, self._clock() - started),
                client_id=self.settings.client_id,
                replaced=replaced,
            ),
        )
