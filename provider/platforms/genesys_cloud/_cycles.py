"""Cycles of flows on genesys-cloud: Archy binds a reference by name, so a flow may use one that does
not exist yet once a stub of that name and type exists. The deploy layer (provider/deploy/cycles.py)
decides when and journals each write; here are the two writes it needs:

- `create_stub(name, type)`: an empty flow of that type and name, published through a job (Archy's
  job publishes what it imports), so that the flow closing a cycle can be deployed first; the
  stub's own create then adopts it and publishes its real content over it (same id, so every flow
  bound to the stub stays bound);
- `publish_stub(flow_id)`: an empty version of a flow published over its content (same name and
  type, no reference), so that a flow it used can be deleted while they use each other.

The stub is a document of our own (name and description only), not the job's `createStubs`: the
platform's stub takes its type from the reference (a transfer's target becomes an inbound call
flow), which is not the type every member of a cycle has.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from provider.domain import archy
from provider.errors import ArchitectError, JobFailedError, NotFoundError
from provider.platforms.base import ConflictPolicy, LiveFlow

from . import replaced
from ._update import UpdateOps
from .versions import pointer, revision_of
from .wire import Flow

#: The description a stub carries (what someone looking at the org sees until its real content lands).
STUB_DESCRIPTION = "genesys-flows stub, replaced by the real content of this flow in the same deploy"
_ARCHY_KEY_OF = {str(flow_type): key for key, flow_type in archy.ARCHY_TYPES.items()}


def stub_archy(flow_type: str, name: str, description: str = STUB_DESCRIPTION) -> str:
    """An Archy document of `flow_type` named `name` that uses no other flow."""
    key = _ARCHY_KEY_OF.get(flow_type)
    if key is None:
        raise ArchitectError(f"no Archy document for flow type {flow_type}: cannot stub {name!r}")
    return yaml.safe_dump({key: {"name": name, "description": description}}, sort_keys=False, width=10_000)


class CycleOps(UpdateOps):
    """See the module docstring."""

    def create_stub(self, name: str, type: str) -> LiveFlow:
        started = self._clock()
        try:
            flow_id = self._stub_job(stub_archy(type, name), name, type)
            flow = self._api.get_flow(flow_id)
            if flow is None:
                raise NotFoundError(f"the stub of {name!r} ({flow_id}) vanished after its job", status=410)
        except ArchitectError as exc:
            self._audit("create", None, name, None, None, started, exc)
            raise
        self._audit("create", flow.id, name, None, pointer(revision_of(flow), "checkedIn"), started, None)
        return self._live(flow)

    def publish_stub(
        self,
        flow_id: str,
        *,
        base_revision: str = "",
        policy: ConflictPolicy = "fail",
        base_extra: Mapping[str, str] | None = None,
    ) -> LiveFlow | None:
        """Publish an empty version over the flow; None when it is gone already. From
        `base_revision` (derived as `base_extra` says), the revision check of an update decides
        (`_check_revision`)."""
        flow = self._api.get_flow(flow_id)
        if flow is None or flow.deleted or not flow.type:
            return None
        started = self._clock()
        before = pointer(revision_of(flow), "checkedIn")
        with replaced.collecting() as seen:  # an overwrite notes the version it replaces
            base = LiveFlow(flow.id, flow.name, flow.type or "", "", base_revision, extra=base_extra or {})
            return self._publish_stub(flow, before, started, base, policy, seen)

    def _publish_stub(
        self,
        flow: Flow,
        before: str | None,
        started: float,
        base: LiveFlow,
        policy: ConflictPolicy,
        seen: Any,
    ) -> LiveFlow | None:
        flow_id = flow.id
        try:
            self._check_revision(flow, base, policy, flow.name)
            flow = self._clear_foreign_lock(flow, flow.name)
            self._stub_job(
                stub_archy(flow.type or "", flow.name, flow.description or ""), flow.name, flow.type
            )
            after = self._api.get_flow(flow_id)
        except ArchitectError as exc:
            self._audit("update", flow_id, flow.name, before, None, started, exc, replaced=seen.value)
            raise
        if after is None:
            return None
        after_pointer = pointer(revision_of(after), "checkedIn")
        self._audit("update", flow_id, flow.name, before, after_pointer, started, None, replaced=seen.value)
        return self._live(after)

    def _stub_job(self, text: str, name: str, type: str | None) -> str:
        state = self._one_job(text, name)
        if state.status.lower() != "success":
            texts = [m.text for m in state.messages if m.text]
            raise JobFailedError(
                f"the Archy job for the stub of flow {name!r} failed: {'; '.join(texts) or 'no message'}",
                messages=texts,
                code="job.failed",
            )
        if state.flow and state.flow.id:
            return state.flow.id
        found = self._find_flow(name, str(type))
        if found is None:
            raise ArchitectError(f"the Archy job for the stub of {name!r} named no flow", code="job.no.flow")
        return found.id
