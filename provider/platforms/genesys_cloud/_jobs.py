"""Asynchronous work on genesys-cloud: Archy import jobs (rerun when the platform throttled them),
export jobs (`fetch_content`), checkin/publish operations, and settling the lifecycle after a deploy."""

from __future__ import annotations

import logging
from typing import Any

from provider.domain import archy
from provider.domain.document import FlowDocument
from provider.errors import (
    ArchitectError,
    JobFailedError,
    NotFoundError,
    TransportError,
    error_from_response,
)
from provider.platforms.base import STEP_DEACTIVATION_PENDING, FlowVersionInfo, LiveFlow, report_step

from . import replaced
from ._core import (
    _JOB_LOCKED,
    _JOB_THROTTLED,
    _OWN_REPLAY_CODES,
    CODE_JOB_TIMEOUT,
    PlatformCore,
)
from .polling import PollTimeout, poll
from .versions import (
    error_code,
    next_version,
    ref_name,
    revision_of,
    version_order,
)
from .wire import (
    ArchitectExportJobStateResponse,
    ArchitectJobStateResponse,
    EntityRef,
    Flow,
    FlowVersion,
    Operation,
    RegisterArchitectJobResponse,
)

log = logging.getLogger(__name__)


class JobOps(PlatformCore):
    """See provider/platforms/genesys_cloud/platform.py."""

    def content_version(self, flow: LiveFlow) -> str | None:
        """The version whose content counts: the published one, else the checked-in one."""
        return flow.extra.get("publishedVersion") or flow.extra.get("checkedInVersion")

    def versions(self, flow_id: str) -> list[FlowVersionInfo]:
        """Every version of the flow, the newest first (`VersionHistory`): a version published once
        has `datePublished` (a draft's too: its job published it before the deactivation)."""
        flow = self._api.get_flow(flow_id)
        if flow is None:
            raise NotFoundError(f"flow {flow_id} does not exist (or was deleted)", status=410)
        live = flow.publishedVersion.id if flow.publishedVersion else None
        out = [
            FlowVersionInfo(
                id=v.id,
                published=v.datePublished is not None or (v.type or "").upper() == "PUBLISH",
                live=v.id == live,
                created_by=ref_name(v.createdBy) or ref_name(v.createdByClient),
                date_published=None if v.datePublished is None else str(v.datePublished),
            )
            for v in self._api.iter_versions(flow_id)
        ]
        return sorted(out, key=lambda v: version_order(v.id), reverse=True)

    def fetch_content(self, flow_id: str, version: str | None = None) -> str:
        """The Archy YAML of the flow (a version, or the latest) through an export job."""
        job = self._api.register_export(flow_id, version)
        state = self._export_done(job.id, f"flow {flow_id}")
        assert state.downloadUrl is not None
        return self._api.download(state.downloadUrl)

    def fetch_contents(self, flows: list[tuple[str, str | None]]) -> dict[str, str | ArchitectError]:
        """The Archy YAML of several flows (id, version) through one export job (a zip); a flow
        the job left out, or every flow of a job that failed, is exported alone (so one flow's
        problem is that flow's error, not the batch's)."""
        if len(flows) == 1:
            flows_alone = flows
        else:
            try:
                job = self._api.register_exports(flows)
                state = self._export_done(job.id, f"{len(flows)} flows")
                assert state.downloadUrl is not None
                files = self._api.download_files(state.downloadUrl)
            except ArchitectError as exc:
                log.info("export of %d flows in one job failed (%s): one at a time", len(flows), exc)
                files = {}
            flows_alone = [(i, v) for i, v in flows if i not in files]
        out: dict[str, str | ArchitectError] = (
            {i: files[i] for i, _ in flows if i in files} if len(flows) > 1 else {}
        )
        for flow_id, version in flows_alone:
            try:
                out[flow_id] = self.fetch_content(flow_id, version)
            except ArchitectError as exc:
                out[flow_id] = exc
        return out

    def _export_done(self, job_id: str, what: str) -> ArchitectExportJobStateResponse:
        """Wait for an export job; its final state, which succeeded with a download URL."""
        wait = self.export_timer.wait() if self.export_timer else None
        try:
            state = poll(
                lambda: self._api.get_export(job_id),
                lambda s: s.status.lower() in ("success", "failure"),
                backoff=wait or self.backoff,
                timeout_s=self.job_timeout_s,
                clock=self._clock,
                sleep=self._sleep,
                what=f"export job {job_id} of {what}",
            )
            if wait is not None:
                wait.done()
        except PollTimeout as exc:
            raise ArchitectError(str(exc), code="export.job.timeout") from None
        finally:
            if wait is not None:
                wait.close()
        if state.status.lower() != "success" or not state.downloadUrl:
            texts = [m.text for m in state.messages if m.text]
            raise JobFailedError(
                f"export of {what} failed: " + ("; ".join(texts) or "no message"),
                messages=texts,
                code="export.job.failed",
            )
        return state

    def _run_job(self, document: FlowDocument, *, known_id: str | None) -> tuple[str, bool]:
        """Deploy the Archy text through a job; the flow id it wrote, and whether the first job did
        (the version it wrote may then be derived, `_job_wrote`). Reruns a job the platform failed
        with its own 429 (bounded); unlocks first and reruns once when `force_unlock` and the job met
        someone else's lock. A rerun job's version is not derived: a failed job may have checked in
        a version before failing, so the platform's numbering is read back."""
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
                return flow_id, attempt == 1 and not unlocked
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
        job = self._register_job(name)
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

        wait = self.job_timer.wait() if self.job_timer and not uncertain else None
        try:
            state = poll(
                lambda: self._api.get_job(job.id),
                done,
                backoff=wait or self.backoff,
                timeout_s=timeout,
                clock=self._clock,
                sleep=self._sleep,
                what=f"Archy job {job.id} for flow {name!r}",
            )
            if wait is not None:
                wait.done()
            return state
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
        finally:
            if wait is not None:
                wait.close()

    def _job_wrote(self, flow_id: str, document: FlowDocument, before: Flow | None) -> Flow:
        """The flow as this job left it, without reading it back: a job checks in and publishes one
        new version (`next_version` of what was read before it; a new flow's is 1.0) under the
        document's name and type, with the Archy text's description when it has one."""
        assert document.archy is not None
        said = archy.parse(document.archy).description
        version = FlowVersion(
            id=next_version(before), type="CHECKIN", createdByClient=EntityRef(id=self.settings.client_id)
        )
        return Flow(
            id=flow_id,
            name=document.name,
            type=str(document.type),
            description=said or (before.description if before else None),
            publishedVersion=version,
            checkedInVersion=version,
            selfUri=f"/api/v2/flows/{flow_id}",
        )

    def _register_job(self, name: str) -> RegisterArchitectJobResponse:
        """POST /flows/jobs. A lost answer (the server may have registered a job) is resolved here,
        in the same run, without a look-up: a registered job starts only when its file is PUT to the
        presigned URL that was in the lost answer, so it can write nothing, and it expires unused (the
        URL's lifetime); the API lists no jobs to find it by. The request is sent again (bounded, by the
        retry policy: `lookup_first` with nothing to look up) and the new job is the only one that
        gets the file: one job runs, never a second flow. When every answer is lost, nothing was
        written: the error says so and is not ambiguous (the write's intent is a failure, not one a
        later run must resolve)."""
        try:
            return self._api.register_job()
        except TransportError as exc:
            if exc.ambiguous:
                exc.message += (
                    f" (registering the Archy job for {name!r}; no file was uploaded, nothing was written)"
                )
                exc.ambiguous = False
            raise

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
            # Journaled first: a run killed here leaves the draft published; the next one completes.
            report_step(STEP_DEACTIVATION_PENDING, flow_id, revision_of(flow))
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

    def deactivate(self, flow_id: str) -> LiveFlow | None:
        """Take the published version down (completing a draft's write a kill interrupted)."""
        flow = self._api.get_flow(flow_id)
        if flow is None:
            return None
        if flow.publishedVersion is not None:
            # Audited as an update of the flow: the version taken down, and who published it.
            started, before = self._clock(), flow.publishedVersion.id
            whose = replaced.taken_down(flow)
            try:
                self._api.action("deactivate", flow_id)
            except ArchitectError as exc:
                self._audit("update", flow_id, flow.name, before, None, started, exc, replaced=whose)
                raise
            after = flow.checkedInVersion.id if flow.checkedInVersion else None
            self._audit("update", flow_id, flow.name, before, after, started, None, replaced=whose)
        return self.read(flow_id)
