"""Whose work a write replaces, for the audit trail: the holder of a lock that forceUnlock breaks
(user or OAuth client, as the flow names it) with the lock's age, and the live version an overwrite
replaces with who published it.

The flows API carries no lock time: the age is that of the holder's saved working copy
(`savedVersion.dateSaved`, else its `dateCreated`: saving in Architect takes the lock), a lower bound;
None when the holder saved nothing. The overwrite's fields are noted where the revision check
decides (`note`) and collected by the update that audits (`collecting`): a context variable, so the
parallel updates of one platform (threads) never see each other's."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from .versions import pointer, revision_of
from .wire import EntityRef, Flow, FlowVersion


def _iso(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _by(ref: EntityRef | None, kind: str) -> dict[str, Any] | None:
    if ref is None or not (ref.id or ref.name):
        return None
    return {"kind": kind, "id": ref.id, "name": ref.name or ref.id}


def _lock_since(flow: Flow, holder_id: str | None) -> float | None:
    """Epoch seconds of the holder's saved working copy; None without one."""
    saved: FlowVersion | None = flow.savedVersion
    if saved is None or holder_id is None:
        return None
    author = saved.createdBy or saved.createdByClient
    if author is None or author.id != holder_id:
        return None
    stamp = saved.dateSaved or saved.dateCreated
    return stamp / 1000.0 if stamp else None


def lock_holder(flow: Flow, now_s: float) -> dict[str, Any]:
    """The audit entry's `replaced` of a forced unlock: the holder and the lock's age (seconds)."""
    holder = _by(flow.lockedUser, "user") or _by(flow.lockedClient, "client") or {"kind": "unknown"}
    since = _lock_since(flow, holder.get("id"))
    return {
        "what": "lock",
        "holder_kind": holder["kind"],
        "holder_id": holder.get("id"),
        "holder_name": holder.get("name"),
        "lock_since": _iso(since) if since is not None else None,
        "lock_age_s": round(max(0.0, now_s - since), 3) if since is not None else None,
    }


def publisher(flow: Flow) -> dict[str, Any] | None:
    """Who published the live version (`publishedBy`, a user), else who made it (user or client)."""
    found = _by(flow.publishedBy, "user")
    for version in (flow.publishedVersion, flow.checkedInVersion):
        if found is None and version is not None:
            found = _by(version.createdBy, "user") or _by(version.createdByClient, "client")
    return found


def taken_down(live: Flow) -> dict[str, Any]:
    """The audit entry's `replaced` of a deactivation: the published version taken down, and who
    published it (a recovery takes down only what this stack's own killed write published)."""
    now = revision_of(live)
    by = publisher(live) or {}
    return {
        "what": "version",
        "version": pointer(now, "published"),
        "revision": now,
        "by_kind": by.get("kind"),
        "by_id": by.get("id"),
        "by_name": by.get("name"),
    }


def overwritten(live: Flow, base_revision: str) -> dict[str, Any]:
    """The audit entry's `replaced` of an overwrite: the live version replaced, who published it, and
    the state's base beside it."""
    return {
        **taken_down(live),
        "version": pointer(revision_of(live), "published") or pointer(revision_of(live), "checkedIn"),
        "base_version": pointer(base_revision, "published") or pointer(base_revision, "checkedIn"),
        "base_revision": base_revision,
    }


class _Seen:
    value: dict[str, Any] | None = None


_CURRENT: ContextVar[_Seen | None] = ContextVar("genesys_cloud_replaced", default=None)


@contextlib.contextmanager
def collecting() -> Iterator[_Seen]:
    """Collect what the write inside replaces (`note`), for its audit entry."""
    seen = _Seen()
    token = _CURRENT.set(seen)
    try:
        yield seen
    finally:
        _CURRENT.reset(token)


def note(fields: dict[str, Any]) -> None:
    seen = _CURRENT.get()
    if seen is not None:
        seen.value = fields
