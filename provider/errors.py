"""One small error hierarchy for everything the client can fail with.

Every error carries the HTTP status, the contract's error code and the response's correlation id
(when there was a response), plus a message a person can act on. No error ever holds the OAuth
client secret or an access token: messages are built only from the server's error body, the method
and path, and the client id.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from provider.domain.problems import Problem


class ErrorDetail(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    errorCode: str | None = None
    fieldName: str | None = None
    entityId: str | None = None
    entityName: str | None = None


class ErrorBody(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    message: str = ""
    code: str | None = None
    status: int | None = None
    contextId: str | None = None
    details: list[ErrorDetail] = Field(default_factory=list)
    errors: list[Any] = Field(default_factory=list)


class ArchitectError(Exception):
    """Base class: `status`, `code`, `correlation_id`, `details` and a readable message."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        correlation_id: str | None = None,
        details: Sequence[ErrorDetail] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.correlation_id = correlation_id
        self.details: list[ErrorDetail] = list(details or [])

    def __str__(self) -> str:
        extra = []
        if self.status is not None:
            extra.append(f"status {self.status}")
        if self.code:
            extra.append(f"code {self.code}")
        if self.correlation_id:
            extra.append(f"correlation id {self.correlation_id}")
        return f"{self.message} ({', '.join(extra)})" if extra else self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.status!r}, code={self.code!r})"


class ConfigurationError(ArchitectError):
    """A missing or unknown setting (region, API URL, client id or secret)."""


class AuthError(ArchitectError):
    """Authentication failed: bad client credentials, or a token the API keeps refusing."""


class ForbiddenError(ArchitectError):
    """403: the OAuth client lacks a scope (the message names it)."""


class NotFoundError(ArchitectError):
    """404: no such flow in this organization."""


class GoneError(NotFoundError):
    """410: the flow was deleted."""


class ConflictError(ArchitectError):
    """409: stale `_version`, duplicate name, or a flow still in use (`consumers` lists the users)."""

    @property
    def consumers(self) -> list[ErrorDetail]:
        """For `architect.flow.in.use` (genesys-cloud: `architect.flow.cannot.delete.used.in.*`,
        `architect.flow.cannot.deactivate.used.in.*`): the flows that depend on this one."""
        if self.code not in IN_USE_CODES and not (self.code or "").startswith(IN_USE_PREFIXES):
            return []
        return [d for d in self.details if d.entityId or d.entityName]


IN_USE_CODES = frozenset({"architect.flow.in.use", "architect.dependency.object.in.use"})
IN_USE_PREFIXES = ("architect.flow.cannot.delete.used.", "architect.flow.cannot.deactivate.used.")


class LockedError(ConflictError):
    """The flow is locked by someone else (a user in Architect or another OAuth client); `holder`
    names them. Nothing was written."""

    def __init__(self, message: str, *, holder: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.holder = holder


class JobFailedError(ArchitectError):
    """A platform job (genesys-cloud Archy import/export) ended in Failure; `messages` quotes it."""

    def __init__(self, message: str, *, messages: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.messages: list[str] = list(messages)


class MergeConflictError(ConflictError):
    """A three-way merge found fields both sides changed to different values; nothing was written.

    `fields` maps each conflicting field to `(theirs, ours)`.
    """

    def __init__(self, message: str, *, fields: dict[str, tuple[Any, Any]], **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.fields = fields


class ValidationError(ArchitectError):
    """The flow breaks a contract rule: found client-side (nothing sent) or answered 400/422 by the server.

    `problems` lists every problem (flow, field, rule, message).
    """

    def __init__(self, message: str, *, problems: Sequence[Problem] = (), **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.problems: list[Problem] = list(problems)

    def __str__(self) -> str:
        base = super().__str__()
        if not self.problems:
            return base
        lines = "\n".join(f"  - {p}" for p in self.problems)
        return f"{base}\n{lines}"


class RateLimitedError(ArchitectError):
    """429 that outlasted the retry policy (`retry_after` seconds, as the server said)."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(ArchitectError):
    """5xx that outlasted the retry policy (or 501, which is never retried)."""


class TransportError(ArchitectError):
    """No usable response: connection refused or dropped, timeout.

    `ambiguous` is True when the request may have reached the server (it might have been applied).
    """

    def __init__(self, message: str, *, ambiguous: bool = False, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.ambiguous = ambiguous


def _error_class(status: int, code: str | None) -> type[ArchitectError]:
    if status == 401:
        return AuthError
    if status == 403:
        return ForbiddenError
    if status == 404:
        return NotFoundError
    if status == 410:
        return GoneError
    if status == 409:
        return ConflictError
    if status in (400, 413, 415, 422):
        return ValidationError
    if status == 429:
        return RateLimitedError
    if status >= 500:
        return ServerError
    return ArchitectError


_HINTS = {
    "missing.permissions": (
        "give the OAuth client what the message names: on the Architecture API a scope "
        "(architect:flow:read / :write); on Genesys Cloud a role with that permission "
        "(architect:flow:view/add/edit/publish/delete, architect:job:create/view, …)"
    ),
    "bad.credentials": "the access token was refused; check the OAuth client still exists",
    "credentials.expired": "the access token expired",
    "architect.flow.name.duplicate": "another live flow of this type already has this name",
    "architect.flow.in.use": "other flows depend on this one; change or delete them first",
    "general.resource.conflict": "the flow changed since it was read; re-read it and retry",
}


def error_from_response(
    status: int,
    body: Any,
    *,
    method: str,
    path: str,
    correlation_id: str | None,
    retry_after: float | None = None,
) -> ArchitectError:
    """Map an error response (status + the contract's ErrorBody) to the matching exception."""
    parsed: ErrorBody | None = None
    if isinstance(body, dict):
        try:
            parsed = ErrorBody.model_validate(body)
        except Exception:
            parsed = None
    code = parsed.code if parsed else None
    server_message = parsed.message if parsed and parsed.message else f"HTTP {status}"
    correlation = correlation_id or (parsed.contextId if parsed else None)
    details = parsed.details if parsed else []
    message = f"{method} {path} failed: {server_message}"
    if code in _HINTS:
        message += f" — {_HINTS[code]}"
    if details:
        rendered = "; ".join(
            ": ".join(x for x in (d.fieldName, d.errorCode, d.entityName or d.entityId) if x) for d in details
        )
        message += f" [{rendered}]"
    cls = _error_class(status, code)
    kwargs: dict[str, Any] = {
        "status": status,
        "code": code,
        "correlation_id": correlation,
        "details": details,
    }
    if cls is RateLimitedError:
        return RateLimitedError(message, retry_after=retry_after, **kwargs)
    if cls is ValidationError:
        return ValidationError(message, problems=problems_from_details(details, status, code), **kwargs)
    return cls(message, **kwargs)


def problems_from_details(
    details: Iterable[ErrorDetail], status: int | None, code: str | None, *, flow: str = ""
) -> list[Problem]:
    """The server's error details as `Problem`s (`flow` when the caller knows which flow it was)."""
    out = []
    for d in details:
        rule = d.errorCode or code or f"http.{status}"
        field = d.fieldName or ""
        entity = d.entityName or d.entityId
        message = f"the server rejected {field or 'the flow'}" + (f" ({entity})" if entity else "")
        out.append(Problem(flow=flow, field=field, rule=rule, message=message))
    return out
