"""The outermost ASGI middleware: stamps every response with its `ININ-Correlation-Id` and the rate
limit headers, records statistics, and injects faults on `/api/v2/` requests."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .errors import code_for_status, error_body
from .runtime import Runtime
from .stats import is_counted
from .store import dumps

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


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
            faults = self.runtime.faults
            decision = faults.decide(method) if faults.applies(path) else None
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
                canned = faults.settings.body if faults.settings is not None else None
                body = (
                    dumps(canned).encode("utf-8")
                    if canned is not None
                    else error_body(
                        status,
                        code_for_status(status),
                        f"Injected fault: the emulator answered {status} on purpose.",
                        cid,
                    )
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
