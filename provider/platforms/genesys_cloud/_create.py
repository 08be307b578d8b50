"""Create on genesys-cloud (never adopting a flow of the same name, an ambiguous create resolved by
a lookup), and the set-aside of a flow a type change replaces (renamed out of its name's way)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping

from provider.domain.document import FlowDocument
from provider.errors import (
    ArchitectError,
    ConflictError,
    ServerError,
    TransportError,
)
from provider.platforms.base import LiveFlow

from ._core import (
    CODE_EXISTS,
    CODE_JOB_TIMEOUT,
)
from ._locks import LockOps
from .versions import (
    EXTRA_INFERRED,
    is_published,
    pointer,
    revision_of,
)
from .wire import Flow

log = logging.getLogger(__name__)


class CreateOps(LockOps):
    """See provider/platforms/genesys_cloud/platform.py."""

    def create(self, document: FlowDocument, ids: Mapping[str, str]) -> LiveFlow:
        started = self._clock()
        self._require_valid(document, "create")
        assert document.archy is not None
        try:
            # The run's listing first; only an apparent collision costs an exact look-up.
            listed = self.listing.named(document.name, str(document.type))
            existing = None if listed is None else self._find_flow(document.name, str(document.type))
            if existing is not None:
                stack = self.stack or "<stack>"
                raise ConflictError(
                    f"a {document.type} flow named {existing.name!r} already exists ({existing.id}); it is "
                    f"not adopted silently. To manage it from this stack, import it: archctl import --stack "
                    f"{stack}",
                    status=409,
                    code=CODE_EXISTS,
                )
            inferred: Flow | None = None
            try:
                flow_id, first_job = self._run_job(document, known_id=None)
                # A new flow written by the first job: its 1.0 (else read back by `_settle`).
                if first_job and not self.listing.knows(flow_id, str(document.type)):
                    inferred = self._job_wrote(flow_id, document, None)
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
            flow = self._settle(flow_id, document, job_ran=True, current=inferred)
            self.listing.add(flow)
            live = self._live(flow, document, ids)
            if flow is inferred:
                live = dataclasses.replace(live, extra={**live.extra, EXTRA_INFERRED: "create"})
        except ArchitectError as exc:
            self._audit("create", None, document.name, None, None, started, exc)
            raise
        self._audit("create", live.id, live.name, None, pointer(live.revision, "checkedIn"), started, None)
        return live

    def set_aside(self, flow_id: str, document: FlowDocument) -> bool:
        """Before the create of `document`: rename `flow_id` (this stack's flow under the same key)
        aside when it has the document's name and another type, so that no job binds the name to it
        (a flow created in this run that transfers to it included)."""
        why = f"{document.name!r} becomes a {document.type} flow"
        return self._aside_if_replaced(flow_id, document.name, str(document.type), why)

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
