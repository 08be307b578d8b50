"""The contract's error body and the exception that carries it out of a handler."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

# The `code` of an error body for each HTTP status the emulator can answer on its own behalf
# (used for injected faults and for framework-level errors).
DEFAULT_CODES: dict[int, str] = {
    400: "bad.request",
    401: "authentication.required",
    403: "missing.permissions",
    404: "not.found",
    405: "method.not.allowed",
    408: "request.timeout",
    409: "general.resource.conflict",
    410: "architect.flow.deleted",
    413: "request.entity.too.large",
    415: "unsupported.media.type",
    422: "payload.or.params.invalid",
    429: "too.many.requests.retry.after",
    500: "internal.server.error",
    501: "not.implemented",
    502: "bad.gateway",
    503: "service.unavailable",
    504: "gateway.timeout",
}


def code_for_status(status: int) -> str:
    if status in DEFAULT_CODES:
        return DEFAULT_CODES[status]
    return "internal.server.error" if status >= 500 else "bad.request"


def detail(
    error_code: str, field_name: str = "", entity_id: str = "", entity_name: str = ""
) -> dict[str, str]:
    """One entry of an error body's `details`; every key is always present (empty when n/a)."""
    return {
        "errorCode": error_code,
        "fieldName": field_name,
        "entityId": entity_id,
        "entityName": entity_name,
    }


class ApiError(Exception):
    """An error answer of the contract: status, code, message and details."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Sequence[Mapping[str, str]] = (),
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = [dict(d) for d in details]
        self.headers = dict(headers or {})
        # Further ErrorBody fields of the real platform (entityId, entityName, messageParams, ...);
        # the Architecture API never sets them, so its bodies keep exactly the contract's six keys.
        self.extra = dict(extra or {})


def error_body(
    status: int,
    code: str,
    message: str,
    context_id: str,
    details: Sequence[Any] = (),
    extra: Mapping[str, Any] | None = None,
) -> bytes:
    return json.dumps(
        {
            "message": message,
            "code": code,
            "status": status,
            **(extra or {}),
            "contextId": context_id,
            "details": list(details),
            "errors": [],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
