"""`GenesysCloudPlatform`: the platform seam on the real Genesys Cloud flows API (`/api/v2/flows`).

Decisions only; every HTTP call is in `_proxy`. What it does, and what CX-as-Code does not:
- content goes through an Archy job (register → presigned upload → poll with a backoff that starts
  at `poll_initial_s` and caps at `poll_max_s`, not a fixed 15 s); a job the platform failed with a
  429 of its own is run again (bounded); any other failure quotes the job's messages;
- create looks the flow up by type and exact name first and never adopts an existing flow; a create
  whose answer was lost is resolved by the same lookup (a job is create-or-update by name, so a
  rerun can never make a second flow either);
- draft: the job always publishes, so a draft is deactivated after its job; `archived` is refused;
- rename in place: checkout → PUT → checkin (→ publish), same id, no orphan;
- no lost update: the version pointers recorded after each write (`LiveFlow.revision`) are compared
  with the live flow right before the next write; policy `fail` refuses naming both versions and
  who published, `overwrite` proceeds and records the conflict; `merge` is refused;
- locks: someone else's lock fails the write naming the holder, or is unlocked first (audited) when
  `force_unlock` is set; our own checkout is always released, also when a later step fails;
- delete names the consumers when the flow is in use and waits (bounded) only while those consumers
  are being deleted by this same platform object;
- a type change of a flow others use: Pulumi creates the new flow before deleting the old one, and
  Archy binds a transfer by name, so the old flow is renamed aside first — by the replacement's
  create (`set_aside`, the flow this stack wrote under the key) or, failing that, by a dependent's
  update (the id its state recorded for that reference); every job then binds to the new flow and
  the old one, no longer used, is deleted at the end of the run.
"""

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
from provider.domain.rules import Problem
from provider.errors import (
    ArchitectError,
    ConfigurationError,
    ConflictError,
    ErrorDetail,
    ForbiddenError,
    JobFailedError,
    LockedError,
    NotFoundError,
    ServerError,
    TransportError,
    ValidationError,
    error_from_response,
)
from provider.platforms.base import ConflictPolicy, FlowRef, LiveFlow, PlatformConfig
from provider.platforms.http.pool import ClientPool
from provider.platforms.http.recorder import ConflictEvent, MutationEvent, Recorder
from provider.platforms.http.requestor import Requestor
from provider.platforms.http.retry import RetryPolicy
from provider.platforms.http.settings import ConnectionSettings

from ._proxy import GenesysCloudProxy, object_type
from .polling import Backoff, PollTimeout, poll
from .rules import validate_document
from .versions import (
    EXTRA_ARCHY_SHA,
    archy_sha,
    error_code,
    flow_type_of,
    is_published,
    pointer,
    ref_name,
    revision_of,
)
from .wire import ArchitectJobStateResponse, Flow, Operation

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


class GenesysCloudPlatform:
    """One Genesys Cloud organization's Architect flows, managed as Archy YAML (thread-safe)."""

    name = "genesys-cloud"
    conflict_policies: frozenset[str] = frozenset({"fail", "overwrite"})

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
    ) -> None:
        self.settings = settings
        self.force_unlock = force_unlock
        self.job_timeout_s = job_timeout_s
        self.backoff = Backoff(initial_s=poll_initial_s, max_s=poll_max_s)
        self.job_attempts = max(1, job_attempts)
        self.delete_attempts = max(1, delete_attempts)
        self.track_dependencies = track_dependencies
        self.stack = stack
        self._clock = clock
        self._sleep = sleep
        self._requestor = Requestor(settings, retry=retry, recorder=recorder, pacing=pacing, pool=pool)
        self.recorder: Recorder = self._requestor.recorder
        self._api = GenesysCloudProxy(self._requestor)
        self._lock = threading.Lock()
        self._deleting: set[str] = set()
        self._deleted: set[str] = set()
        self._aside_lock = threading.Lock()
        self._set_aside_ids: set[str] = set()

    @classmethod
    def from_config(
        cls, config: PlatformConfig, *, recorder: Recorder | None = None, pool: ClientPool | None = None
    ) -> GenesysCloudPlatform:
        """The platform for a stack's config (what `provider.platforms.get_platform` builds)."""
        return cls(
            config.connection(),
            recorder=recorder,
            force_unlock=config.force_unlock,
            stack=config.stack,
            pool=pool,
        )

    def __repr__(self) -> str:
        return (
            f"GenesysCloudPlatform(api={self.settings.api_base_url!r}, client_id={self.settings.client_id!r})"
        )

    # ------------------------------------------------------------------ validation

    def validate(self, document: FlowDocument) -> list[Problem]:
        """Every rule of this platform that holds without the network (all problems at once)."""
        return validate_document(document)

    # ------------------------------------------------------------------ reads

    def read(self, flow_id: str) -> LiveFlow | None:
        """One GET; None when the flow does not exist or was deleted."""
        flow = self._api.get_flow(flow_id)
        return None if flow is None else self._live(flow)

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

    def fetch_content(self, flow_id: str, version: str | None = None) -> str:
        """The Archy YAML of the flow (a version, or the latest) through an export job."""
        job = self._api.register_export(flow_id, version)
        try:
            state = poll(
                lambda: self._api.get_export(job.id),
                lambda s: s.status.lower() in ("success", "failure"),
                backoff=self.backoff,
                timeout_s=self.job_timeout_s,
                clock=self._clock,
                sleep=self._sleep,
                what=f"export job {job.id} of flow {flow_id}",
            )
        except PollTimeout as exc:
            raise ArchitectError(str(exc), code="export.job.timeout") from None
        if state.status.lower() != "success" or not state.downloadUrl:
            texts = [m.text for m in state.messages if m.text]
            raise JobFailedError(
                f"export of flow {flow_id} failed: " + ("; ".join(texts) or "no message"),
                messages=texts,
                code="export.job.failed",
            )
        return self._api.download(state.downloadUrl)

    # ------------------------------------------------------------------ writes

    def create(self, document: FlowDocument, ids: Mapping[str, str]) -> LiveFlow:
        started = self._clock()
        self._require_valid(document, "create")
        assert document.archy is not None
        try:
            existing = self._find_flow(document.name, str(document.type))
            if existing is not None:
                stack = self.stack or "<stack>"
                raise ConflictError(
                    f"a {document.type} flow named {existing.name!r} already exists ({existing.id}); it is "
                    f"not adopted silently. To manage it from this stack, import it: archctl import --stack "
                    f"{stack}",
                    status=409,
                    code=CODE_EXISTS,
                )
            try:
                flow_id = self._run_job(document, known_id=None)
            except ArchitectError as exc:
                if not isinstance(exc, TransportError | ServerError) and exc.code != CODE_JOB_TIMEOUT:
                    raise
                # The job may have run although its answer was lost: the same lookup decides.
                found = self._find_flow(document.name, str(document.type))
                if found is None:
                    raise
                log.info(
                    "create of %r: its job's answer was lost; found the flow (%s)", document.name, found.id
                )
                flow_id = found.id
            flow = self._settle(flow_id, document, job_ran=True)
            live = self._live(flow, document, ids)
        except ArchitectError as exc:
            self._audit("create", None, document.name, None, None, started, exc)
            raise
        self._audit("create", live.id, live.name, None, pointer(live.revision, "checkedIn"), started, None)
        return live

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
        if policy not in self.conflict_policies:
            raise ConfigurationError(
                f"conflict policy {policy!r} is not supported on genesys-cloud: Archy content is opaque "
                "YAML that cannot be merged field by field; use 'fail' (refuse when someone else changed "
                "the flow) or 'overwrite' (replace their change, logged)"
            )
        started = self._clock()
        before = pointer(base.revision, "checkedIn")
        self._require_valid(document, "update", flow_id=flow_id)
        assert document.archy is not None
        try:
            live = self._api.get_flow(flow_id)
            if live is None:
                raise NotFoundError(
                    f"flow {document.name!r} ({flow_id}) no longer exists on the platform; refresh the stack",
                    status=410,
                    code="architect.flow.deleted",
                )
            if live.type and live.type != str(document.type):
                raise ValidationError(
                    f"flow {document.name!r}: the type cannot change in place "
                    f"({live.type} → {document.type}); it must be replaced",
                    code="architect.flow.validate.failed",
                )
            moved = self._check_revision(live, base, policy, document.name)
            live = self._clear_foreign_lock(live, document.name)
            # A referenced flow replaced (a new id): the content is deployed again, so that the
            # platform binds the names in it to the new flow.
            rebind = self._set_aside_replaced(document, ids, previous_ids)
            description = self._description(document)
            # Someone else's version is live (policy overwrite): ours is deployed again even when our
            # text did not change since the state's deploy.
            content = rebind or moved or base.extra.get(EXTRA_ARCHY_SHA) != archy_sha(document.archy)
            # A new name must be given in place first: a job under a new name would create a second
            # flow. A description alone may come with the job; whatever it left different is PUT after.
            renamed = live.name != document.name
            if renamed:
                self._rename(live, document.name, description, publish=not content and is_published(live))
            if content:
                job_flow = self._run_job(document, known_id=flow_id)
                if job_flow != flow_id:
                    raise ArchitectError(
                        f"the Archy job for {document.name!r} wrote flow {job_flow}, not {flow_id}",
                        code="job.flow.mismatch",
                    )
            current = live if not (renamed or content) else self._api.get_flow(flow_id)
            if current is not None and (current.description or "") != description:
                self._rename(current, document.name, description, publish=is_published(current))
                current = None
            flow = self._settle(flow_id, document, job_ran=content, current=current)
            # Same versions as the state recorded: the consumed flows are the recorded ones too.
            same = (
                not (renamed or content)
                and revision_of(flow) == base.revision
                and EXTRA_ARCHY_SHA in base.extra  # `base` came from a deploy, which tracked them
                and "referencesUnknown" not in base.extra
            )
            result = self._live(flow, document, ids, known_references=base.references if same else None)
        except ArchitectError as exc:
            self._audit("update", flow_id, document.name, before, None, started, exc)
            raise
        self._audit(
            "update", flow_id, result.name, before, pointer(result.revision, "checkedIn"), started, None
        )
        return result

    def delete(self, flow_id: str, *, name: str = "") -> None:
        """Soft-delete; gone already is success; in use fails naming the consumers, except that it
        waits (bounded) while every consumer is being deleted by this platform object."""
        started = self._clock()
        with self._lock:
            self._deleting.add(flow_id)
        try:
            self._delete(flow_id, name)
        except ArchitectError as exc:
            self._audit("delete", flow_id, name or None, None, None, started, exc)
            raise
        finally:
            with self._lock:
                self._deleting.discard(flow_id)
        self._audit("delete", flow_id, name or None, None, None, started, None)

    # ------------------------------------------------------------------ internals: steps

    def _delete(self, flow_id: str, name: str) -> None:
        label = f"flow {name!r} ({flow_id})" if name else f"flow {flow_id}"
        unlocked = False
        delays = self.backoff.delays()
        for attempt in range(1, self.delete_attempts + 1):
            out = self._api.delete_flow(flow_id)
            if out.status in (404, 410):
                log.info("%s is already gone", label)
                break
            if out.status == 405:
                flow = self._api.get_flow(flow_id)
                if flow is None:
                    break
                holder = self._holder(flow) or "someone else"
                if self.force_unlock and not unlocked:
                    self._unlock(flow, name, holder)
                    unlocked = True
                    continue
                raise self._locked_error(label, holder, "delete")
            if out.status == 409:
                consumers = self._consumers_of(flow_id, out.body)
                with self._lock:
                    ours = self._deleting | self._deleted
                pending = [c for c in consumers if c.id not in ours]
                if consumers and not pending and attempt < self.delete_attempts:
                    # The consumers are being deleted in this run: their deletion is catching up.
                    self._sleep(next(delays))
                    continue
                shown = (
                    ", ".join(f"{c.name or '?'} ({c.type or 'flow'} {c.id})" for c in consumers) or "unknown"
                )
                raise ConflictError(
                    f"{label} is in use by: {shown}; delete or change those flows first",
                    status=409,
                    code=error_code(out.body) or "architect.flow.cannot.delete.used.in.flows",
                    details=[ErrorDetail(entityId=c.id, entityName=c.name) for c in consumers],
                )
            break
        else:
            raise ConflictError(
                f"{label} could not be deleted after {self.delete_attempts} attempts", status=409
            )
        with self._lock:
            self._deleted.add(flow_id)

    def _set_aside_replaced(
        self, document: FlowDocument, ids: Mapping[str, str], previous_ids: Mapping[str, str] | None
    ) -> bool:
        """True when a reference now resolves to another flow than the state recorded. Each recorded
        flow replaced by a flow of another type under the same name (a type change) is then renamed
        aside, so that the job binds the name to the new flow. Only the ids the state recorded for
        this flow's references are touched: flows of this stack, which the engine deletes once
        their dependents have moved."""
        if previous_ids is None:
            return False
        moved = {
            previous_ids[k]: ids[k]
            for k in document.references
            if k in ids and previous_ids.get(k) and previous_ids[k] != ids[k]
        }
        if not moved:  # the same flows under other keys (a referenced key renamed) bind the same
            return {ids.get(k) for k in document.references} != set(previous_ids.values())
        for old_id, new_id in moved.items():
            new = None if old_id in self._set_aside_ids else self._api.get_flow(new_id)
            if new is not None and new.type:
                self._aside_if_replaced(
                    old_id, new.name, new.type, f"flow {document.name!r} uses {new.name!r}"
                )
        return True

    def set_aside(self, flow_id: str, document: FlowDocument) -> bool:
        """Before the create of `document`: rename `flow_id` (this stack's flow under the same key)
        aside when it has the document's name and another type, so that no job binds the name to it
        (a flow created in this run that transfers to it included)."""
        why = f"{document.name!r} becomes a {document.type} flow"
        return self._aside_if_replaced(flow_id, document.name, str(document.type), why)

    def _aside_if_replaced(self, old_id: str, name: str, new_type: str, why: str) -> bool:
        """Rename `old_id` aside when a flow of `new_type` takes its `name` (a type change); True when
        it did. Parallel callers for one flow (its dependents) rename it once."""
        with self._aside_lock:
            if old_id in self._set_aside_ids:
                return False
            old = self._api.get_flow(old_id)
            if old is None or old.deleted or not old.type:
                return False
            if old.name.casefold() != name.casefold() or old.type == new_type:
                return False
            self._rename_aside(old, new_type, why)
            return True

    def _rename_aside(self, old: Flow, new_type: str, why: str) -> None:
        """Rename `old` out of its name's way; the engine deletes it later, once nothing uses it."""
        started = self._clock()
        aside = f"{old.name} (replaced {old.id[:8]})"
        before = pointer(revision_of(old), "checkedIn")
        try:
            old = self._clear_foreign_lock(old, old.name)
            self._rename(old, aside, old.description or "", publish=is_published(old))
        except ArchitectError as exc:
            exc.message = (
                f"{exc.message} ({why}: the {old.type} flow {old.id} of that name must be renamed aside "
                f"first so that the name binds to the new {new_type} flow)"
            )
            self._audit("update", old.id, aside, before, None, started, exc)
            raise
        self._set_aside_ids.add(old.id)
        log.info("flow %r (%s, %s) renamed %r: %s", old.name, old.type, old.id, aside, why)
        after = self._api.get_flow(old.id)
        after_version = pointer(revision_of(after), "checkedIn") if after else None
        self._audit("update", old.id, aside, before, after_version, started, None)

    def _consumers_of(self, flow_id: str, body: Any) -> list[FlowRef]:
        details = body.get("details") if isinstance(body, dict) else None
        refs = [
            FlowRef(str(d.get("entityId")), str(d.get("entityName") or ""), "")
            for d in details or []
            if isinstance(d, dict) and d.get("entityId")
        ]
        return refs or self.consumers(flow_id)

    def _run_job(self, document: FlowDocument, *, known_id: str | None) -> str:
        """Deploy the Archy text through a job; the flow id it wrote. Reruns a job the platform failed
        with its own 429 (bounded); unlocks first and reruns once when `force_unlock` and the job met
        someone else's lock."""
        assert document.archy is not None
        unlocked = False
        attempt = 0
        delays = self.backoff.delays()
        while True:
            attempt += 1
            state = self._one_job(document.archy, document.name)
            if state.status.lower() == "success":
                flow_id = state.flow.id if state.flow and state.flow.id else None
                if flow_id is None:
                    found = self._find_flow(document.name, str(document.type))
                    if found is None:
                        raise ArchitectError(
                            f"the Archy job for {document.name!r} named no flow", code="job.no.flow"
                        )
                    flow_id = found.id
                return flow_id
            texts = [m.text for m in state.messages if m.text]
            joined = "; ".join(texts) or "no message"
            if any(_JOB_THROTTLED.search(t) for t in texts) and attempt < self.job_attempts:
                log.warning("Archy job for %r was throttled by the platform; running it again", document.name)
                self._sleep(max(1.0, next(delays)))
                continue
            if any(_JOB_LOCKED.search(t) for t in texts):
                flow = (
                    self._api.get_flow(known_id)
                    if known_id
                    else self._find_flow(document.name, str(document.type))
                )
                holder = (self._holder(flow) if flow else None) or "someone else"
                if self.force_unlock and not unlocked and flow is not None and self._holder(flow):
                    self._unlock(flow, document.name, holder)
                    unlocked = True
                    continue
                raise self._locked_error(f"flow {document.name!r}", holder, "deploy", job_messages=joined)
            raise JobFailedError(
                f"the Archy job for flow {document.name!r} failed: {joined}",
                messages=texts,
                code="job.failed",
            )

    def _one_job(self, text: str, name: str, *, fresh_tries: int = 2) -> ArchitectJobStateResponse:
        """Register, upload, poll. When the upload's fate is unknown and the job never started, a
        new job is registered (at most `fresh_tries` times; a job is create-or-update by name, so a
        second one can never make a second flow)."""
        job = self._api.register_job()
        uncertain = False
        try:
            self._api.upload(job.presignedUrl, job.headers, text)
        except TransportError as exc:
            if not exc.ambiguous:
                raise
            uncertain = True  # it may have landed: the job's status tells
        timeout = min(self.job_timeout_s, 30.0) if uncertain else self.job_timeout_s

        def done(state: ArchitectJobStateResponse) -> bool:
            return state.status.lower() in ("success", "failure")

        try:
            return poll(
                lambda: self._api.get_job(job.id),
                done,
                backoff=self.backoff,
                timeout_s=timeout,
                clock=self._clock,
                sleep=self._sleep,
                what=f"Archy job {job.id} for flow {name!r}",
            )
        except PollTimeout as exc:
            last = exc.last
            if (
                uncertain
                and fresh_tries > 0
                and isinstance(last, ArchitectJobStateResponse)
                and last.status.lower() == "registered"
            ):
                log.info("upload for %r never reached its job; running a new job", name)
                return self._one_job(text, name, fresh_tries=fresh_tries - 1)
            status = last.status if isinstance(last, ArchitectJobStateResponse) else "unknown"
            raise ArchitectError(f"{exc} (last status {status})", code=CODE_JOB_TIMEOUT) from None

    def _rename(self, live: Flow, name: str, description: str, *, publish: bool) -> None:
        """checkout → PUT → checkin (→ publish): the same flow under its new name. The lock taken here
        is released on every path."""
        out = self._api.action("checkout", live.id, handled=(409,))
        if out.status == 409:
            flow = self._api.get_flow(live.id) or live
            raise self._locked_error(
                f"flow {name!r} ({live.id})", self._holder(flow) or "someone else", "rename"
            )
        checked = Flow.model_validate(out.body) if isinstance(out.body, dict) and out.body.get("id") else live
        holding = True
        try:
            if revision_of(checked) != revision_of(live):
                raise ConflictError(
                    f"flow {name!r} ({live.id}) changed between the check and the checkout "
                    f"({revision_of(live)} → {revision_of(checked)}); nothing was written",
                    status=409,
                    code=CODE_CHANGED_ELSEWHERE,
                )
            body = {"name": name, "description": description, "type": live.type}
            self._api.put_flow(live.id, {k: v for k, v in body.items() if v is not None})
            self._operation(live.id, "checkin", self._async_action("checkin", live.id))
            holding = False
            if publish:
                self._operation(live.id, "publish", self._async_action("publish", live.id))
        finally:
            if holding:
                self._release(live.id, name)

    def _release(self, flow_id: str, name: str) -> None:
        """Give back our own lock after a failed step: check in (no special permission); when that
        is refused, unlock. Logged, never raised: the original error is the one that matters."""
        try:
            self._operation(flow_id, "checkin", self._async_action("checkin", flow_id))
            return
        except ArchitectError as exc:
            log.warning(
                "flow %r (%s): check-in to release our lock failed (%s); unlocking", name, flow_id, exc
            )
        try:
            self._api.action("unlock", flow_id)
        except ArchitectError as exc:
            log.error("flow %r (%s) is left locked by this client: %s", name, flow_id, exc)

    def _async_action(self, action: str, flow_id: str) -> Any:
        """Start a checkin/publish; its `Operation` body. When an earlier attempt may have been
        applied (its answer was lost), the replay's 409 is our own first attempt: the lock is already
        released, or the operation is already running. Then the flow's `currentOperation` tells."""
        out = self._api.action(action, flow_id, handled=(409,))
        if out.status != 409:
            return out.body
        code = error_code(out.body)
        if out.ambiguous_before and code in _OWN_REPLAY_CODES.get(action, ()):
            log.info("%s of flow %s: the replay met our own first attempt (%s)", action, flow_id, code)
            return None
        raise error_from_response(
            409,
            out.body,
            method="POST",
            path=f"/api/v2/flows/actions/{action}",
            correlation_id=out.correlation_id,
        )

    def _operation(self, flow_id: str, action: str, body: Any) -> None:
        """Wait for an asynchronous checkin/publish; a FAILURE raises with the platform's message."""
        op = Operation.model_validate(body) if isinstance(body, dict) else Operation()
        if not op.complete and (op.actionStatus or "").upper() not in ("SUCCESS", "FAILURE"):

            def done(flow: Flow | None) -> bool:
                cur = flow.currentOperation if flow else None
                return (
                    cur is None
                    or bool(cur.complete)
                    or (cur.actionStatus or "").upper() in ("SUCCESS", "FAILURE")
                )

            try:
                flow = poll(
                    lambda: self._api.get_flow(flow_id),
                    done,
                    backoff=self.backoff,
                    timeout_s=self.job_timeout_s,
                    clock=self._clock,
                    sleep=self._sleep,
                    what=f"{action} of flow {flow_id}",
                )
            except PollTimeout as exc:
                raise ArchitectError(str(exc), code="operation.timeout") from None
            if flow is None:
                raise NotFoundError(f"flow {flow_id} disappeared during its {action}", status=410)
            op = flow.currentOperation or Operation(actionStatus="SUCCESS")
        if (op.actionStatus or "").upper() == "FAILURE":
            raise ArchitectError(
                f"{action} of flow {flow_id} failed: {op.errorMessage or op.errorCode or 'no message'}",
                code=op.errorCode or f"{action}.failed",
            )

    def _settle(
        self, flow_id: str, document: FlowDocument, *, job_ran: bool, current: Flow | None = None
    ) -> Flow:
        """Bring the lifecycle to the document's (a job always publishes) and answer the flow now."""
        flow = current or self._api.get_flow(flow_id)
        if flow is None:
            raise NotFoundError(f"flow {document.name!r} ({flow_id}) vanished after its deploy", status=410)
        want = str(document.lifecycle_state)
        if want == "draft" and flow.publishedVersion is not None:
            out = self._api.action("deactivate", flow_id)
            flow = (
                Flow.model_validate(out.body) if isinstance(out.body, dict) and out.body.get("id") else flow
            )
            if flow.publishedVersion is not None:
                flow = self._api.get_flow(flow_id) or flow
        elif want == "published" and flow.publishedVersion is None and not job_ran:
            self._operation(flow_id, "publish", self._async_action("publish", flow_id))
            flow = self._api.get_flow(flow_id) or flow
        return flow

    # ------------------------------------------------------------------ internals: checks

    def _check_revision(self, live: Flow, base: LiveFlow, policy: ConflictPolicy, name: str) -> bool:
        """True when someone else moved the version pointers (and the policy lets us go on)."""
        if not base.revision:
            return False
        now = revision_of(live)
        if now == base.revision:
            return False
        by = ref_name(live.publishedBy)
        if by is None and live.checkedInVersion is not None:
            by = ref_name(live.checkedInVersion.createdBy) or ref_name(live.checkedInVersion.createdByClient)
        who = by or "unknown"
        message = (
            f"flow {name!r} ({live.id}) was changed outside this stack: the state recorded "
            f"{base.revision}, the platform now has {now} (published by {who})"
        )
        fields = {"revision": (base.revision, now), "publishedBy": who}
        if policy == "fail":
            self._conflict(live.id, "failed", fields)
            raise ConflictError(
                message
                + "; nothing was written. Review it (archctl drift), then take it into the definition, "
                "or deploy with the conflict policy 'overwrite' to replace it",
                status=409,
                code=CODE_CHANGED_ELSEWHERE,
            )
        log.warning("%s; overwriting it (conflict policy 'overwrite')", message)
        self._conflict(live.id, "overwritten", fields)
        return True

    def _holder(self, flow: Flow) -> str | None:
        """Who holds the flow's lock, when it is not this client."""
        if flow.lockedUser is not None:
            return f"user {ref_name(flow.lockedUser) or 'unknown'}"
        client = flow.lockedClient
        if client is not None and self.settings.client_id not in (client.id, client.name):
            return f"OAuth client {ref_name(client) or 'unknown'}"
        return None

    def _clear_foreign_lock(self, flow: Flow, name: str) -> Flow:
        holder = self._holder(flow)
        if holder is None:
            return flow
        if not self.force_unlock:
            raise self._locked_error(f"flow {name!r} ({flow.id})", holder, "update")
        return self._unlock(flow, name, holder)

    def _unlock(self, flow: Flow, name: str, holder: str) -> Flow:
        started = self._clock()
        version = flow.checkedInVersion.id if flow.checkedInVersion else None
        try:
            out = self._api.action("unlock", flow.id)
        except ForbiddenError as exc:
            exc.message += " — forceUnlock needs the permission architect:flow:unlock"
            self._audit("unlock", flow.id, name, version, version, started, exc)
            raise
        except ArchitectError as exc:
            self._audit("unlock", flow.id, name, version, version, started, exc)
            raise
        log.warning("flow %r (%s): unlocked the lock of %s (forceUnlock)", name, flow.id, holder)
        self._audit("unlock", flow.id, name, version, version, started, None)
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
        references: tuple[str, ...] = ()
        if document is not None and document.archy is not None:
            extra[EXTRA_ARCHY_SHA] = archy_sha(document.archy)
            version = flow.publishedVersion or flow.checkedInVersion
            if known_references is not None:
                references = known_references
            elif self.track_dependencies and version is not None and flow.type and flow.type != "SPEECH":
                try:
                    consumed = self.consumed_flows(flow.id, version.id, flow.type)
                except ArchitectError as exc:  # e.g. no dependencyTracking permission, a lost answer
                    # The deploy itself succeeded: report it, with the references marked unknown.
                    log.warning("flow %r: consumed flows unknown: %s", document.name, exc)
                    extra["referencesUnknown"] = exc.code or "unavailable"
                    consumed = None
                references = tuple(sorted(ref.id for ref in consumed or ()))
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
            description=flow.description or "",
            lifecycle_state="published" if flow.publishedVersion is not None else "draft",
            revision=revision_of(flow),
            references=references,
            changed_by=ref_name(flow.publishedBy),
            self_uri=flow.selfUri,
            extra=extra,
        )

    # ------------------------------------------------------------------ internals: recording

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
            ),
        )
