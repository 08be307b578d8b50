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

#: Seconds a failed listing (403, a 5xx after the retries) is answered from memory: the threads
#: waiting for it get its error (each a fresh copy) instead of each reading it again (at most `max_age_s`).
FAILURE_MEMORY_S = 5.0


@dataclass
class _Listed:
    at: float
    by_id: dict[str, Flow] = field(default_factory=dict)
    by_name: dict[str, Flow] = field(default_factory=dict)

    def put(self, flow: Flow) -> None:
        self.by_id[flow.id] = flow
        self.by_name.setdefault(flow.name.casefold(), flow)


@dataclass
class _Failed:
    at: float
    error: Exception


def _fresh(error: Exception) -> Exception:
    """A new error of the remembered one's class, message and attributes, for one more caller:
    raising the one object from several threads would share (and grow) its traceback. Built without
    calling `__init__` (some errors take required keyword arguments)."""
    cls = type(error)
    fresh = cls.__new__(cls, *error.args)
    fresh.__dict__.update(vars(error))
    return fresh


class FlowListing:
    """Flows by type, listed on first use (thread-safe: one listing of a type at a time). The flows
    this process created are kept apart too (`add`), so that a listing read while one of them was
    being created still shows it."""

    def __init__(
        self,
        list_type: Callable[[str], Iterator[Flow]],
        clock: Callable[[], float],
        max_age_s: float = 60.0,
        failure_memory_s: float = FAILURE_MEMORY_S,
    ) -> None:
        self._list_type = list_type
        self._clock = clock
        self.max_age_s = max_age_s
        self.failure_memory_s = min(failure_memory_s, max_age_s)
        self._types: dict[str, _Listed] = {}
        #: Our own creates by type, with when they were added (a listing begun later shows them).
        self._own: dict[str, dict[str, tuple[float, Flow]]] = {}
        self._failed: dict[str, _Failed] = {}
        self._lock = threading.Lock()  # _types, _own and _failed
        self._type_locks: dict[str, threading.Lock] = {}
        self.listings = 0

    def _of(self, type: str) -> _Listed:
        key = type.upper()
        with self._lock:
            type_lock = self._type_locks.setdefault(key, threading.Lock())
        with type_lock:
            with self._lock:
                listed, failed = self._types.get(key), self._failed.get(key)
            now = self._clock()
            if listed is not None and now - listed.at <= self.max_age_s:
                return listed
            if failed is not None and now - failed.at <= self.failure_memory_s:
                raise _fresh(failed.error) from failed.error  # read by the thread before us, moments ago
            return self._relist(key)

    def _relist(self, key: str) -> _Listed:
        """Read the listing of a type (under its type lock) and publish it with our own creates that
        it may have missed (added after it began)."""
        listed = _Listed(self._clock())
        try:
            for flow in self._list_type(key):
                if flow.deleted or (flow.type or "").upper() != key:
                    continue
                listed.put(flow)
        except Exception as exc:
            with self._lock:
                self._failed[key] = _Failed(self._clock(), exc)
            raise
        with self._lock:
            self._failed.pop(key, None)
            own = self._own.get(key, {})
            for flow_id, (added, flow) in list(own.items()):
                if added >= listed.at:
                    listed.put(flow)
                else:  # created before the listing began: the listing shows it (or its deletion)
                    del own[flow_id]
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
        with self._lock:
            listed = self._types.get(type.upper())
            return listed is not None and flow_id in listed.by_id

    def add(self, flow: Flow) -> None:
        """A flow this process wrote: a second create of its name in the run is a collision, also
        when a listing read while it was created replaces the current one."""
        key = (flow.type or "").upper()
        with self._lock:
            self._own.setdefault(key, {})[flow.id] = (self._clock(), flow)
            listed = self._types.get(key)
            if listed is not None:
                listed.put(flow)
