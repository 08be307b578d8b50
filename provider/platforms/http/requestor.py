"""The one requestor: every API call of a platform client goes through `Requestor.call`.

It owns authentication (the token cache of its `ClientPool`), pacing (the header-fed pacer shared by
every requestor of the pool with the same client id and API), retries per the `RetryPolicy` (honouring
`Retry-After`), and reporting each request to the `Recorder`. Platform clients build paths and
interpret bodies; they never loop on errors themselves.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from provider.errors import ArchitectError, TransportError, error_from_response
from provider.platforms.http.pacing import AnswerTimeout, Pacer, Ticket
from provider.platforms.http.pool import ClientPool
from provider.platforms.http.recorder import NullRecorder, Recorder, RequestEvent
from provider.platforms.http.retry import RetryDecision, RetryPolicy, parse_retry_after
from provider.platforms.http.settings import ConnectionSettings
from provider.platforms.http.transport import HttpResult, Send, send

log = logging.getLogger(__name__)


@dataclass
class _Call:
    """One logical call and what its attempts so far have learnt."""

    method: str
    path: str
    template: str
    params: dict[str, Any] | None
    body: Any
    ok: tuple[int, ...]
    handled: tuple[int, ...]
    before_retry: Callable[[], Any] | None
    started: float  # the policy's clock
    attempt: int = 0
    throttled: int = 0  # attempts answered 429
    waited: float = 0.0  # seconds the server asked us to wait: Retry-After, its rate-limit window
    refused: str | None = None  # the token a 401 refused
    reauthenticated: bool = False
    ambiguous_before: bool = False


@dataclass
class Outcome:
    status: int
    body: Any
    correlation_id: str | None
    attempts: int
    #: An earlier attempt failed ambiguously (it may have been applied before this answer).
    ambiguous_before: bool = False
    #: Set when a pre-retry lookup found the result (no further request was sent).
    shortcut: Any = None


class Requestor:
    """Authenticated, paced, retried calls to one organization's API (thread-safe)."""

    def __init__(
        self,
        settings: ConnectionSettings,
        *,
        retry: RetryPolicy | None = None,
        recorder: Recorder | None = None,
        pacing: bool = True,
        transport: Send = send,
        pool: ClientPool | None = None,
    ) -> None:
        """`transport` sends one HTTP exchange (default: `transport.send` over the pool's session);
        tests and other clients pass their own instead of patching this module. `pool` holds the
        sessions, tokens and pacers this requestor shares with others (default: a private one)."""
        self.settings = settings
        self._send = transport
        self.retry = retry or RetryPolicy()
        self.recorder: Recorder = recorder or NullRecorder()
        self.pool = pool if pool is not None else ClientPool()
        self._session = self.pool.session(settings.api_base_url)
        self._login_session = self.pool.session(settings.login_base_url)
        self._pacer: Pacer | None = (
            self.pool.pacer(settings.client_id, settings.api_base_url) if pacing else None
        )
        self.last_correlation_id: str | None = None

    def pages(self, path: str, template: str, params: dict[str, Any]) -> Iterator[Any]:
        next_path: str | None = path
        next_params: dict[str, Any] | None = {**params, "pageNumber": 1}
        while next_path is not None:
            out = self.call("GET", next_path, template, params=next_params)
            yield out.body
            next_uri = out.body.get("nextUri") if isinstance(out.body, dict) else None
            entities = out.body.get("entities") if isinstance(out.body, dict) else None
            if not next_uri or not entities:
                return
            if next_uri.startswith(("http://", "https://")):
                next_uri = "/" + next_uri.split("/", 3)[3]
            next_path, next_params = next_uri, None

    def call(
        self,
        method: str,
        path: str,
        template: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        ok: tuple[int, ...] = (200,),
        handled: tuple[int, ...] = (),
        before_retry: Callable[[], Any] | None = None,
    ) -> Outcome:
        """One logical call: auth, pacing, retries per the policy, the recorder. Returns statuses in
        `ok` or `handled`; raises the matching `ArchitectError` for any other.

        This is the one retry loop: a failed token request is an attempt like any other. The
        policy's deadline does not count the waits the server asked for (`waited`), and each
        attempt's read timeout is cut to what is left of it, so a server that never answers fails
        the call within the deadline."""
        state = _Call(method, path, template, params, body, ok, handled, before_retry, self.retry.clock())
        while True:
            state.attempt += 1
            outcome = self._attempt(state)
            if outcome is not None:
                return outcome

    def _attempt(self, call: _Call) -> Outcome | None:
        """One attempt: pace, take the token, send, handle the answer. `None`: try again (the
        wait before the next attempt is already done)."""
        left = self.retry.remaining(call.started, call.waited)
        deadline = time.monotonic() + left
        read_timeout = max(0.1, min(self.settings.read_timeout, left))
        timeout = (min(self.settings.connect_timeout, read_timeout), read_timeout)
        # Pace first, then take the token: a wait for the pacer can outlast a short-lived token.
        ticket = self._pace(call, deadline)
        token = self._token(call, ticket, deadline)
        if token is None:
            return None
        sent_at = time.monotonic()
        # Failures are handled after the `except` blocks: a raised error keeps no `__context__`
        # (a requests exception holds the request, whose headers carry credentials).
        send_error: TransportError | None = None
        try:
            result = self._exchange(call, ticket, token, timeout)
        except TransportError as exc:
            send_error = exc
        if send_error is not None:
            return self._on_send_error(call, send_error, time.monotonic() - sent_at)
        self._release(ticket, result.headers, status=result.status)
        return self._on_response(call, result, token)

    def _pace(self, call: _Call, deadline: float) -> Ticket | None:
        """The pacer's permission to send (`None` without pacing)."""
        if self._pacer is None:
            return None
        try:
            ticket = self._pacer.acquire(on_wait=self.on_wait, deadline=deadline)
        except AnswerTimeout as exc:
            raise TransportError(
                f"{call.method} {call.path.split('?', 1)[0]} failed: the server did not answer ({exc})",
                code="timeout",
            ) from None
        call.waited += ticket.paced
        return ticket

    def _token(self, call: _Call, ticket: Ticket | None, deadline: float) -> str | None:
        """The access token for this attempt; `None` when the token request failed and is retried
        (after its wait); raises when it is not."""
        token_error: ArchitectError | None = None
        try:
            token = self.pool.tokens.get(
                self.settings,
                self._login_session,
                policy=self.retry,
                recorder=self.recorder,
                refused=call.refused,
                deadline=deadline,
            )
        except ArchitectError as exc:
            token_error = exc
        except BaseException:
            self._release(ticket, None)
            raise
        if token_error is None:
            return token
        self._release(ticket, None)
        decision = self._token_decision(token_error, call)
        if not decision.retry:
            raise _gave_up(token_error, call.attempt, self.retry.clock() - call.started)
        if token_error.status == 429:
            call.throttled += 1
            call.waited += decision.delay
        self.retry.sleep(decision.delay)
        return None

    def _exchange(
        self, call: _Call, ticket: Ticket | None, token: str, timeout: tuple[float, float]
    ) -> HttpResult:
        """One HTTP exchange with the API."""
        try:
            return self._send(
                self._session,
                call.method,
                self.settings.api_base_url + call.path,
                timeout=timeout,
                headers={"Authorization": f"Bearer {token}"},
                params=call.params,
                json_body=call.body,
            )
        except BaseException:
            # Give the pacer its slot back whatever went wrong: a leaked in-flight slot would
            # shrink the bucket for good (and block every caller while the limit is unknown).
            self._release(ticket, None)
            raise

    def _on_send_error(self, call: _Call, error: TransportError, latency: float) -> Outcome | None:
        """No answer: retry per the policy (a POST that may have been applied looks up first)."""
        decision = self.retry.decide(
            method=call.method,
            attempt=call.attempt,
            started=call.started,
            transport_error=error.code or "connection",
            ambiguous=error.ambiguous,
            throttled=call.throttled,
            waited=call.waited,
        )
        self.record(call.method, call.template, None, latency, call.attempt, decision, None)
        if not decision.retry:
            raise _gave_up(error, call.attempt, self.retry.clock() - call.started)
        call.ambiguous_before = call.ambiguous_before or error.ambiguous
        self.retry.sleep(decision.delay)
        return self._look_up(call, decision, None)

    def _on_response(self, call: _Call, result: HttpResult, token: str) -> Outcome | None:
        """An answer: the outcome when expected, one re-authentication after a 401, else the
        retry decision."""
        if result.correlation_id:
            self.last_correlation_id = result.correlation_id
        status = result.status
        if status in call.ok or status in call.handled:
            self.record(
                call.method,
                call.template,
                status,
                result.latency_s,
                call.attempt,
                None,
                result.correlation_id,
            )
            return Outcome(status, result.body, result.correlation_id, call.attempt, call.ambiguous_before)
        if status == 401 and not call.reauthenticated:
            call.reauthenticated = True
            call.refused = token
            self.record(
                call.method,
                call.template,
                status,
                result.latency_s,
                call.attempt,
                "401",
                result.correlation_id,
            )
            return None
        return self._retry_or_raise(call, result)

    def _retry_or_raise(self, call: _Call, result: HttpResult) -> Outcome | None:
        """An error answer: wait and retry per the policy, or raise the matching error."""
        status = result.status
        retry_after = parse_retry_after(result.headers.get("Retry-After"))
        if status == 429 and self._pacer is not None:
            self._pacer.throttled(retry_after)
        decision = self.retry.decide(
            method=call.method,
            attempt=call.attempt,
            started=call.started,
            status=status,
            retry_after=retry_after,
            throttled=call.throttled,
            waited=call.waited,
        )
        self.record(
            call.method,
            call.template,
            status,
            result.latency_s,
            call.attempt,
            decision,
            result.correlation_id,
        )
        if not decision.retry:
            raise error_from_response(
                status,
                result.body,
                method=call.method,
                path=call.path.split("?", 1)[0],
                correlation_id=result.correlation_id,
                retry_after=retry_after,
            )
        if status == 429:
            call.throttled += 1
            call.waited += decision.delay
            self.on_wait(decision.delay, "retry-after")
        elif status >= 500 and call.method not in ("GET", "HEAD"):
            call.ambiguous_before = True
        self.retry.sleep(decision.delay)
        return self._look_up(call, decision, result.correlation_id)

    @staticmethod
    def _look_up(call: _Call, decision: RetryDecision, correlation_id: str | None) -> Outcome | None:
        """Before resending a request that may have been applied: the caller's look-up's result,
        when it finds one (no further request is sent)."""
        if decision.lookup_first and call.before_retry is not None:
            found = call.before_retry()
            if found is not None:
                return Outcome(0, None, correlation_id, call.attempt, True, shortcut=found)
        return None

    def _release(self, ticket: Ticket | None, headers: Any, *, status: int | None = None) -> None:
        if self._pacer is not None:
            self._pacer.release(ticket, headers, status=status)

    def _token_decision(self, exc: ArchitectError, call: _Call) -> RetryDecision:
        """Whether a failed token request is retried: as any call, and always resendable (a token
        request creates nothing, so it never needs a look-up first)."""
        if isinstance(exc, TransportError):
            return self.retry.decide(
                method="POST",
                attempt=call.attempt,
                started=call.started,
                transport_error=exc.code or "connection",
                throttled=call.throttled,
                waited=call.waited,
                idempotent=True,
            )
        if exc.status is None:
            return RetryDecision(False)
        return self.retry.decide(
            method="POST",
            attempt=call.attempt,
            started=call.started,
            status=exc.status,
            retry_after=getattr(exc, "retry_after", None),
            throttled=call.throttled,
            waited=call.waited,
            idempotent=True,
        )

    def record(
        self,
        method: str,
        template: str,
        status: int | None,
        latency: float,
        attempt: int,
        decision: Any,
        correlation_id: str | None,
    ) -> None:
        if isinstance(decision, str) or decision is None:
            reason = decision
        else:
            reason = decision.reason if decision.retry else None
        self.safe(
            self.recorder.on_request,
            RequestEvent(
                method=method,
                path_template=template,
                status=status,
                latency_s=latency,
                attempt=attempt,
                retry_reason=reason,
                correlation_id=correlation_id,
            ),
        )

    def on_wait(self, seconds: float, reason: str) -> None:
        self.safe(self.recorder.on_rate_limit_wait, seconds, reason)

    @staticmethod
    def safe(fn: Callable[..., None], *args: Any) -> None:
        try:
            fn(*args)
        except Exception:
            log.exception("recorder failed")


def _gave_up(exc: ArchitectError, attempts: int, elapsed: float) -> ArchitectError:
    """A transport error as the call's final error: it says how long we tried (other errors are the
    server's own answer and stay as they are)."""
    if not isinstance(exc, TransportError):
        return exc
    return TransportError(
        f"{exc.message}; gave up after {attempts} attempt(s) in {elapsed:.0f} s",
        ambiguous=exc.ambiguous,
        code=exc.code,
    )
