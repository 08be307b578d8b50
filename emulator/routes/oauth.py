"""Health and the OAuth client-credentials token endpoint, shared by every API surface."""

from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import Response

from .. import models
from ..auth import TokenError
from ..errors import ApiError
from ..http import json_response, read_body, request_state
from ..runtime import Runtime
from ..store import dumps
from .architecture_api import CORRELATION


def router(runtime: Runtime) -> APIRouter:
    """`/healthz` and `/oauth/token`."""
    app = APIRouter()

    @app.get(
        "/healthz",
        operation_id="health",
        response_model=None,
        responses={200: {"model": models.Health, "headers": CORRELATION}},
    )
    async def healthz() -> Response:
        return json_response('{"status":"ok"}')

    @app.post(
        "/oauth/token",
        operation_id="getToken",
        response_model=None,
        summary="OAuth2 client credentials",
        responses={
            200: {"model": models.TokenResponse, "description": "A bearer token.", "headers": CORRELATION},
            400: {
                "model": models.TokenError,
                "description": "`unsupported_grant_type`, `invalid_request`.",
                "headers": CORRELATION,
            },
            401: {"model": models.TokenError, "description": "`invalid_client`.", "headers": CORRELATION},
            413: {
                "model": models.TokenError,
                "description": "`invalid_request`: body too large.",
                "headers": CORRELATION,
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
        request_state(request)["client_id"] = client.client_id
        request_state(request)["org"] = client.org
        try:
            raw = await read_body(request, runtime.config.max_body_bytes)
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
        return json_response(
            dumps({"access_token": token, "token_type": "bearer", "expires_in": lifetime}),
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    return app
