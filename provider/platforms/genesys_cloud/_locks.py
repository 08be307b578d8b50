"""Locks on genesys-cloud: a rename in place (checkout → PUT → checkin, our lock released on every
path), someone else's lock refused or unlocked (forceUnlock, audited)."""

from __future__ import annotations

import logging

from provider.errors import (
    ArchitectError,
    ConflictError,
)

from ._core import (
    CODE_CHANGED_ELSEWHERE,
)
from ._jobs import JobOps
from .versions import (
    revision_of,
)
from .wire import Flow

log = logging.getLogger(__name__)


class LockOps(JobOps):
    """See provider/platforms/genesys_cloud/platform.py."""

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

    def _clear_foreign_lock(self, flow: Flow, name: str) -> Flow:
        holder = self._holder(flow)
        if holder is None:
            return flow
        if not self.force_unlock:
            raise self._locked_error(f"flow {name!r} ({flow.id})", holder, "update")
        return self._unlock(flow, name, holder)
