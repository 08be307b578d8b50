"""OAuth2 client credentials, with one cached token per client in a `TokenCache`.

A cache belongs to a `ClientPool` (provider/platforms/http/pool.py): the Requestors built on one pool
share its tokens. It is keyed by (client id, login base URL, a fingerprint of the secret) and shared
by all threads: concurrent callers wait on one fetch instead of each fetching, and share its outcome — when
it fails, every caller that was waiting for it fails with the same error at the same moment (rather
than each trying again in turn behind a lock). `fetch_token` makes one attempt: retrying is the
caller's, in the one retry loop of provider/platforms/http/requestor.py. A token is refreshed before
it expires (a margin of 60 s or 10% of its lifetime, whichever is smaller). After a 401 the client
calls `get_token(..., refused=<the token that was refused>)`: only the first caller replaces it, the
others get the fresh one. The secret and tokens never appear in messages, reprs or logs.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from provider.errors import AuthError, ConfigurationError, TransportError, error_from_response
from provider.platforms.http.recorder import NullRecorder, Recorder, RequestEvent
from provider.platforms.http.retry import RetryPolicy, parse_retry_after
from provider.platforms.http.settings import ConnectionSettings
from provider.platforms.http.transport import HttpResult, send

TOKEN_PATH = "/oauth/token"
REFRESH_MARGIN_MAX = 60.0
REFRESH_MARGIN_FRACTION = 0.1


@dataclass
class Token:
    access_token: str = field(repr=False)
    expires_in: float
    obtained_at: float  # monotonic

    @property
    def expires_at(self) -> float:
        return self.obtained_at + self.expires_in

    @property
    def refresh_at(self) -> float:
        margin = min(REFRESH_MARGIN_MAX, REFRESH_MARGIN_FRACTION * self.expires_in)
        return self.expires_at - margin


@dataclass
class _Fetch:
    """One token request in progress; the callers waiting for it read its outcome."""

    done: threading.Event = field(default_factory=threading.Event)
    token: Token | None = None
    error: BaseException | None = None


@dataclass
class _Slot:
    lock: threading.Lock = field(default_factory=threading.Lock)
    token: Token | None = None
    fetching: _Fetch | None = None


def _key(settings: ConnectionSettings) -> tuple[str, str, str]:
    fingerprint = hashlib.sha256(settings.client_secret.encode()).hexdigest()[:16]
    return (settings.client_id, settings.login_base_url, fingerprint)


class TokenCache:
    """One token per OAuth client (thread-safe). `clock` (monotonic seconds) dates tokens and
    decides when one is due for a refresh; tests pass their own instead of patching a module."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._slots: dict[tuple[str, str, str], _Slot] = {}
        self._lock = threading.Lock()

    def _slot(self, settings: ConnectionSettings) -> _Slot:
        key = _key(settings)
        with self._lock:
            slot = self._slots.get(key)
            if slot is None:
                slot = self._slots[key] = _Slot()
            return slot

    def cached(self, settings: ConnectionSettings) -> Token | None:
        """The token held for `settings`' client, if any (fresh or not)."""
        return self._slot(settings).token

    def get(
        self,
        settings: ConnectionSettings,
        session: requests.Session,
        *,
        policy: RetryPolicy,
        recorder: Recorder | None = None,
        refused: str | None = None,
        deadline: float | None = None,
    ) -> str:
        """A valid access token for `settings`' client: the cached one, or the outcome of the one
        fetch in progress (started by this caller when there is none). `deadline` (time.monotonic)
        bounds the attempt's wait for an answer."""
        slot = self._slot(settings)
        with slot.lock:
            token = slot.token
            if token is not None and refused is not None and token.access_token == refused:
                token = None
            if token is not None and self.clock() < token.refresh_at:
                return token.access_token
            fetch = slot.fetching
            leader = fetch is None
            if fetch is None:
                fetch = slot.fetching = _Fetch()
        if not leader:
            return _await(fetch, settings, policy)
        try:
            fetch.token = fetch_token(
                settings, session, policy=policy, recorder=recorder, deadline=deadline, clock=self.clock
            )
        except BaseException as exc:
            fetch.error = exc
            raise
        finally:
            with slot.lock:
                if fetch.token is not None:
                    slot.token = fetch.token
                slot.fetching = None
            fetch.done.set()
        return fetch.token.access_token


def _await(fetch: _Fetch, settings: ConnectionSettings, policy: RetryPolicy) -> str:
    """The outcome of another caller's fetch: its token, or a copy of its error."""
    # The leader's attempt is bounded by its own timeout; this bound is only a safety net.
    if not fetch.done.wait(timeout=policy.deadline_seconds + settings.read_timeout):
        raise TransportError(
            f"POST {settings.login_base_url}{TOKEN_PATH} failed: the server did not answer the token request",
            code="timeout",
        )
    if fetch.error is not None:
        raise _shared(fetch.error) from None
    assert fetch.token is not None
    return fetch.token.access_token


def fetch_token(
    settings: ConnectionSettings,
    session: requests.Session,
    *,
    policy: RetryPolicy,
    recorder: Recorder | None = None,
    deadline: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Token:
    """One POST /oauth/token (client credentials, Basic auth); raises the matching error. The
    caller retries per `policy` (the read timeout is cut to what is left before `deadline`); `clock`
    dates the token."""
    recorder = recorder or NullRecorder()
    url = settings.login_base_url + TOKEN_PATH
    read_timeout = settings.read_timeout
    if deadline is not None:
        read_timeout = max(0.1, min(read_timeout, deadline - clock()))
    sent_at = clock()
    try:
        result = send(
            session,
            "POST",
            url,
            timeout=(min(settings.connect_timeout, read_timeout), read_timeout),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            data={"grant_type": "client_credentials"},
            auth=(settings.client_id, settings.client_secret),
        )
    except TransportError as exc:
        _record(recorder, None, clock() - sent_at, 1, exc.code or "connection", None)
        if not exc.ambiguous:
            raise
        # A token request changes nothing in the org: whatever became of it, no write was sent.
        raise TransportError(exc.message, ambiguous=False, code=exc.code) from None

    return _token_from(result, settings, recorder, sent_at)


def _token_from(
    result: HttpResult, settings: ConnectionSettings, recorder: Recorder, sent_at: float
) -> Token:
    """The token of a token request's answer, or the matching error (the answer is recorded)."""
    body = result.body if isinstance(result.body, dict) else {}
    if result.status == 200 and isinstance(body.get("access_token"), str):
        _record(recorder, 200, result.latency_s, 1, None, result.correlation_id)
        try:
            expires_in = float(body.get("expires_in", 3600))
        except (TypeError, ValueError):
            expires_in = 3600.0
        return Token(access_token=body["access_token"], expires_in=expires_in, obtained_at=sent_at)

    retry_after = parse_retry_after(result.headers.get("Retry-After"))
    retryable = result.status == 429 or (result.status >= 500 and result.status != 501)
    _record(
        recorder,
        result.status,
        result.latency_s,
        1,
        str(result.status) if retryable else None,
        result.correlation_id,
    )
    oauth_error = body.get("error")
    if result.status in (400, 401) and oauth_error:
        description = body.get("error_description") or body.get("description") or ""
        if oauth_error == "invalid_client":
            raise AuthError(
                f"the OAuth client credentials were rejected (invalid_client) for client id "
                f"{settings.client_id!r} at {settings.login_base_url}: check "
                f"{settings.credentials_from[0]} and {settings.credentials_from[1]} and that the "
                "client belongs to this region/organization",
                status=result.status,
                code="invalid_client",
                correlation_id=result.correlation_id,
            )
        raise ConfigurationError(
            f"the token request was refused ({oauth_error}): {description}",
            status=result.status,
            code=str(oauth_error),
            correlation_id=result.correlation_id,
        )
    raise error_from_response(
        result.status,
        result.body,
        method="POST",
        path=TOKEN_PATH,
        correlation_id=result.correlation_id,
        retry_after=retry_after,
    )


def _shared(error: BaseException) -> BaseException:
    """A copy of the leader's error for a waiter to raise (one exception object raised in several
    threads at once would share, and keep growing, one traceback)."""
    try:
        return copy.copy(error)
    except Exception:
        return error


def _record(
    recorder: Recorder,
    status: int | None,
    latency: float,
    attempt: int,
    retry_reason: str | None,
    correlation_id: str | None,
) -> None:
    with contextlib.suppress(Exception):  # a broken recorder never breaks a call
        recorder.on_request(
            RequestEvent(
                method="POST",
                path_template=TOKEN_PATH,
                status=status,
                latency_s=latency,
                attempt=attempt,
                retry_reason=retry_reason,
                correlation_id=correlation_id,
            )
        )
