"""The tutorial's Architecture API (`/api/v2/architect/flows`, `_version`, `blocks`): the routes
of the project's first wire contract, documented in the served OpenAPI document."""

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from pydantic import BaseModel, BeforeValidator
from pydantic.json_schema import SkipJsonSchema

from .. import models
from ..config import SCOPE_READ, SCOPE_WRITE
from ..errors import ApiError
from ..http import Ctx, authorize, json_body, json_response, listing, request_state
from ..rules import check_create_shape, check_patch_shape, is_uuid
from ..runtime import Runtime
from ..store import dumps, flow_uri

API = "/api/v2/architect"
_VERSION_ID = re.compile(r"[1-9][0-9]{0,17}")


# --------------------------------------------------------------------------------------------------
# OpenAPI documentation helpers

CORRELATION = {
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
    headers = {**CORRELATION, **_RATE, **(extra_headers or {})}
    ok: dict[str, Any] = {"description": description, "headers": headers}
    if links:
        ok["links"] = links
    if model is not None:
        ok["model"] = model
    result: dict[int | str, Any] = {success: ok}
    for status in sorted({401, 403, 429, 500, 503, *errors}):
        error_headers: dict[str, Any] = {**CORRELATION}
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


def _check_flow_id(flow_id: str) -> None:
    if not is_uuid(flow_id):
        raise ApiError(
            404, "not.found", f"Flow '{flow_id[:80]}' was not found in this organization (not a flow id)."
        )


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

QUERY_HINTS = {
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


def router(runtime: Runtime) -> APIRouter:
    """The Architecture API's routes over the shared runtime."""
    app = APIRouter()

    def read_ctx(request: Request) -> Ctx:
        return authorize(runtime, request, SCOPE_READ)

    def write_ctx(request: Request) -> Ctx:
        return authorize(runtime, request, SCOPE_WRITE)

    async def read_dep(request: Request) -> Ctx:
        return read_ctx(request)

    async def write_dep(request: Request) -> Ctx:
        return write_ctx(request)

    ReadCtx = Annotated[Ctx, Depends(read_dep)]
    WriteCtx = Annotated[Ctx, Depends(write_dep)]
    FlowId = Annotated[str, PathParam(description="The flow id (a UUID).")]

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
        return listing(request, docs, total, pageNumber, pageSize)

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
        body = await json_body(runtime, request)
        if isinstance(body.get("name"), str):
            request_state(request)["flow_name"] = body["name"]
        check_create_shape(body)
        flow_id, doc = await runtime.store.write(runtime.store.create_flow, ctx.org, ctx.client_id, body)
        request_state(request)["flow_id"] = flow_id
        return json_response(doc, 201, {"Location": flow_uri(flow_id)})

    @app.get(
        f"{API}/flows/{{flowId}}",
        response_model=None,
        summary="Get a flow",
        operation_id="getFlow",
        responses=_responses(200, models.Flow, "The flow.", 404, 410),
    )
    async def get_flow(flowId: FlowId, ctx: ReadCtx) -> Response:
        _check_flow_id(flowId)
        return json_response(runtime.store.get_flow(ctx.org, flowId))

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
        request_state(request)["flow_name"] = runtime.store.get_flow_name_checked(ctx.org, flowId)
        body = await json_body(runtime, request)
        check_patch_shape(body)
        name, doc = await runtime.store.write(runtime.store.patch_flow, ctx.org, ctx.client_id, flowId, body)
        request_state(request)["flow_name"] = name
        return json_response(doc)

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
        request_state(request)["flow_name"] = runtime.store.get_flow_name_checked(ctx.org, flowId)
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
        return listing(request, [dumps(r) for r in rows], total, pageNumber, pageSize)

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
        return json_response(runtime.store.get_version(ctx.org, flowId, int(versionId)))

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
        return json_response(dumps(result))

    return app
