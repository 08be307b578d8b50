"""The admin API under `/_emulator/` (X-Emulator-Admin-Key): reset, statistics, faults, rate limit,
token lifetime and revocation, and the real-platform controls under `/_emulator/genesys/` (async
delay, acting as a UI user, dependency tracking rebuilding, job faults, upload URL lifetime). Never
part of the served OpenAPI document."""

import hmac
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import ApiError
from ..faults import FaultSettings
from ..genesys.objects import TYPES as OBJECT_TYPES
from ..genesys.render import user_actor
from ..http import json_body, json_response
from ..runtime import Runtime
from ..store import dumps

ADMIN_HEADER = "X-Emulator-Admin-Key"


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


def check_admin(runtime: Runtime, request: Request) -> None:
    key = request.headers.get(ADMIN_HEADER)
    if key is None:
        raise ApiError(401, "authentication.required", f"The admin API needs the {ADMIN_HEADER} header.")
    if not hmac.compare_digest(key.encode("utf-8", "surrogateescape"), runtime.config.admin_key.encode()):
        raise ApiError(401, "bad.credentials", f"Wrong {ADMIN_HEADER}.")


async def admin_body(runtime: Runtime, request: Request, model: type[BaseModel]) -> Any:
    check_admin(runtime, request)
    body = await json_body(runtime, request)
    try:
        return model.model_validate_json(json.dumps(body))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
        )
        raise ApiError(400, "bad.request", f"Invalid admin request: {problems}") from None


class _AdminJobDuration(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    min_seconds: float = Field(ge=0, le=600)
    max_seconds: float | None = Field(default=None, ge=0, le=600)
    seed: int | None = None
    export_seconds: float | None = Field(default=None, ge=0, le=600)


class _AdminAsyncDelay(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    seconds: float = Field(ge=0, le=600)


class _AdminUploadTtl(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    seconds: float = Field(ge=0, le=86400)


class _AdminFlow(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    org: str
    flow_id: str


class _AdminUser(_AdminFlow):
    user_name: str = Field(min_length=1, max_length=200)


class _AdminLock(_AdminUser):
    # The user also saved a working copy this many seconds ago (`savedVersion`: the lock's age).
    saved_seconds_ago: float | None = Field(None, ge=0.0, le=10 * 365 * 86400.0)


class _AdminPublishAsUser(_AdminUser):
    yaml: str = Field(max_length=1024 * 1024)


class _AdminSeed(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    org: str = Field(min_length=1, max_length=200)
    user_name: str = Field(min_length=1, max_length=200)
    yaml: str = Field(max_length=1024 * 1024)


class _AdminOrgObject(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    org: str = Field(min_length=1, max_length=200)
    type: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=400)  # a data action: `category/name`


class _AdminRebuilding(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    rebuilding: bool


class _AdminJobFaults(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    fail_next: int = Field(ge=0)
    text: str = Field(min_length=1, max_length=10000)


def router(runtime: Runtime) -> APIRouter:
    """The admin routes over the shared runtime."""
    app = APIRouter(include_in_schema=False)

    @app.post("/_emulator/reset", include_in_schema=False)
    async def admin_reset(request: Request) -> Response:
        check_admin(runtime, request)
        await runtime.reset()
        return Response(status_code=204)

    @app.get("/_emulator/stats", include_in_schema=False)
    async def admin_stats(request: Request) -> Response:
        check_admin(runtime, request)
        return json_response(dumps(runtime.stats.snapshot()))

    @app.put("/_emulator/faults", include_in_schema=False)
    async def admin_set_faults(request: Request) -> Response:
        settings = await admin_body(runtime, request, FaultSettings)
        runtime.faults.configure(settings)
        return json_response(dumps(runtime.faults.describe()))

    @app.get("/_emulator/faults", include_in_schema=False)
    async def admin_get_faults(request: Request) -> Response:
        check_admin(runtime, request)
        return json_response(dumps(runtime.faults.describe()))

    @app.delete("/_emulator/faults", include_in_schema=False)
    async def admin_clear_faults(request: Request) -> Response:
        check_admin(runtime, request)
        runtime.faults.clear()
        return Response(status_code=204)

    @app.put("/_emulator/rate-limit", include_in_schema=False)
    async def admin_rate_limit(request: Request) -> Response:
        body = await admin_body(runtime, request, _AdminRateLimit)
        runtime.limiter.configure(body.limit, body.window_seconds)
        return json_response(dumps({"limit": body.limit, "window_seconds": body.window_seconds}))

    @app.put("/_emulator/token-lifetime", include_in_schema=False)
    async def admin_token_lifetime(request: Request) -> Response:
        body = await admin_body(runtime, request, _AdminTokenLifetime)
        runtime.auth.token_lifetime = body.seconds
        return json_response(dumps({"seconds": body.seconds}))

    @app.post("/_emulator/revoke-tokens", include_in_schema=False)
    async def admin_revoke(request: Request) -> Response:
        body = await admin_body(runtime, request, _AdminRevoke)
        revoked = await runtime.auth.revoke(body.client_id)
        return json_response(dumps({"revoked": revoked}))

    # -- the real Genesys Cloud flows API ------------------------------------------------------------

    gc = runtime.genesys
    settings = runtime.genesys_settings

    def known_org(org: str) -> str:
        if org not in runtime.config.organizations:
            raise ApiError(400, "bad.request", f"Unknown organization {org[:80]!r}.")
        return org

    @app.put("/_emulator/genesys/async-delay")
    async def admin_async_delay(request: Request) -> Response:
        body = await admin_body(runtime, request, _AdminAsyncDelay)
        settings.async_delay = body.seconds
        return json_response(dumps({"seconds": body.seconds}))

    @app.put("/_emulator/genesys/job-duration")
    async def admin_job_duration(request: Request) -> Response:
        body = await admin_body(runtime, request, _AdminJobDuration)
        high = body.min_seconds if body.max_seconds is None else body.max_seconds
        if high < body.min_seconds:
            raise ApiError(400, "bad.request", "max_seconds must not be below min_seconds.")
        settings.set_job_duration(body.min_seconds, high, body.seed, body.export_seconds)
        answer = {"min_seconds": body.min_seconds, "max_seconds": high, "export_seconds": body.export_seconds}
        return json_response(dumps(answer))

    @app.put("/_emulator/genesys/upload-ttl")
    async def admin_upload_ttl(request: Request) -> Response:
        body = await admin_body(runtime, request, _AdminUploadTtl)
        settings.upload_ttl = body.seconds
        return json_response(dumps({"seconds": body.seconds}))

    @app.post("/_emulator/genesys/lock")
    async def admin_lock(request: Request) -> Response:
        body = await admin_body(runtime, request, _AdminLock)
        actor = user_actor(known_org(body.org), body.user_name)
        locked = await runtime.store.write(gc.lock_as, body.org, body.flow_id, actor, body.saved_seconds_ago)
        return json_response(dumps(locked))

    @app.post("/_emulator/genesys/unlock")
    async def admin_unlock(request: Request) -> Response:
        body = await admin_body(runtime, request, _AdminFlow)
        return json_response(dumps(await runtime.store.write(gc.unlock, known_org(body.org), body.flow_id)))

    @app.post("/_emulator/genesys/publish-as-user")
    async def admin_publish_as_user(request: Request) -> Response:
        body = await admin_body(runtime, request, _AdminPublishAsUser)
        actor = user_actor(known_org(body.org), body.user_name)
        doc = await runtime.store.write(gc.publish_as, body.org, body.flow_id, actor, body.yaml)
        return json_response(dumps(doc))

    @app.post("/_emulator/genesys/seed-flow")
    async def admin_seed_flow(request: Request) -> Response:
        body = await admin_body(runtime, request, _AdminSeed)
        actor = user_actor(known_org(body.org), body.user_name)
        doc = await runtime.store.write(gc.seed_as, body.org, actor, body.yaml)
        return json_response(dumps(doc))

    async def org_object(request: Request) -> _AdminOrgObject:
        body: _AdminOrgObject = await admin_body(runtime, request, _AdminOrgObject)
        known_org(body.org)
        if body.type not in OBJECT_TYPES:
            raise ApiError(400, "bad.request", f"Unknown object type; use one of {', '.join(OBJECT_TYPES)}.")
        return body

    @app.post("/_emulator/genesys/org-objects")
    async def admin_add_org_object(request: Request) -> Response:
        body = await org_object(request)
        return json_response(dumps(runtime.org_objects.add(body.org, body.type, body.name)))

    @app.post("/_emulator/genesys/org-objects/remove")
    async def admin_remove_org_object(request: Request) -> Response:
        body = await org_object(request)
        return json_response(dumps({"removed": runtime.org_objects.remove(body.org, body.type, body.name)}))

    @app.put("/_emulator/genesys/dependency-tracking")
    async def admin_rebuilding(request: Request) -> Response:
        body = await admin_body(runtime, request, _AdminRebuilding)
        settings.rebuilding = body.rebuilding
        return json_response(dumps({"rebuilding": body.rebuilding}))

    @app.put("/_emulator/genesys/job-faults")
    async def admin_job_faults(request: Request) -> Response:
        body = await admin_body(runtime, request, _AdminJobFaults)
        settings.set_job_faults(body.fail_next, body.text)
        return json_response(dumps({"fail_next": body.fail_next, "text": body.text}))

    return app
