"""HTTP transport: pooled `requests.Session`s (kept per base URL by a `ClientPool`), timeouts,
User-Agent, correlation ids, and the mapping of low-level failures to `TransportError` (ambiguous or
not).
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NameResolutionError, NewConnectionError

from provider import __version__
from provider.errors import TransportError

USER_AGENT = f"genesys-flows/{__version__}"
CORRELATION_HEADER = "ININ-Correlation-Id"
POOL_SIZE = 32


def new_session() -> requests.Session:
    """A session with a connection pool sized for the client's threads."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=POOL_SIZE, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    session.headers["Accept"] = "application/json"
    session.trust_env = False  # no proxies from the environment for the API
    return session


@dataclass
class HttpResult:
    status: int
    headers: requests.structures.CaseInsensitiveDict[str]
    body: Any  # parsed JSON, or None
    text: str
    correlation_id: str | None
    latency_s: float
    content: bytes = b""  # the raw body (an export's zip)


def _never_sent(exc: BaseException) -> bool:
    """True when the request surely never reached the server (so a replay cannot duplicate it)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    seen: set[int] = set()
    cursor: BaseException | None = exc
    while cursor is not None and id(cursor) not in seen:
        seen.add(id(cursor))
        if isinstance(cursor, NewConnectionError | ConnectionRefusedError):
            return True
        for arg in getattr(cursor, "args", ()):
            if isinstance(arg, BaseException) and isinstance(
                arg, NewConnectionError | ConnectionRefusedError
            ):
                return True
        reason = getattr(cursor, "reason", None)
        if isinstance(reason, BaseException) and id(reason) not in seen:
            cursor = reason
            continue
        cursor = cursor.__cause__ or cursor.__context__
    return False


def _name_unresolved(exc: BaseException) -> bool:
    """True when the host name could not be resolved (no network, no DNS, a mistyped host)."""
    seen: set[int] = set()
    cursor: BaseException | None = exc
    while cursor is not None and id(cursor) not in seen:
        seen.add(id(cursor))
        if isinstance(cursor, NameResolutionError | socket.gaierror):
            return True
        nested = [a for a in getattr(cursor, "args", ()) if isinstance(a, BaseException)]
        reason = getattr(cursor, "reason", None)
        if isinstance(reason, BaseException):
            nested.append(reason)
        if any(isinstance(n, NameResolutionError | socket.gaierror) for n in nested):
            return True
        cursor = nested[0] if nested else (cursor.__cause__ or cursor.__context__)
    return False


class Send(Protocol):
    """The shape of `send`: what a `Requestor` takes as its transport."""

    def __call__(
        self,
        session: requests.Session,
        method: str,
        url: str,
        *,
        timeout: tuple[float, float],
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        data: Any = None,
        auth: Any = None,
    ) -> HttpResult: ...


def _no_answer(
    method: str, url: str, timeout: tuple[float, float], kind: str, never_sent: bool, exc_name: str
) -> TransportError:
    """The error of an exchange without a response (the URL without its query)."""
    where = url.split("?", 1)[0]
    if kind == "timeout" and not never_sent:
        what = f"the server did not answer within {round(timeout[1], 1):g} s ({exc_name})"
    elif kind == "timeout":
        what = f"could not connect within {round(timeout[0], 1):g} s ({exc_name})"
    elif kind == "dns":
        what = (
            f"cannot resolve host {urlsplit(url).hostname!r}: no network or DNS (check the connection, "
            "the region or apiUrl, and a proxy if you need one)"
        )
    else:
        what = f"{kind} error ({exc_name})"
    return TransportError(
        f"{method} {where} failed: {what}"
        + ("" if never_sent else "; the request may have reached the server"),
        ambiguous=not never_sent,
        code=kind,
    )


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    timeout: tuple[float, float],
    headers: dict[str, str] | None = None,
    params: dict[str, Any] | None = None,
    json_body: Any = None,
    data: Any = None,
    auth: Any = None,
) -> HttpResult:
    """One HTTP exchange. Raises `TransportError` (with `ambiguous`) when there is no response."""
    started = time.monotonic()
    failure: tuple[str, bool, str] | None = None
    try:
        response = session.request(
            method,
            url,
            headers=headers,
            params=params,
            json=json_body,
            data=data,
            auth=auth,
            timeout=timeout,
            allow_redirects=False,
        )
        text = response.text
        content = response.content
    except requests.exceptions.RequestException as exc:
        kind = "timeout" if isinstance(exc, requests.exceptions.Timeout) else "connection"
        if kind == "connection" and _name_unresolved(exc):
            kind = "dns"  # not retried: the next attempt would not find the host either
        failure = (kind, kind == "dns" or _never_sent(exc), type(exc).__name__)
    if failure is not None:
        # Raised outside the `except` block so that the error keeps no `__context__`: the requests
        # exception holds the prepared request, whose Authorization header carries the bearer token
        # or base64(client_id:client_secret).
        raise _no_answer(method, url, timeout, *failure)
    latency = time.monotonic() - started
    body: Any = None
    if text:
        try:
            body = response.json()
        except ValueError:
            body = None
    return HttpResult(
        status=response.status_code,
        headers=response.headers,
        body=body,
        text=text,
        correlation_id=response.headers.get(CORRELATION_HEADER),
        latency_s=latency,
        content=content,
    )
