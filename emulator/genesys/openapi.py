"""A small OpenAPI document of the real-platform routes (served at `/openapi-genesys-cloud.json`,
separate from `/openapi.json`, which is the Architecture API's contract). It names the parameters
and bodies so that a fuzzer can reach every route; the authoritative response shapes are the
official SDK's models, named in each response's description."""

from __future__ import annotations

from typing import Any

from .domain import FLOW_TYPES, OBJECT_TYPES

FLOWS = "/api/v2/flows"
DEPS = "/api/v2/architect/dependencytracking"


def _query(name: str, schema: dict[str, Any], required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema}


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


_STR = {"type": "string"}
_BOOL = {"type": "string", "enum": ["true", "false"]}
_PAGING = [
    _query("pageNumber", {"type": "integer", "minimum": 1}),
    _query("pageSize", {"type": "integer", "minimum": 1, "maximum": 500}),
]
_FLOW_BODY = {
    "type": "object",
    "properties": {
        "name": _STR,
        "type": {"type": "string", "enum": list(FLOW_TYPES)},
        "description": _STR,
    },
    "required": ["name"],
}
_ERRORS = {
    status: {"description": "ErrorBody"}
    for status in ("400", "401", "403", "404", "405", "409", "410", "429")
}


def _op(
    model: str, params: list[dict[str, Any]] | None = None, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "parameters": params or [],
        "responses": {"200": {"description": model}, **_ERRORS},
        "security": [{"bearerAuth": []}],
    }
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return operation


def document() -> dict[str, Any]:
    flow_q = _query("flow", _STR, required=True)
    flow_id = _path("flowId")
    version_id = _path("versionId")
    deleted = _query("deleted", _BOOL)
    object_type = _query("objectType", {"type": "string", "enum": sorted(OBJECT_TYPES.values())}, True)
    paths: dict[str, Any] = {
        FLOWS: {
            "get": _op(
                "FlowEntityListing",
                [
                    _query(
                        "type",
                        {
                            "type": "array",
                            "items": {"type": "string", "enum": [t.lower() for t in FLOW_TYPES]},
                        },
                    ),
                    _query("name", _STR),
                    _query("sortBy", {"type": "string", "enum": ["id", "name", "type"]}),
                    _query("sortOrder", {"type": "string", "enum": ["asc", "desc"]}),
                    deleted,
                    *_PAGING,
                ],
            ),
            "post": _op("Flow", body=_FLOW_BODY),
        },
        f"{FLOWS}/{{flowId}}": {
            "get": _op("Flow", [flow_id, deleted]),
            "put": _op("Flow", [flow_id], _FLOW_BODY),
            "delete": _op("(empty)", [flow_id]),
        },
        **{
            f"{FLOWS}/actions/{action}": {"post": _op(model, [flow_q, *extra])}
            for action, model, extra in (
                ("checkout", "Flow", []),
                ("checkin", "Operation", []),
                ("publish", "Operation", [_query("version", _STR)]),
                ("deactivate", "Flow", []),
                ("unlock", "Flow", []),
            )
        },
        f"{FLOWS}/{{flowId}}/versions": {
            "get": _op("FlowVersionEntityListing", [flow_id, deleted, *_PAGING])
        },
        f"{FLOWS}/{{flowId}}/versions/{{versionId}}": {
            "get": _op("FlowVersion", [flow_id, version_id, deleted])
        },
        f"{FLOWS}/{{flowId}}/versions/{{versionId}}/configuration": {
            "get": _op("object", [flow_id, version_id, deleted])
        },
        f"{FLOWS}/{{flowId}}/latestconfiguration": {"get": _op("object", [flow_id, deleted])},
        f"{FLOWS}/jobs": {
            "post": _op(
                "RegisterArchitectJobResponse",
                body={"type": "object", "properties": {"createStubs": {"type": "boolean"}}},
            )
        },
        f"{FLOWS}/jobs/{{jobId}}": {
            "get": _op("ArchitectJobStateResponse", [_path("jobId"), _query("expand", _STR)])
        },
        f"{FLOWS}/export/jobs": {
            "post": _op(
                "RegisterArchitectExportJobResponse",
                body={
                    "type": "object",
                    "properties": {
                        "flows": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "flow": {
                                        "type": "object",
                                        "properties": {
                                            "id": _STR,
                                            "name": _STR,
                                            "type": _STR,
                                            "version": _STR,
                                        },
                                    },
                                    "fileName": _STR,
                                    "exportType": {"type": "string", "enum": ["Yaml"]},
                                },
                            },
                        }
                    },
                    "required": ["flows"],
                },
            )
        },
        f"{FLOWS}/export/jobs/{{jobId}}": {
            "get": _op("ArchitectExportJobStateResponse", [_path("jobId"), _query("expand", _STR)])
        },
        f"{DEPS}/consumedresources": {
            "get": _op(
                "ConsumedResourcesEntityListing",
                [_query("id", _STR, True), _query("version", _STR, True), object_type, *_PAGING],
            )
        },
        f"{DEPS}/consumingresources": {
            "get": _op(
                "ConsumingResourcesEntityListing",
                [
                    _query("id", _STR, True),
                    object_type,
                    _query("flowFilter", {"type": "string", "enum": ["checkedIn", "published"]}),
                    *_PAGING,
                ],
            )
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Genesys Cloud flows API (local emulator)",
            "version": "2.0.0",
            "description": "The real platform's flows routes; response models are the official SDK's.",
        },
        "paths": paths,
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
    }
