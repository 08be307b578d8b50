"""Update on genesys-cloud: the revision check (policy fail or overwrite), someone else's lock, a
rename in place, the job only when the content changed, then the lifecycle."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping

from provider.domain.document import FlowDocument
from provider.errors import (
    ArchitectError,
    ConfigurationError,
    ConflictError,
    NotFoundError,
    ValidationError,
)
from provider.platforms.base import ConflictPolicy, LiveFlow

from . import replaced
from ._core import (
    CODE_CHANGED_ELSEWHERE,
)
from ._create import CreateOps
from .versions import (
    EXTRA_ARCHY_SHA,
    EXTRA_INFERRED,
    archy_sha,
    is_published,
    pointer,
    ref_name,
    revision_of,
)
from .wire import Flow

log = logging.getLogger(__name__)


class UpdateOps(CreateOps):
    """See provider/platforms/genesys_cloud/platform.py."""

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
        with replaced.collecting() as seen:  # an overwrite notes the version it replaces
            try:
                result = self._write(flow_id, document, ids, base, policy, previous_ids)
            except ArchitectError as exc:
                self._audit("update", flow_id, document.name, before, None, started, exc, replaced=seen.value)
                raise
        after = pointer(result.revision, "checkedIn")
        self._audit("update", flow_id, result.name, before, after, started, None, replaced=seen.value)
        return result

    def _write(
        self,
        flow_id: str,
        document: FlowDocument,
        ids: Mapping[str, str],
        base: LiveFlow,
        policy: ConflictPolicy,
        previous_ids: Mapping[str, str] | None,
    ) -> LiveFlow:
        """The update's steps: checks, a rename in place, the job (only when the content changed or
        must be bound again), the description, the lifecycle."""
        assert document.archy is not None
        live, moved = self._checked(flow_id, document, base, policy)
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
        first_job = False
        if content:
            job_flow, first_job = self._run_job(document, known_id=flow_id)
            if job_flow != flow_id:
                raise ArchitectError(
                    f"the Archy job for {document.name!r} wrote flow {job_flow}, not {flow_id}",
                    code="job.flow.mismatch",
                )
        # After one job alone (no rerun, no unlock), the flow is what the job's answer and the
        # pointers read before say; otherwise it is read back.
        inferred = self._job_wrote(flow_id, document, live) if first_job and not renamed else None
        current = inferred or (live if not (renamed or content) else self._api.get_flow(flow_id))
        if current is not None and (current.description or "") != description:
            if current is inferred:
                current = self._api.get_flow(flow_id)
            if current is not None:
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
        if flow is inferred:
            result = dataclasses.replace(result, extra={**result.extra, EXTRA_INFERRED: "update"})
        return result

    def _checked(
        self, flow_id: str, document: FlowDocument, base: LiveFlow, policy: ConflictPolicy
    ) -> tuple[Flow, bool]:
        """The live flow, when it may be written (it exists, keeps its type, nobody else's version is
        live or the policy overwrites it, nobody else holds its lock or forceUnlock), and whether
        someone else's version is live."""
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
        return self._clear_foreign_lock(live, document.name), moved

    def _check_revision(self, live: Flow, base: LiveFlow, policy: ConflictPolicy, name: str) -> bool:
        """True when someone else moved the version pointers (and the policy lets us go on)."""
        if not base.revision:
            return False
        now = revision_of(live)
        if self.is_recorded_write(self._live(live), base):
            if now != base.revision:  # derived, and the platform numbered it otherwise
                log.info("flow %r: our last write is version %s (recorded %s)", name, now, base.revision)
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
        replaced.note(replaced.overwritten(live, base.revision))
        return True
