"""The FastAPI application: the Architecture API, the OAuth token endpoint, health, the admin
controls under `/_emulator/`, and the raw ASGI middleware that stamps every response with its
`ININ-Correlation-Id`, records statistics and injects faults."""

import asyncio
import hmac
import json
import math
import re
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs, parse_qsl, quote, urlencode

from fastapi import Depends, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic.json_schema import SkipJsonSchema
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import models
from .auth import Auth, RateLimiter, TokenError, missing_scope
from .config import SCOPE_READ, SCOPE_WRITE, EmulatorConfig
from .errors import ApiError, code_for_status, detail, error_body
from .faults import FaultInjector, FaultSettings
from .rules import check_create_shape, check_patch_shape, is_uuid, parse_json_object
from .stats import Stats, is_counted
from .store import Store, dumps, flow_uri

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

API = "/api/v2/architect"
ADMIN_HEADER = "X-Emulator-Admin-Key"
_VERSION_ID = re.compile(r"[1-9][0-9]{0,17}")


class Runtime:
    """Everything the handlers share: configuration, store, tokens, limits, faults, statistics."""

    def __init__(self, config: EmulatorConfig, data_path: str | Path) -> None:
        self.config = config
        self.store = Store(data_path)
        self.auth = Auth(config, self.store)
        self.limiter = RateLimiter(config.rate_limit, config.rate_limit_window_seconds)
        self.faults = FaultInjector()
        self.stats = Stats()

    async def reset(self) -> None:
        await self.store.write(self.store.reset)
        self.stats.reset()
        self.faults.clear()
        self.limiter.configure(self.config.rate_limit, self.config.rate_limit_window_seconds)
        self.auth.token_lifetime = self.config.token_lifetime_seconds


def _state(request: Request) -> dict[str, Any]:
    state: dict[str, Any] = request.scope.setdefault("state", {})
    return state


def _cid(request: Request) -> str:
    cid = _state(request).get("correlation_id")
    if cid is None:
        cid = _state(request)["correlation_id"] = str(uuid.uuid4())
    return str(cid)


def _json(body: str | bytes, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    content = body.encode("utf-8") if isinstance(body, str) else body
    return Response(content=content, status_code=status, media_type="application/json", headers=headers)


def _error_response(
    request: Request, status: int, code: str, message: str, details: Any = (), headers: Any = None
) -> Response:
    return _json(error_body(status, code, message, _cid(request), details), status, headers)


# --------------------------------------------------------------------------------------------------
# OpenAPI documentation helpers

_CORRELATION = {
    "ININ-Correlation-Id": {
        "description": "Unique per response; equals `contextId` of an error body.",
        "required": True,
        "schema": {"type": "string", "format": "uuid"},
    }
}
_RATE = {
    "inin-ratelimit-count": {
        "description": "Requests used in the current window.",
        "schema": {"type": "integer"},
    },
    "inin-ratelimit-allowed": {"description": "The window's limit.", "schema": {"type": "integer"}},
    "inin-ratelimit-reset": {
        "description": "Seconds until the window resets.",
        "schema": {"type": "integer"},
    },
}
_ERROR_TEXT = {
    400: "Bad request (`bad.request`) or bad query parameter (`invalid.query.param.value`).",
    401: "Authentication required, bad or expired credentials.",
    403: "`missing.permissions`: the client lacks the scope.",
    404: "`not.found`: no such flow in this organization.",
    409: "Conflict: `general.resource.conflict`, `architect.flow.name.duplicate` or `architect.flow.in.use`.",
    410: "`architect.flow.deleted`.",
    413: "`request.entity.too.large`: body over 1 MiB.",
    415: "`unsupported.media.type`: body without Content-Type: application/json.",
    422: "`payload.or.params.invalid`: a flow rule is broken.",
    429: "`too.many.requests.retry.after`.",
    500: "`internal.server.error`.",
    503: "`service.unavailable`.",
}


_FLOW_LINKS: dict[str, Any] = {
    name: {"operationId": op, "parameters": {param: "$response.body#/id"}}
    for name, op, param in (
        ("GetFlow", "getFlow", "flowId"),
        ("PatchFlow", "patchFlow", "flowId"),
        ("DeleteFlow", "deleteFlow", "flowId"),
        ("ListFlowVersions", "listFlowVersions", "flowId"),
        ("GetDependencies", "getDependencies", "id"),
    )
}
_FLOW_LINKS["GetFlowVersion"] = {
    "operationId": "getFlowVersion",
    "parameters": {"flowId": "$response.body#/id", "versionId": "$response.body#/_version"},
}


def _responses(
    success: int,
    model: type[BaseModel] | None,
    description: str,
    *errors: int,
    extra_headers: Any = None,
    links: Any = None,
) -> dict[int | str, Any]:
    headers = {**_CORRELATION, **_RATE, **(extra_headers or {})}
    ok: dict[str, Any] = {"description": description, "headers": headers}
    if links:
        ok["links"] = links
    if model is not None:
        ok["model"] = model
    result: dict[int | str, Any] = {success: ok}
    for status in sorted({401, 403, 429, 500, 503, *errors}):
        error_headers: dict[str, Any] = {**_CORRELATION}
        if status not in (401, 500, 503):
            error_headers.update(_RATE)
        if status == 429:
            error_headers["Retry-After"] = {
                "description": "Whole seconds until the window resets (at least 1).",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            }
        result[status] = {
            "model": models.ErrorBody,
            "description": _ERROR_TEXT[status],
            "headers": error_headers,
        }
    return result


def _body_doc(component: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}},
        }
    }


# --------------------------------------------------------------------------------------------------
# Request context: authentication, rate limit, scope


@dataclass(frozen=True)
class Ctx:
    client_id: str
    org: str


def _authorize(runtime: Runtime, request: Request, scope: str) -> Ctx:
    info = runtime.auth.authenticate(request.headers.get("authorization"))
    state = _state(request)
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
    if scope not in info.scopes:
        raise missing_scope(info.client_id, scope)
    return Ctx(info.client_id, info.org)


def _is_json_media(content_type: str | None) -> bool:
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


async def _read_body(request: Request, limit: int) -> bytes:
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


async def _json_body(runtime: Runtime, request: Request) -> dict[str, Any]:
    if not _is_json_media(request.headers.get("content-type")):
        raise ApiError(
            415,
            "unsupported.media.type",
            "The request body must be JSON sent with 'Content-Type: application/json' "
            f"(got {request.headers.get('content-type')!r}).",
        )
    return parse_json_object(await _read_body(request, runtime.config.max_body_bytes))


def _check_flow_id(flow_id: str) -> None:
    if not is_uuid(flow_id):
        raise ApiError(
            404, "not.found", f"Flow '{flow_id[:80]}' was not found in this organization (not a flow id)."
        )


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


def _listing(request: Request, entities: list[str], total: int, page_number: int, page_size: int) -> Response:
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
    return _json('{"entities":[' + ",".join(entities) + "]," + dumps(meta)[1:])


# --------------------------------------------------------------------------------------------------
# Query parameter types (documented precisely; any violation is 400 invalid.query.param.value)


def _whole_number(value: Any) -> Any:
    """Query integers are plain decimal digits (no sign, spaces, fractions or exponents), at most 18."""
    if isinstance(value, str) and _DIGITS.fullmatch(value) is None:
        raise ValueError("must be a whole number written with the digits 0-9")
    return value


_DIGITS = re.compile(r"[0-9]{1,18}")
PageSize = Annotated[int, Query(ge=1, le=500, description="1-500."), BeforeValidator(_whole_number)]
PageNumber = Annotated[
    int, Query(ge=1, le=10**18 - 1, description="1 or more."), BeforeValidator(_whole_number)
]
VersionParam = Annotated[
    int | SkipJsonSchema[None],
    Query(ge=1, le=10**18 - 1, description="Optional precondition."),
    BeforeValidator(_whole_number),
]
OptStr = str | SkipJsonSchema[None]
BoolParam = Literal["true", "false"]

_QUERY_HINTS = {
    "pageSize": "an integer from 1 to 500",
    "pageNumber": "an integer of at least 1",
    "sortBy": "one of name, dateModified",
    "sortOrder": "one of asc, desc",
    "type": "a flow type such as INBOUNDCALL",
    "lifecycle_state": "one of draft, published, archived",
    "version": "an integer of at least 1",
    "id": "a flow id",
    "consumedResources": "true or false",
    "consumingResources": "true or false",
}


class _AdminRateLimit(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    limit: int = Field(ge=1)
    window_seconds: int = Field(60, ge=1)


class _AdminTokenLifetime(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    seconds: int = Field(ge=1)


class _AdminRevoke(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    client_id: str | None = None


def create_app(config: EmulatorConfig, data_path: str | Path) -> tuple[ASGIApp, Runtime]:
    """Build the ASGI application (the FastAPI app wrapped in the emulator middleware)."""
    runtime = Runtime(config, data_path)
    app = FastAPI(
        title="Architecture API v2 (local emulator)",
        version="2.0.0",
        description=(
            "The Genesys Cloud Architecture API (flows) as the project's wire contract defines it, served by "
            "the local emulator. OAuth client credentials at /oauth/token; bearer tokens on /api/v2."
        ),
        docs_url="/docs",
        redoc_url=None,
    )
    app.router.redirect_slashes = False

    def read_ctx(request: Request) -> Ctx:
        return _authorize(runtime, request, SCOPE_READ)

    def write_ctx(request: Request) -> Ctx:
        return _authorize(runtime, request, SCOPE_WRITE)

    async def read_dep(request: Request) -> Ctx:
        return read_ctx(request)

    async def write_dep(request: Request) -> Ctx:
        return write_ctx(request)

    ReadCtx = Annotated[Ctx, Depends(read_dep)]
    WriteCtx = Annotated[Ctx, Depends(write_dep)]
    FlowId = Annotated[str, PathParam(description="The flow id (a UUID).")]

    # -- exception handlers ------------------------------------------------------------------------

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return _error_response(request, exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.exception_handler(TokenError)
    async def _token_error(request: Request, exc: TokenError) -> Response:
        body = {"error": exc.error, "description": exc.description, "error_description": exc.description}
        headers = {"Cache-Control": "no-store"}
        if exc.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="oauth"'
        return _json(dumps(body), exc.status, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        query_fields: list[str] = []
        other: list[str] = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ())]
            if loc and loc[0] == "query" and len(loc) > 1:
                if loc[1] not in query_fields:
                    query_fields.append(loc[1])
            else:
                other.append(".".join(loc[1:]) or "body")
        if query_fields:
            parts = []
            for name in query_fields:
                raw = request.query_params.get(name)
                got = "it is missing" if raw is None else f"got {raw[:80]!r}"
                parts.append(f"Query parameter '{name}' must be {_QUERY_HINTS.get(name, 'valid')} ({got}).")
            return _error_response(
                request,
                400,
                "invalid.query.param.value",
                " ".join(parts),
                [detail("invalid.query.param.value", name) for name in query_fields],
            )
        return _error_response(
            request,
            400,
            "bad.request",
            "The request is not valid: " + ", ".join(other),
            [detail("bad.request", f) for f in other],
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        status = exc.status_code
        if status == 404:
            message = f"No resource at {request.scope['path'][:200]}."
        elif status == 405:
            message = f"Method {request.method} is not allowed on {request.scope['path'][:200]}."
            # FastAPI has one route per method: list every method served at this path.
            allowed: set[str] = set()
            for route in app.router.routes:
                if isinstance(route, APIRoute) and route.path_regex.fullmatch(request.scope["path"]):
                    allowed |= route.methods or set()
            headers = {"Allow": ", ".join(sorted(allowed))} if allowed else exc.headers
            return _error_response(request, status, code_for_status(status), message, (), headers)
        else:
            message = str(exc.detail)
        return _error_response(request, status, code_for_status(status), message, (), exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        return _error_response(
            request, 500, "internal.server.error", "An unexpected error occurred in the emulator."
        )

    # -- health and OAuth --------------------------------------------------------------------------

    @app.get(
        "/healthz",
        operation_id="health",
        response_model=None,
        responses={200: {"model": models.Health, "headers": _CORRELATION}},
    )
    async def healthz() -> Response:
        return _json('{"status":"ok"}')

    @app.post(
        "/oauth/token",
        operation_id="getToken",
        response_model=None,
        summary="OAuth2 client credentials",
        responses={
            200: {"model": models.TokenResponse, "description": "A bearer token.", "headers": _CORRELATION},
            400: {
                "model": models.TokenError,
                "description": "`unsupported_grant_type`, `invalid_request`.",
                "headers": _CORRELATION,
            },
            401: {"model": models.TokenError, "description": "`invalid_client`.", "headers": _CORRELATION},
            413: {
                "model": models.TokenError,
                "description": "`invalid_request`: body too large.",
                "headers": _CORRELATION,
            },
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {
                        "schema": {
                            "type": "object",
                            "properties": {"grant_type": {"type": "string", "enum": ["client_credentials"]}},
                            "required": ["grant_type"],
                        }
                    }
                },
            }
        },
    )
    async def oauth_token(request: Request) -> Response:
        client = runtime.auth.client_from_basic(request.headers.get("authorization"))
        _state(request)["client_id"] = client.client_id
        _state(request)["org"] = client.org
        try:
            raw = await _read_body(request, runtime.config.max_body_bytes)
        except ApiError:
            raise TokenError(413, "invalid_request", "The request body is too large.") from None
        media = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
        if raw and media != "application/x-www-form-urlencoded":
            raise TokenError(400, "invalid_request", "The body must be application/x-www-form-urlencoded.")
        try:
            form = parse_qs(raw.decode("utf-8"), keep_blank_values=True)
        except (UnicodeDecodeError, ValueError):
            raise TokenError(400, "invalid_request", "The body is not a valid form.") from None
        if form.get("grant_type") != ["client_credentials"]:
            raise TokenError(400, "unsupported_grant_type", "grant_type must be client_credentials.")
        token, lifetime = await runtime.auth.issue(client)
        return _json(
            dumps({"access_token": token, "token_type": "bearer", "expires_in": lifetime}),
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    # -- flows -------------------------------------------------------------------------------------

    @app.get(
        f"{API}/flows",
        response_model=None,
        summary="List flows",
        operation_id="listFlows",
        responses=_responses(200, models.FlowListing, "A page of live flows.", 400),
    )
    async def list_flows(
        request: Request,
        ctx: ReadCtx,
        pageSize: PageSize = 25,
        pageNumber: PageNumber = 1,
        name: Annotated[OptStr, Query(description="Exact name, case-insensitive.")] = None,
        type: Annotated[models.FlowType | SkipJsonSchema[None], Query()] = None,
        lifecycle_state: Annotated[models.LifecycleState | SkipJsonSchema[None], Query()] = None,
        sortBy: Annotated[Literal["name", "dateModified"], Query()] = "name",
        sortOrder: Annotated[Literal["asc", "desc"], Query()] = "asc",
    ) -> Response:
        total, docs = runtime.store.list_flows(
            ctx.org,
            name=name,
            flow_type=type,
            state=lifecycle_state,
            sort_by=sortBy,
            sort_order=sortOrder,
            offset=(pageNumber - 1) * pageSize,
            limit=pageSize,
        )
        return _listing(request, docs, total, pageNumber, pageSize)

    @app.post(
        f"{API}/flows",
        response_model=None,
        status_code=201,
        summary="Create a flow",
        operation_id="createFlow",
        responses=_responses(
            201,
            models.Flow,
            "The created flow.",
            400,
            409,
            413,
            415,
            422,
            extra_headers={
                "Location": {"required": True, "schema": {"type": "string"}, "description": "The flow's URI."}
            },
            links=_FLOW_LINKS,
        ),
        openapi_extra=_body_doc("FlowCreate"),
    )
    async def create_flow(request: Request, ctx: WriteCtx) -> Response:
        body = await _json_body(runtime, request)
        if isinstance(body.get("name"), str):
            _state(request)["flow_name"] = body["name"]
        check_create_shape(body)
        flow_id, doc = await runtime.store.write(runtime.store.create_flow, ctx.org, ctx.client_id, body)
        _state(request)["flow_id"] = flow_id
        return _json(doc, 201, {"Location": flow_uri(flow_id)})

    @app.get(
        f"{API}/flows/{{flowId}}",
        response_model=None,
        summary="Get a flow",
        operation_id="getFlow",
        responses=_responses(200, models.Flow, "The flow.", 404, 410),
    )
    async def get_flow(flowId: FlowId, ctx: ReadCtx) -> Response:
        _check_flow_id(flowId)
        return _json(runtime.store.get_flow(ctx.org, flowId))

    @app.patch(
        f"{API}/flows/{{flowId}}",
        response_model=None,
        summary="Update a flow (optimistic concurrency on _version)",
        operation_id="patchFlow",
        responses=_responses(200, models.Flow, "The updated flow.", 400, 404, 409, 410, 413, 415, 422),
        openapi_extra=_body_doc("FlowPatch"),
    )
    async def patch_flow(request: Request, flowId: FlowId, ctx: WriteCtx) -> Response:
        _check_flow_id(flowId)
        _state(request)["flow_name"] = runtime.store.get_flow_name_checked(ctx.org, flowId)
        body = await _json_body(runtime, request)
        check_patch_shape(body)
        name, doc = await runtime.store.write(runtime.store.patch_flow, ctx.org, ctx.client_id, flowId, body)
        _state(request)["flow_name"] = name
        return _json(doc)

    @app.delete(
        f"{API}/flows/{{flowId}}",
        response_model=None,
        status_code=204,
        summary="Delete a flow (soft)",
        operation_id="deleteFlow",
        responses=_responses(204, None, "Deleted.", 400, 404, 409, 410),
    )
    async def delete_flow(
        request: Request,
        flowId: FlowId,
        ctx: WriteCtx,
        version: VersionParam = None,
    ) -> Response:
        _check_flow_id(flowId)
        _state(request)["flow_name"] = runtime.store.get_flow_name_checked(ctx.org, flowId)
        await runtime.store.write(runtime.store.delete_flow, ctx.org, flowId, version)
        return Response(status_code=204)

    @app.get(
        f"{API}/flows/{{flowId}}/versions",
        response_model=None,
        summary="List a flow's versions, newest first",
        operation_id="listFlowVersions",
        responses=_responses(200, models.VersionListing, "A page of versions.", 400, 404, 410),
    )
    async def list_versions(
        request: Request, flowId: FlowId, ctx: ReadCtx, pageSize: PageSize = 25, pageNumber: PageNumber = 1
    ) -> Response:
        _check_flow_id(flowId)
        total, rows = runtime.store.list_versions(
            ctx.org, flowId, offset=(pageNumber - 1) * pageSize, limit=pageSize
        )
        return _listing(request, [dumps(r) for r in rows], total, pageNumber, pageSize)

    @app.get(
        f"{API}/flows/{{flowId}}/versions/{{versionId}}",
        response_model=None,
        summary="The whole flow as it was at a version",
        operation_id="getFlowVersion",
        responses=_responses(200, models.Flow, "The flow at that version.", 404, 410),
    )
    async def get_version(
        flowId: FlowId,
        versionId: Annotated[str, PathParam(description="A version number (1 or more).")],
        ctx: ReadCtx,
    ) -> Response:
        _check_flow_id(flowId)
        if _VERSION_ID.fullmatch(versionId) is None:
            runtime.store.get_flow(ctx.org, flowId)
            raise ApiError(404, "not.found", f"Flow '{flowId}' has no version '{versionId[:40]}'.")
        return _json(runtime.store.get_version(ctx.org, flowId, int(versionId)))

    @app.get(
        f"{API}/dependencytracking/object",
        response_model=None,
        summary="A flow's dependencies (consumed) and dependents (consuming)",
        operation_id="getDependencies",
        responses=_responses(200, models.DependencyObject, "The dependency object.", 400, 404, 410),
    )
    async def dependencies(
        ctx: ReadCtx,
        id: Annotated[str, Query(description="The flow id.")],
        consumedResources: Annotated[BoolParam, Query()] = "false",
        consumingResources: Annotated[BoolParam, Query()] = "false",
    ) -> Response:
        _check_flow_id(id)
        result = runtime.store.dependencies(
            ctx.org, id, consumed=consumedResources == "true", consuming=consumingResources == "true"
        )
        return _json(dumps(result))

    # -- admin -------------------------------------------------------------------------------------

    def check_admin(request: Request) -> None:
        key = request.headers.get(ADMIN_HEADER)
        if key is None:
            raise ApiError(401, "authentication.required", f"The admin API needs the {ADMIN_HEADER} header.")
        if not hmac.compare_digest(key.encode("utf-8", "surrogateescape"), config.admin_key.encode()):
            raise ApiError(401, "bad.credentials", f"Wrong {ADMIN_HEADER}.")

    async def admin_body(request: Request, model: type[BaseModel]) -> Any:
        check_admin(request)
        body = await _json_body(runtime, request)
        try:
            return model.model_validate_json(json.dumps(body))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
            )
            raise ApiError(400, "bad.request", f"Invalid admin request: {problems}") from None

    @app.post("/_emulator/reset", include_in_schema=False)
    async def admin_reset(request: Request) -> Response:
        check_admin(request)
        await runtime.reset()
        return Response(status_code=204)

    @app.get("/_emulator/stats", include_in_schema=False)
    async def admin_stats(request: Request) -> Response:
        check_admin(request)
        return _json(dumps(runtime.stats.snapshot()))

    @app.put("/_emulator/faults", include_in_schema=False)
    async def admin_set_faults(request: Request) -> Response:
        settings = await admin_body(request, FaultSettings)
        runtime.faults.configure(settings)
        return _json(dumps(runtime.faults.describe()))

    @app.get("/_emulator/faults", include_in_schema=False)
    async def admin_get_faults(request: Request) -> Response:
        check_admin(request)
        return _json(dumps(runtime.faults.describe()))

    @app.delete("/_emulator/faults", include_in_schema=False)
    async def admin_clear_faults(request: Request) -> Response:
        check_admin(request)
        runtime.faults.clear()
        return Response(status_code=204)

    @app.put("/_emulator/rate-limit", include_in_schema=False)
    async def admin_rate_limit(request: Request) -> Response:
        body = await admin_body(request, _AdminRateLimit)
        runtime.limiter.configure(body.limit, body.window_seconds)
        return _json(dumps({"limit": body.limit, "window_seconds": body.window_seconds}))

    @app.put("/_emulator/token-lifetime", include_in_schema=False)
    async def admin_token_lifetime(request: Request) -> Response:
        body = await admin_body(request, _AdminTokenLifetime)
        runtime.auth.token_lifetime = body.seconds
        return _json(dumps({"seconds": body.seconds}))

    @app.post("/_emulator/revoke-tokens", include_in_schema=False)
    async def admin_revoke(request: Request) -> Response:
        body = await admin_body(request, _AdminRevoke)
        revoked = await runtime.auth.revoke(body.client_id)
        return _json(dumps({"revoked": revoked}))

    # -- the OpenAPI document ----------------------------------------------------------------------

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        components = schema.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        for model in (models.FlowCreate, models.FlowPatch):
            js = model.model_json_schema(ref_template="#/components/schemas/{model}", mode="validation")
            for name, sub in js.pop("$defs", {}).items():
                schemas.setdefault(name, sub)
            schemas[model.__name__] = js
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        components["securitySchemes"] = {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "description": "A token from POST /oauth/token.",
            },
            "basicAuth": {"type": "http", "scheme": "basic", "description": "client_id:client_secret."},
        }
        for path, operations in schema.get("paths", {}).items():
            for operation in operations.values():
                responses = operation.get("responses", {})
                fastapi_422 = (
                    responses.get("422", {}).get("content", {}).get("application/json", {}).get("schema", {})
                )
                if fastapi_422.get("$ref", "").endswith("/HTTPValidationError"):
                    del responses["422"]
                if path.startswith("/api/v2/"):
                    operation["security"] = [{"bearerAuth": []}]
                elif path == "/oauth/token":
                    operation["security"] = [{"basicAuth": []}]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

    return EmulatorMiddleware(app, runtime), runtime


# --------------------------------------------------------------------------------------------------
# The outermost middleware


def _abort_connection(send: Send) -> bool:
    """Drop the client connection without any response (uvicorn: abort the request's transport)."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None or not hasattr(transport, "abort"):
        return False
    # Tell uvicorn the client is gone, so that it does not try to answer on its own.
    cycle.disconnected = True  # type: ignore[union-attr]
    transport.abort()
    return True


class _Dropped(Exception):
    """Raised to break a connection when the server gives no handle on the transport."""


class EmulatorMiddleware:
    def __init__(self, app: Any, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cid = str(uuid.uuid4())
        state = scope.get("state")
        if state is None:
            state = scope["state"] = {}
        state["correlation_id"] = cid
        raw_path = scope.get("raw_path")
        if raw_path and b"%2f" in raw_path.lower():
            # An encoded slash is part of a segment, never a separator: route on the undecoded path.
            scope["path"] = raw_path.decode("latin-1")
        path: str = scope["path"]
        method: str = scope["method"]
        status = 0
        fault: str | None = None
        cid_header = (b"ININ-Correlation-Id", cid.encode())

        async def send_stamped(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {
                    **message,
                    "headers": [*message.get("headers", ()), cid_header, *state.get("extra_headers", ())],
                }
            await send(message)

        try:
            decision = self.runtime.faults.decide(method) if path.startswith("/api/v2/") else None
            if decision is None:
                await self.app(scope, receive, send_stamped)
                return
            if decision.latency_s > 0:
                await asyncio.sleep(decision.latency_s)
            if decision.action is None:
                await self.app(scope, receive, send_stamped)
            elif decision.action == "error":
                fault = "error"
                status = decision.status
                headers = [(b"content-type", b"application/json"), cid_header]
                if status in (429, 503):
                    headers.append((b"retry-after", b"1"))
                body = error_body(
                    status,
                    code_for_status(status),
                    f"Injected fault: the emulator answered {status} on purpose.",
                    cid,
                )
                headers.append((b"content-length", str(len(body)).encode()))
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": body})
            elif decision.action == "drop_before":
                fault = "drop_before"
                await self._drop(send)
            else:
                fault = "drop_after"

                async def swallow(message: Message) -> None:
                    nonlocal status
                    if message["type"] == "http.response.start":
                        status = message["status"]

                await self.app(scope, receive, swallow)
                await self._drop(send)
        finally:
            if is_counted(path):
                self.runtime.stats.record(method, path, status, fault, state)

    @staticmethod
    async def _drop(send: Send) -> None:
        if _abort_connection(send):
            return
        # Fallback for other servers: promise a body, send part of it, then break the connection.
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"1024")],
            }
        )
        await send({"type": "http.response.body", "body": b"{", "more_body": True})
        raise _Dropped("connection dropped by fault injection")
