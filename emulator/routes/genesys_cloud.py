"""The real Genesys Cloud flows API (contract `genesys-cloud-flows.md` section 2): flows, lock and
lifecycle actions, versions and configuration, Archy YAML jobs with their presigned upload, export
jobs with their download, and dependency tracking. Gated by permissions (contract section 6), not
by the Architecture API's scopes; every answer is JSON the official SDK's models parse."""

import io
import time
import zipfile
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..errors import ApiError, detail
from ..genesys import openapi, render
from ..genesys.domain import FLOW_TYPE_OF_OBJECT, FLOW_TYPES, check_name
from ..genesys.store import EXPORT, IMPORT
from ..http import authenticate, json_body, json_response, listing, read_body, request_state
from ..rules import parse_json_object
from ..runtime import Runtime
from ..store import dumps

FLOWS = "/api/v2/flows"
DEPENDENCIES = "/api/v2/architect/dependencytracking"
OPENAPI = "/openapi-genesys-cloud.json"
UPLOAD = "/_upload"
DOWNLOAD = "/_download"
UPLOAD_SIGNATURE_HEADER = "x-emulator-upload-signature"
UPLOAD_CONTENT_TYPE = "application/x-yaml"

_LOWER_TYPES = {t.lower(): t for t in FLOW_TYPES}
_FLOW_FILTERS = {"checkedIn", "published"}


@dataclass(frozen=True)
class GcCtx:
    client_id: str
    org: str
    actor: dict[str, str]


def _invalid(message: str, field: str = "") -> ApiError:
    return ApiError(400, "invalid.value", message, [detail("invalid.value", field)] if field else ())


def missing_permission(client_id: str, permission: str) -> ApiError:
    return ApiError(
        403,
        "missing.permissions",
        f"Unable to perform the requested action. The OAuth client '{client_id}' is missing the "
        f"following permission(s): [{permission}]",
        [detail("missing.permissions", "", "", permission)],
        extra={
            "messageWithParams": "Unable to perform the requested action. You are missing the following "
            "permission(s): {permissions}",
            "messageParams": {"permissions": permission},
        },
    )


def _query(request: Request, name: str) -> str | None:
    values = request.query_params.getlist(name)
    return values[0] if values else None


def _int_query(request: Request, name: str, default: int, high: int) -> int:
    raw = _query(request, name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or not 1 <= int(raw) <= high:
        raise _invalid(
            f"Query parameter '{name}' must be an integer from 1 to {high} (got {raw[:40]!r}).", name
        )
    return int(raw)


def _bool_query(request: Request, name: str) -> bool:
    raw = _query(request, name)
    if raw is None:
        return False
    if raw.lower() not in ("true", "false"):
        raise _invalid(f"Query parameter '{name}' must be true or false (got {raw[:40]!r}).", name)
    return raw.lower() == "true"


def _required(request: Request, name: str) -> str:
    raw = _query(request, name)
    if not raw:
        raise _invalid(f"Query parameter '{name}' is required.", name)
    return raw


def _paging(request: Request) -> tuple[int, int]:
    return _int_query(request, "pageNumber", 1, 10**8), _int_query(request, "pageSize", 25, 500)


def router(runtime: Runtime) -> APIRouter:
    """The real-platform routes over the shared runtime (described by their own OpenAPI document)."""
    app = APIRouter(include_in_schema=False)
    gc = runtime.genesys
    settings = runtime.genesys_settings

    async def settle() -> None:
        now = time.time()
        if gc.has_due(now):
            await runtime.store.write(gc.settle, now)

    async def ctx(request: Request, permission: str) -> GcCtx:
        info = authenticate(runtime, request)
        client = runtime.config.clients.get(info.client_id)
        if client is None or permission not in client.permissions:
            raise missing_permission(info.client_id, permission)
        await settle()
        return GcCtx(info.client_id, info.org, render.client_actor(info.client_id))

    def flow_param(request: Request, org: str) -> str:
        flow_id = _required(request, "flow")
        note_flow(request, org, flow_id)
        return flow_id

    def note_flow(request: Request, org: str, flow_id: str) -> None:
        state = request_state(request)
        state["flow_id"] = flow_id
        state["flow_name"] = gc.flow_name(org, flow_id)

    def page(request: Request, docs: list[dict[str, Any]], total: int, number: int, size: int) -> Response:
        return listing(request, [dumps(d) for d in docs], total, number, size)

    @app.get(OPENAPI)
    async def openapi_document() -> Response:
        return json_response(dumps(openapi.document()))

    # -- flows --------------------------------------------------------------------------------------

    @app.get(FLOWS)
    async def list_flows(request: Request) -> Response:
        c = await ctx(request, "architect:flow:view")
        number, size = _paging(request)
        types = []
        for raw in request.query_params.getlist("type"):
            for part in raw.split(","):
                if part not in _LOWER_TYPES:
                    raise _invalid(
                        f"Query parameter 'type' must be a lowercase flow type (got {part[:40]!r}).", "type"
                    )
                types.append(_LOWER_TYPES[part])
        sort_by = _query(request, "sortBy") or "id"
        if sort_by not in ("id", "name", "type"):
            raise _invalid(
                f"Query parameter 'sortBy' must be id, name or type (got {sort_by[:40]!r}).", "sortBy"
            )
        sort_order = (_query(request, "sortOrder") or "asc").lower()
        if sort_order not in ("asc", "desc", "ascending", "descending"):
            raise _invalid(
                f"Query parameter 'sortOrder' must be asc or desc (got {sort_order[:40]!r}).", "sortOrder"
            )
        total, docs = gc.list_flows(
            c.org,
            types=types,
            name=_query(request, "name"),
            include_deleted=_bool_query(request, "deleted"),
            sort_by=sort_by,
            descending=sort_order.startswith("desc"),
            offset=(number - 1) * size,
            limit=size,
        )
        return page(request, docs, total, number, size)

    @app.post(FLOWS)
    async def create_flow(request: Request) -> Response:
        c = await ctx(request, "architect:flow:add")
        body = await json_body(runtime, request)
        name = check_name(body.get("name"))
        request_state(request)["flow_name"] = name
        flow_type = body.get("type")
        if flow_type is None:
            raise ApiError(400, "architect.flow.validate.failed.missing.type", "The flow type is required.")
        if flow_type not in FLOW_TYPES:
            raise _invalid(f"Unknown flow type {str(flow_type)[:40]!r}.", "type")
        description = body.get("description")
        if description is not None and not isinstance(description, str):
            raise _invalid("The flow description must be a string.", "description")
        doc = await runtime.store.write(gc.create_flow, c.org, c.actor, flow_type, name, description)
        request_state(request)["flow_id"] = doc["id"]
        return json_response(dumps(doc))

    @app.get(FLOWS + "/{flowId}")
    async def get_flow(request: Request, flowId: str) -> Response:
        c = await ctx(request, "architect:flow:view")
        return json_response(dumps(gc.get_flow(c.org, flowId, _bool_query(request, "deleted"))))

    @app.put(FLOWS + "/{flowId}")
    async def update_flow(request: Request, flowId: str) -> Response:
        c = await ctx(request, "architect:flow:edit")
        note_flow(request, c.org, flowId)
        body = await json_body(runtime, request)
        name = check_name(body.get("name"))
        flow_type = body.get("type")
        if flow_type is not None and flow_type not in FLOW_TYPES:
            raise _invalid(f"Unknown flow type {str(flow_type)[:40]!r}.", "type")
        description = body.get("description")
        if description is not None and not isinstance(description, str):
            raise _invalid("The flow description must be a string.", "description")
        doc = await runtime.store.write(
            gc.update_flow, c.org, c.actor, flowId, flow_type, name, description, "description" in body
        )
        request_state(request)["flow_name"] = doc["name"]
        return json_response(dumps(doc))

    @app.delete(FLOWS + "/{flowId}")
    async def delete_flow(request: Request, flowId: str) -> Response:
        c = await ctx(request, "architect:flow:delete")
        note_flow(request, c.org, flowId)
        await runtime.store.write(gc.delete_flow, c.org, c.actor, flowId)
        return Response(status_code=200)

    # -- actions ------------------------------------------------------------------------------------

    @app.post(FLOWS + "/actions/checkout")
    async def checkout(request: Request) -> Response:
        c = await ctx(request, "architect:flow:edit")
        flow_id = flow_param(request, c.org)
        return json_response(dumps(await runtime.store.write(gc.checkout, c.org, c.actor, flow_id)))

    @app.post(FLOWS + "/actions/checkin")
    async def checkin(request: Request) -> Response:
        c = await ctx(request, "architect:flow:edit")
        flow_id = flow_param(request, c.org)
        op = await runtime.store.write(gc.checkin, c.org, c.actor, flow_id, settings.async_delay)
        return json_response(dumps(op))

    @app.post(FLOWS + "/actions/publish")
    async def publish(request: Request) -> Response:
        c = await ctx(request, "architect:flow:publish")
        flow_id = flow_param(request, c.org)
        version = _query(request, "version") or None
        op = await runtime.store.write(gc.publish, c.org, c.actor, flow_id, version, settings.async_delay)
        return json_response(dumps(op))

    @app.post(FLOWS + "/actions/deactivate")
    async def deactivate(request: Request) -> Response:
        c = await ctx(request, "architect:flow:publish")
        flow_id = flow_param(request, c.org)
        return json_response(dumps(await runtime.store.write(gc.deactivate, c.org, c.actor, flow_id)))

    @app.post(FLOWS + "/actions/unlock")
    async def unlock(request: Request) -> Response:
        c = await ctx(request, "architect:flow:unlock")
        flow_id = flow_param(request, c.org)
        return json_response(dumps(await runtime.store.write(gc.unlock, c.org, flow_id)))

    # -- versions and configuration -----------------------------------------------------------------

    @app.get(FLOWS + "/{flowId}/versions")
    async def list_versions(request: Request, flowId: str) -> Response:
        c = await ctx(request, "architect:flow:view")
        number, size = _paging(request)
        total, docs = gc.list_versions(
            c.org, flowId, _bool_query(request, "deleted"), (number - 1) * size, size
        )
        return page(request, docs, total, number, size)

    @app.get(FLOWS + "/{flowId}/versions/{versionId}")
    async def get_version(request: Request, flowId: str, versionId: str) -> Response:
        c = await ctx(request, "architect:flow:view")
        return json_response(dumps(gc.get_version(c.org, flowId, versionId, _bool_query(request, "deleted"))))

    @app.get(FLOWS + "/{flowId}/versions/{versionId}/configuration")
    async def version_configuration(request: Request, flowId: str, versionId: str) -> Response:
        c = await ctx(request, "architect:flow:view")
        text = gc.get_configuration(c.org, flowId, versionId, _bool_query(request, "deleted"))
        return json_response(dumps({"archyYaml": text}))

    @app.get(FLOWS + "/{flowId}/latestconfiguration")
    async def latest_configuration(request: Request, flowId: str) -> Response:
        c = await ctx(request, "architect:flow:view")
        text = gc.get_configuration(c.org, flowId, None, _bool_query(request, "deleted"))
        return json_response(dumps({"archyYaml": text}))

    # -- import jobs (Archy YAML) -------------------------------------------------------------------

    @app.post(FLOWS + "/jobs")
    async def register_job(request: Request) -> Response:
        c = await ctx(request, "architect:job:create")
        raw = await read_body(request, runtime.config.max_body_bytes)
        create_stubs = False
        if raw.strip() and raw.strip() != b"null":
            body = parse_json_object(raw)
            value = body.get("createStubs", False)
            if value is not None and not isinstance(value, bool):
                raise _invalid("createStubs must be true or false.", "createStubs")
            create_stubs = bool(value)
        job = await runtime.store.write(
            gc.register_job, c.org, c.client_id, create_stubs, settings.upload_ttl
        )
        base = str(request.base_url).rstrip("/")
        return json_response(
            dumps(
                {
                    "id": job["id"],
                    "presignedUrl": f"{base}{UPLOAD}/{job['id']}?sig={job['url_sig']}",
                    "headers": {
                        "Content-Type": UPLOAD_CONTENT_TYPE,
                        UPLOAD_SIGNATURE_HEADER: job["header_sig"],
                    },
                    "selfUri": f"{FLOWS}/jobs/{job['id']}",
                }
            )
        )

    @app.put(UPLOAD + "/{jobId}")
    async def upload(request: Request, jobId: str) -> Response:
        body = await read_body(request, runtime.config.max_body_bytes)
        refusal: str | None = "A required header is missing or wrong."
        if request.headers.get("content-type") == UPLOAD_CONTENT_TYPE:
            refusal = await runtime.store.write(
                gc.upload,
                jobId,
                request.query_params.get("sig", ""),
                request.headers.get(UPLOAD_SIGNATURE_HEADER, ""),
                body,
                settings.job_delay(),
                settings.take_job_fault,
            )
        if refusal is not None:
            raise ApiError(403, "access.denied", f"Upload refused: {refusal}")
        return Response(status_code=200)

    @app.get(FLOWS + "/jobs/{jobId}")
    async def get_job(request: Request, jobId: str) -> Response:
        c = await ctx(request, "architect:job:view")
        found = gc.get_job(c.org, jobId, IMPORT)
        if found is None:
            raise ApiError(404, "not.found", f"Architect job '{jobId[:80]}' was not found.")
        status, data = found
        doc: dict[str, Any] = {"id": jobId}
        if data.get("flow_id"):
            doc["flow"] = {"id": data["flow_id"], "selfUri": f"{FLOWS}/{data['flow_id']}"}
        doc["status"] = status
        doc["command"] = "Publish"
        if "messages" in (_query(request, "expand") or "").split(","):
            doc["messages"] = data["messages"]
        doc["selfUri"] = f"{FLOWS}/jobs/{jobId}"
        return json_response(dumps(doc))

    # -- export jobs --------------------------------------------------------------------------------

    @app.post(FLOWS + "/export/jobs")
    async def register_export(request: Request) -> Response:
        c = await ctx(request, "architect:jobExport:create")
        body = await json_body(runtime, request)
        flows = body.get("flows")
        if not isinstance(flows, list) or not flows or len(flows) > 100:
            raise _invalid("'flows' must list 1 to 100 flows to export.", "flows")
        wanted: list[dict[str, Any]] = []
        for item in flows:
            ref = item.get("flow") if isinstance(item, dict) else None
            if not isinstance(ref, dict) or not (ref.get("id") or (ref.get("name") and ref.get("type"))):
                raise _invalid("Each export needs flow.id, or flow.name and flow.type.", "flows")
            if item.get("exportType", "Yaml") not in ("Yaml", None):
                raise _invalid("The emulator exports only exportType Yaml.", "exportType")
            file_name = item.get("fileName")
            if file_name is not None and (
                not isinstance(file_name, str) or not file_name.replace("_", "").replace("-", "").isalnum()
            ):
                raise _invalid("fileName may hold only letters, digits, '_' and '-'.", "fileName")
            wanted.append(
                {
                    "id": str(ref.get("id") or ""),
                    "name": str(ref.get("name") or ""),
                    "type": str(ref.get("type") or ""),
                    "version": str(ref["version"]) if ref.get("version") else None,
                    "fileName": file_name,
                }
            )
        job = await runtime.store.write(
            gc.register_export, c.org, c.client_id, wanted, settings.export_delay()
        )
        job["selfUri"] = f"{FLOWS}/export/jobs/{job['id']}"
        return json_response(dumps(job))

    @app.get(FLOWS + "/export/jobs/{jobId}")
    async def get_export(request: Request, jobId: str) -> Response:
        c = await ctx(request, "architect:jobExport:view")
        found = gc.get_job(c.org, jobId, EXPORT)
        if found is None:
            raise ApiError(404, "not.found", f"Export job '{jobId[:80]}' was not found.")
        status, data = found
        doc: dict[str, Any] = {"id": jobId, "status": status, "command": "Export"}
        if status == "Success":
            base = str(request.base_url).rstrip("/")
            doc["downloadUrl"] = f"{base}{DOWNLOAD}/{jobId}?sig={data['sig']}"
        if "messages" in (_query(request, "expand") or "").split(",") or status == "Failure":
            doc["messages"] = data["messages"]
        doc["selfUri"] = f"{FLOWS}/export/jobs/{jobId}"
        return json_response(dumps(doc))

    @app.get(DOWNLOAD + "/{jobId}")
    async def download(request: Request, jobId: str) -> Response:
        await settle()
        files = gc.download(jobId, request.query_params.get("sig", ""))
        if files is None:
            raise ApiError(403, "access.denied", "The download URL is not valid.")
        if len(files) == 1:
            return Response(files[0][1].encode("utf-8"), media_type="application/x-yaml")
        buffer = io.BytesIO()
        used: set[str] = set()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in files:
                unique, n = name, 1
                while unique in used:
                    n += 1
                    unique = name.replace(".yaml", f"_{n}.yaml")
                used.add(unique)
                archive.writestr(unique, text)
        return Response(buffer.getvalue(), media_type="application/zip")

    # -- dependency tracking ------------------------------------------------------------------------

    def dependency_page(request: Request, entities: list[dict[str, Any]]) -> Response:
        number, size = _paging(request)
        if settings.rebuilding:
            entities = []
        start = (number - 1) * size
        response = page(request, entities[start : start + size], len(entities), number, size)
        if settings.rebuilding:
            response.status_code = 206
        return response

    def object_type_param(request: Request) -> str:
        kind = _required(request, "objectType")
        if kind not in FLOW_TYPE_OF_OBJECT:
            raise ApiError(
                400,
                "architect.dependency.object.invalid.type",
                f"objectType {kind[:40]!r} is not a versioned flow object type.",
            )
        return kind

    @app.get(DEPENDENCIES + "/consumedresources")
    async def consumed(request: Request) -> Response:
        c = await ctx(request, "architect:dependencyTracking:view")
        flow_id = _required(request, "id")
        if not _query(request, "version"):
            raise ApiError(
                400,
                "architect.dependency.object.version.not.specified",
                "The version of the object must be specified (query parameter 'version').",
            )
        kind = object_type_param(request)
        entities = gc.consumed(c.org, flow_id, _required(request, "version"), kind)
        wanted = [t for raw in request.query_params.getlist("resourceType") for t in raw.split(",") if t]
        if wanted:
            entities = [e for e in entities if e.get("type") in wanted]
        return dependency_page(request, entities)

    @app.get(DEPENDENCIES + "/consumingresources")
    async def consuming(request: Request) -> Response:
        c = await ctx(request, "architect:dependencyTracking:view")
        flow_id = _required(request, "id")
        kind = object_type_param(request)
        flow_filter = _query(request, "flowFilter")
        if flow_filter is not None and flow_filter not in _FLOW_FILTERS:
            raise _invalid(
                f"flowFilter must be checkedIn or published (got {flow_filter[:40]!r}).", "flowFilter"
            )
        entities = gc.consuming(c.org, flow_id, kind, flow_filter)
        wanted = [t for raw in request.query_params.getlist("resourceType") for t in raw.split(",") if t]
        if wanted:
            entities = [e for e in entities if e.get("type") in wanted]
        return dependency_page(request, entities)

    return app
