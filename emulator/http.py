"""Shared request plumbing of every API surface: the request state (correlation id, client, org),
JSON and error answers, bearer authentication with the rate limit, bodies, and paging envelopes."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlencode

from fastapi import Request
from fastapi.responses import Response

from .auth import TokenInfo, missing_scope
from .errors import ApiError, error_body
from .rules import parse_json_object
from .store import dumps

if TYPE_CHECKING:
    from .runtime import Runtime


def request_state(request: Request) -> dict[str, Any]:
    state: dict[str, Any] = request.scope.setdefault("state", {})
    return state


def correlation_id(request: Request) -> str:
    cid = request_state(request).get("correlation_id")
    if cid is None:
        cid = request_state(request)["correlation_id"] = str(uuid.uuid4())
    return str(cid)


def json_response(body: str | bytes, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    content = body.encode("utf-8") if isinstance(body, str) else body
    return Response(content=content, status_code=status, media_type="application/json", headers=headers)


def error_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    details: Any = (),
    headers: Any = None,
    extra: Any = None,
) -> Response:
    body = error_body(status, code, message, correlation_id(request), details, extra)
    return json_response(body, status, headers)


# --------------------------------------------------------------------------------------------------
# Request context: authentication, rate limit, scope


@dataclass(frozen=True)
class Ctx:
    client_id: str
    org: str


def authenticate(runtime: Runtime, request: Request) -> TokenInfo:
    """Check the bearer token and count the request against the token's rate limit."""
    info = runtime.auth.authenticate(request.headers.get("authorization"))
    state = request_state(request)
    state["client_id"] = info.client_id
    state["org"] = info.org
    allowed, count, limit, reset = runtime.limiter.hit(info.token_hash)
    state["extra_headers"] = [
        (b"inin-ratelimit-count", str(count).encode()),
        (b"inin-ratelimit-allowed", str(limit).encode()),
        (b"inin-ratelimit-reset", str(reset).encode()),
    ]
    if not allowed:
        raise ApiError(
            429,
            "too.many.requests.retry.after",
            f"Rate limit exceeded: {limit} requests per {runtime.limiter.window} seconds. "
            f"Retry after {reset} seconds.",
            headers={"Retry-After": str(reset)},
        )
    return info


def authorize(runtime: Runtime, request: Request, scope: str) -> Ctx:
    info = authenticate(runtime, request)
    if scope not in info.scopes:
        raise missing_scope(info.client_id, scope)
    return Ctx(info.client_id, info.org)


def is_json_media(content_type: str | None) -> bool:
    if not content_type:
        return False
    media, *params = content_type.split(";")
    if media.strip().lower() != "application/json":
        return False
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            return False
    return True


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    too_large = ApiError(413, "request.entity.too.large", f"The request body is larger than {limit} bytes.")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def json_body(runtime: Runtime, request: Request) -> dict[str, Any]:
    if not is_json_media(request.headers.get("content-type")):
        raise ApiError(
            415,
            "unsupported.media.type",
            "The request body must be JSON sent with 'Content-Type: application/json' "
            f"(got {request.headers.get('content-type')!r}).",
        )
    return parse_json_object(await read_body(request, runtime.config.max_body_bytes))


# --------------------------------------------------------------------------------------------------
# Listings


def _page_uri(path: str, items: list[tuple[str, str]], page_size: int, page_number: int) -> str:
    out: list[tuple[str, str]] = []
    seen_size = seen_number = False
    for key, value in items:
        if key == "pageSize":
            if not seen_size:
                out.append((key, str(page_size)))
            seen_size = True
        elif key == "pageNumber":
            if not seen_number:
                out.append((key, str(page_number)))
            seen_number = True
        else:
            out.append((key, value))
    if not seen_size:
        out.append(("pageSize", str(page_size)))
    if not seen_number:
        out.append(("pageNumber", str(page_number)))
    return f"{path}?{urlencode(out, quote_via=quote)}"


def listing(request: Request, entities: list[str], total: int, page_number: int, page_size: int) -> Response:
    page_count = math.ceil(total / page_size)
    path = request.scope["path"]
    items = parse_qsl(request.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    meta: dict[str, Any] = {
        "pageSize": page_size,
        "pageNumber": page_number,
        "total": total,
        "pageCount": page_count,
        "selfUri": _page_uri(path, items, page_size, page_number),
        "firstUri": _page_uri(path, items, page_size, 1),
        "lastUri": _page_uri(path, items, page_size, max(page_count, 1)),
    }
    if page_number < page_count:
        meta["nextUri"] = _page_uri(path, items, page_size, page_number + 1)
    if page_number > 1:
        meta["previousUri"] = _page_uri(path, items, page_size, page_number - 1)
    return json_response('{"entities":[' + ",".join(entities) + "]," + dumps(meta)[1:])
