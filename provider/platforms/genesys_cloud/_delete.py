"""Delete on genesys-cloud: soft delete, gone already is success, in use names the consumers (and
waits, bounded, while they are being deleted by this same platform object)."""

from __future__ import annotations

import logging
from typing import Any

from provider.errors import (
    ArchitectError,
    ConflictError,
    ErrorDetail,
)
from provider.platforms.base import FlowRef

from ._locks import LockOps
from .versions import (
    error_code,
)

log = logging.getLogger(__name__)


class DeleteOps(LockOps):
    """See provider/platforms/genesys_cloud/platform.py."""

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

    def _consumers_of(self, flow_id: str, body: Any) -> list[FlowRef]:
        details = body.get("details") if isinstance(body, dict) else None
        refs = [
            FlowRef(str(d.get("entityId")), str(d.get("entityName") or ""), "")
            for d in details or []
            if isinstance(d, dict) and d.get("entityId")
        ]
        return refs or self.consumers(flow_id)
