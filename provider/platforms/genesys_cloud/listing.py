"""One listing of the org's flows per type, shared by every flow of the provider process (one
`pulumi up`): it answers "does a flow of this type and name exist?" before a create and "did this
flow's version pointers move?" on a refresh, for a few calls per 500 flows instead of one per flow.

A listing is as old as its first page: it is read again once it is older than `max_age_s`, so that
a flow someone else created during a long run is seen within that time. Whatever the listing shows
is re-checked by a caller that acts on it (an apparent name collision is looked up exactly). What it
does not show is not re-checked: a flow of the same name someone else creates through the API after
the listing was read (unlocked; Architect's own create leaves it locked, which fails our job) is
written by the create's job, and only the next refresh sees its pointers differ (README, *API calls
per operation*: a known window of up to `max_age_s`)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from .wire import Flow


@dataclass
class _Listed:
    at: float
    by_id: dict[str, Flow] = field(default_factory=dict)
    by_name: dict[str, Flow] = field(default_factory=dict)


class FlowListing:
    """Flows by type, listed on first use (thread-safe: one listing of a type at a time)."""

    def __init__(
        self, list_type: Callable[[str], Iterator[Flow]], clock: Callable[[], float], max_age_s: float = 60.0
    ) -> None:
        self._list_type = list_type
        self._clock = clock
        self.max_age_s = max_age_s
        self._types: dict[str, _Listed] = {}
        self._lock = threading.Lock()
        self._type_locks: dict[str, threading.Lock] = {}
        self.listings = 0

    def _of(self, type: str) -> _Listed:
        key = type.upper()
        with self._lock:
            type_lock = self._type_locks.setdefault(key, threading.Lock())
        with type_lock:
            listed = self._types.get(key)
            if listed is None or self._clock() - listed.at > self.max_age_s:
                listed = _Listed(self._clock())
                for flow in self._list_type(key):
                    if flow.deleted or (flow.type or "").upper() != key:
                        continue
                    listed.by_id[flow.id] = flow
                    listed.by_name.setdefault(flow.name.casefold(), flow)
                self._types[key] = listed
                self.listings += 1
            return listed

    def named(self, name: str, type: str) -> Flow | None:
        """The listed flow of this type with this name (case-insensitive), if the listing has one."""
        return self._of(type).by_name.get(name.casefold())

    def by_id(self, flow_id: str, type: str) -> Flow | None:
        """The listed flow with this id (None: not listed, e.g. deleted or of another type)."""
        return self._of(type).by_id.get(flow_id)

    def knows(self, flow_id: str, type: str) -> bool:
        """Whether the flow was in the listing of its type when it was read (no new listing)."""
        listed = self._types.get(type.upper())
        return listed is not None and flow_id in listed.by_id

    def add(self, flow: Flow) -> None:
        """A flow this process wrote: a second create of its name in the run is a collision."""
        listed = self._types.get((flow.type or "").upper())
        if listed is not None:
            with self._lock:
                listed.by_id[flow.id] = flow
                listed.by_name.setdefault(flow.name.casefold(), flow)

    def forget(self) -> None:
        """Drop every listing (the next question lists again)."""
        with self._lock:
            self._types.clear()
