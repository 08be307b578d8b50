"""Instrumentation hooks: the client reports every request, mutation, conflict, validation problem and
rate-limit wait to a `Recorder`. The governance code builds metrics files and the audit log on it.

Recorders are called from the calling thread (several threads at once when the client is shared), so
an implementation must be thread-safe. A recorder that raises never breaks an API call: the client
logs the exception and carries on.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from provider.domain.problems import Problem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RequestEvent:
    """One HTTP attempt (a retried call produces one event per attempt)."""

    method: str
    path_template: str
    status: int | None  # None: no response (connection error or timeout)
    latency_s: float
    attempt: int
    retry_reason: str | None = None  # why this attempt will be retried, e.g. "429", "503", "timeout"
    correlation_id: str | None = None


@dataclass(frozen=True)
class MutationEvent:
    """One create/update/delete as a whole (after its retries and conflict resolution)."""

    #: "unlock": a forced unlock of someone else's lock (genesys-cloud `forceUnlock`), audited.
    action: Literal["create", "update", "delete", "unlock"]
    flow_id: str | None
    flow_name: str | None
    #: An int `_version` (architecture-api) or a version id such as "2.0" (genesys-cloud).
    version_before: int | str | None
    version_after: int | str | None
    outcome: Literal["success", "failure"]
    error_code: str | None = None
    correlation_id: str | None = None
    latency_s: float = 0.0
    client_id: str | None = None
    #: Whose work the write replaced (genesys-cloud: the holder of a lock forceUnlock broke, or the
    #: live version an overwrite replaced and who published it): names, ids, versions, times only.
    replaced: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class ConflictEvent:
    """A 409 `general.resource.conflict` and how it was resolved."""

    flow_id: str
    resolution: Literal["merged", "overwritten", "failed"]
    fields: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Recorder(Protocol):
    def on_request(self, event: RequestEvent) -> None: ...

    def on_mutation(self, event: MutationEvent) -> None: ...

    def on_conflict(self, event: ConflictEvent) -> None: ...

    def on_validation_problem(self, problem: Problem) -> None: ...

    def on_rate_limit_wait(self, seconds: float, reason: str) -> None: ...


class NullRecorder:
    """Records nothing."""

    def on_request(self, event: RequestEvent) -> None:
        pass

    def on_mutation(self, event: MutationEvent) -> None:
        pass

    def on_conflict(self, event: ConflictEvent) -> None:
        pass

    def on_validation_problem(self, problem: Problem) -> None:
        pass

    def on_rate_limit_wait(self, seconds: float, reason: str) -> None:
        pass


class ListRecorder:
    """Keeps every event in lists (tests, benchmarks). Thread-safe via the GIL's atomic list.append."""

    def __init__(self) -> None:
        self.requests: list[RequestEvent] = []
        self.mutations: list[MutationEvent] = []
        self.conflicts: list[ConflictEvent] = []
        self.problems: list[Problem] = []
        self.waits: list[tuple[float, str]] = []

    def on_request(self, event: RequestEvent) -> None:
        self.requests.append(event)

    def on_mutation(self, event: MutationEvent) -> None:
        self.mutations.append(event)

    def on_conflict(self, event: ConflictEvent) -> None:
        self.conflicts.append(event)

    def on_validation_problem(self, problem: Problem) -> None:
        self.problems.append(problem)

    def on_rate_limit_wait(self, seconds: float, reason: str) -> None:
        self.waits.append((seconds, reason))
