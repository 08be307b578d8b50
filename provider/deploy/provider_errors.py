"""The one table that turns what a platform raised into the provider's message (a
`FlowProviderError`: one line naming the flow, what failed and what to do). The first row whose
actions, exception type and condition match wins; an exception no row matches (a bug) leaves as it
is, with its traceback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from provider.deploy.inputs import CODE_IN_USE, FlowProviderError
from provider.domain.problems import Problem
from provider.errors import (
    ArchitectError,
    ConflictError,
    MergeConflictError,
    NotFoundError,
    TransportError,
    ValidationError,
)


@dataclass(frozen=True)
class Attempt:
    """What the provider was doing: `action` (create, update, delete, read, export), the flow's key,
    its id, and for an update the base revision and the conflict policy."""

    action: str
    key: str
    flow_id: str = ""
    revision: str = ""
    policy: str = ""


def _problems_text(problems: list[Problem]) -> str:
    return "\n".join(f"  - {p}" for p in problems)


def _merge_conflict(a: Attempt, exc: Any) -> str:
    return (
        f"flow {a.key!r} ({a.flow_id}): someone else changed {', '.join(exc.fields)} since version "
        f"{a.revision}, and so does this update; nothing was written (conflict policy {a.policy!r}). "
        f"Details: {exc.message}. Run `pulumi refresh` to see their change, then update the "
        f"definition, or set genesys-flows:conflictPolicy to overwrite"
    )


def _gone(a: Attempt, _exc: Any) -> str:
    return (
        f"flow {a.key!r} ({a.flow_id}) no longer exists in the organization; run `pulumi refresh` "
        f"(it drops out of the state) and `pulumi up` again to recreate it"
    )


def _rejected(a: Attempt, exc: Any) -> str:
    return f"flow {a.key!r}: {a.action} rejected: {exc.message}\n{_problems_text(exc.problems)}"


def _create_unknown(a: Attempt, exc: Any) -> str | None:
    if not exc.ambiguous:  # nothing could have reached the server (the token call, DNS): a failure
        return None
    return (
        f"flow {a.key!r}: create failed: {exc}. Its outcome is recorded as unknown in the "
        f"audit trail: the next `pulumi up` adopts the flow if it was created"
    )


def _in_use(a: Attempt, exc: Any) -> str | None:
    if exc.code != CODE_IN_USE:
        return None
    consumers = ", ".join(
        f"{c.entityName or '?'} ({c.entityId})" if c.entityId else str(c.entityName) for c in exc.consumers
    )
    return (
        f"flow {a.key!r} ({a.flow_id}) cannot be deleted: it is still used by "
        f"{consumers or 'other flows'}. Remove those references first ({CODE_IN_USE})"
    )


def _of_id(a: Attempt, exc: Any) -> str:
    return f"flow {a.key!r}: {a.action} of {a.flow_id} failed: {exc}"


def _failed(a: Attempt, exc: Any) -> str:
    return f"flow {a.key!r}: {a.action} failed: {exc}"


Message = Callable[[Attempt, Any], "str | None"]
#: (actions, exception type, message): the first match wins.
TABLE: tuple[tuple[frozenset[str], type[BaseException], Message], ...] = (
    (frozenset({"update"}), MergeConflictError, _merge_conflict),
    (frozenset({"update"}), NotFoundError, _gone),
    (frozenset({"create", "update"}), ValidationError, _rejected),
    (frozenset({"create"}), TransportError, _create_unknown),
    (frozenset({"delete"}), ConflictError, _in_use),
    (frozenset({"read", "export"}), ArchitectError, _of_id),
    (frozenset({"create", "update", "delete"}), ArchitectError, _failed),
)


def provider_error(attempt: Attempt, exc: BaseException) -> FlowProviderError | None:
    """The provider's error for `exc`, by the table; None when no row matches."""
    for actions, kind, message in TABLE:
        if attempt.action in actions and isinstance(exc, kind):
            text = message(attempt, exc)
            if text is not None:
                return FlowProviderError(text)
    return None


@contextmanager
def translated(attempt: Attempt) -> Iterator[None]:
    """Run the body; what it raises leaves as the provider's error (by the table), else as it is."""
    try:
        yield
    except FlowProviderError:
        raise
    except Exception as exc:
        error = provider_error(attempt, exc)
        if error is None:
            raise
        raise error from None
