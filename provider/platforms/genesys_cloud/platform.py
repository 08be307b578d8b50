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
  the old one, no longer used, is deleted at the end of the run;
- a cycle of flows (they transfer to each other): a stub of the flow a back-reference names is
  created first and adopted by that flow's create; a cycle is deleted after an empty version of the
  member still using the deleted one is published (`_cycles`, provider/deploy/cycles.py).
"""

from __future__ import annotations

from provider.platforms.base import PlatformConfig
from provider.platforms.http.pool import ClientPool
from provider.platforms.http.recorder import Recorder

from ._cycles import CycleOps
from ._delete import DeleteOps
from .versions import EXTRA_ARCHY_SHA

__all__ = ["EXTRA_ARCHY_SHA", "GenesysCloudPlatform"]


class GenesysCloudPlatform(CycleOps, DeleteOps):
    """One Genesys Cloud organization's Architect flows, managed as Archy YAML (thread-safe). By
    operation: `_core` (state, reads, validation, recording), `_jobs`, `_locks`, `_create` (and the
    set-aside), `_update`, `_delete`, `_cycles`."""

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
