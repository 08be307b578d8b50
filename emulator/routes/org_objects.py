"""The org objects Archy flows name, on the real API's routes (read-only): for each type a paged
listing (`pageNumber`, `pageSize`, the `name` filter; data actions also `category`) and a GET by id,
each gated by its view permission. The objects live in `genesys/objects.py`."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..errors import ApiError
from ..genesys.objects import TYPES, ObjectType
from ..http import authenticate, json_response, listing
from ..runtime import Runtime
from ..store import dumps
from .genesys_cloud import _paging, _query, missing_permission

#: The filters each listing honours (query parameter = entity key).
_FILTERS = {"dataAction": ("name", "category")}


def router(runtime: Runtime) -> APIRouter:
    app = APIRouter(include_in_schema=False)
    for object_type, kind in TYPES.items():
        _routes(app, runtime, object_type, kind)
    return app


def _routes(app: APIRouter, runtime: Runtime, object_type: str, kind: ObjectType) -> None:
    def org_of(request: Request) -> str:
        info = authenticate(runtime, request)
        client = runtime.config.clients.get(info.client_id)
        if client is None or kind.permission not in client.permissions:
            raise missing_permission(info.client_id, kind.permission)
        return info.org

    async def list_objects(request: Request) -> Response:
        org = org_of(request)
        number, size = _paging(request)
        filters = {k: v for k in _FILTERS.get(object_type, ("name",)) if (v := _query(request, k))}
        found = runtime.org_objects.list(org, object_type, filters)
        page: list[dict[str, Any]] = found[(number - 1) * size : number * size]
        return listing(request, [dumps(e) for e in page], len(found), number, size)

    async def get_object(request: Request, objectId: str) -> Response:
        found = runtime.org_objects.get(org_of(request), object_type, objectId)
        if found is None:
            raise ApiError(404, "not.found", f"The {kind.model} {objectId[:80]!r} does not exist.")
        return json_response(dumps(found))

    app.add_api_route(kind.route, list_objects, methods=["GET"])
    app.add_api_route(kind.route + "/{objectId}", get_object, methods=["GET"])
