"""The emulator's app factory: one FastAPI app over the shared runtime (store, tokens, rate limit,
faults, statistics), one router per API surface, shared error handlers, and the outer middleware
that stamps correlation ids, records statistics and injects faults.

Surfaces: `routes.oauth` (health, token), `routes.architecture_api` (the tutorial's Architecture API,
the only one in the OpenAPI document), `routes.genesys_cloud` (the real Genesys Cloud flows API),
`routes.org_objects` (the org objects flows name: queues, schedule groups, ...) and `routes.admin`
(`/_emulator/`).
"""

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import models
from .auth import TokenError
from .config import EmulatorConfig
from .errors import ApiError, code_for_status, detail
from .http import error_response, json_response
from .middleware import ASGIApp, EmulatorMiddleware
from .routes import admin, architecture_api, genesys_cloud, oauth, org_objects
from .routes.architecture_api import QUERY_HINTS
from .runtime import Runtime
from .store import dumps

__all__ = ["Runtime", "create_app"]


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
    surfaces = [
        oauth.router(runtime),
        architecture_api.router(runtime),
        genesys_cloud.router(runtime),
        org_objects.router(runtime),
        admin.router(runtime),
    ]
    for surface in surfaces:
        app.include_router(surface)
    _install_error_handlers(app, [r for s in surfaces for r in s.routes if isinstance(r, APIRoute)])
    _install_openapi(app)
    return EmulatorMiddleware(app, runtime), runtime


def _install_error_handlers(app: FastAPI, routes: list[APIRoute]) -> None:
    """`routes`: every API route, to list the methods allowed at a path in a 405's Allow header."""
    # -- exception handlers ------------------------------------------------------------------------

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return error_response(request, exc.status, exc.code, exc.message, exc.details, exc.headers, exc.extra)

    @app.exception_handler(TokenError)
    async def _token_error(request: Request, exc: TokenError) -> Response:
        body = {"error": exc.error, "description": exc.description, "error_description": exc.description}
        headers = {"Cache-Control": "no-store"}
        if exc.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="oauth"'
        return json_response(dumps(body), exc.status, headers)

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
                parts.append(f"Query parameter '{name}' must be {QUERY_HINTS.get(name, 'valid')} ({got}).")
            return error_response(
                request,
                400,
                "invalid.query.param.value",
                " ".join(parts),
                [detail("invalid.query.param.value", name) for name in query_fields],
            )
        return error_response(
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
            for route in routes:
                if route.path_regex.fullmatch(request.scope["path"]):
                    allowed |= route.methods or set()
            headers = {"Allow": ", ".join(sorted(allowed))} if allowed else exc.headers
            return error_response(request, status, code_for_status(status), message, (), headers)
        else:
            message = str(exc.detail)
        return error_response(request, status, code_for_status(status), message, (), exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        return error_response(
            request, 500, "internal.server.error", "An unexpected error occurred in the emulator."
        )


def _install_openapi(app: FastAPI) -> None:
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
