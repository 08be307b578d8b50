"""The one requestor: every API call of a platform client goes through `Requestor.call`.

It owns authentication (the shared token cache), pacing (the header-fed pacer shared by every client
of the process with the same client id and API), retries per the `RetryPolicy` (honouring
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
from provider.platforms.http import auth
from provider.platforms.http.pacing import AnswerTimeout, Pacer, pacer_for
from provider.platforms.http.recorder import NullRecorder, Recorder, RequestEvent
from provider.platforms.http.retry import RetryDecision, RetryPolicy, parse_retry_after
from provider.platforms.http.settings import ConnectionSettings
from provider.platforms.http.transport import HttpResult, Send, get_session, send

log = logging.getLogger(__name__)


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
    ) -> None:
        """`transport` sends one HTTP exchange (default: `transport.send` over the pooled session);
        tests and other clients pass their own instead of patching this module."""
        self.settings = settings
        self._send = transport
        self.retry = retry or RetryPolicy()
        self.recorder: Recorder = recorder or NullRecorder()
        self._session = get_session(settings.api_base_url)
        self._login_session = get_session(settings.login_base_url)
        self._pacer: Pacer | None = pacer_for(settings.client_id, settings.api_base_url) if pacing else None
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
        policy = self.retry
        started = policy.clock()
        url = self.settings.api_base_url + path
        attempt = 0
        throttled = 0  # attempts answered 429
        waited = 0.0  # seconds the server asked us to wait: Retry-After, its rate-limit window
        refused: str | None = None
        reauthenticated = False
        ambiguous_before = False
        while True:
            attempt += 1
            left = policy.remaining(started, waited)
            deadline = time.monotonic() + left
            read_timeout = max(0.1, min(self.settings.read_timeout, left))
            timeout = (min(self.settings.connect_timeout, read_timeout), read_timeout)
            # Pace first, then take the token: a wait for the pacer can outlast a short-lived token.
            ticket = None
            if self._pacer is not None:
                try:
                    ticket = self._pacer.acquire(on_wait=self.on_wait, deadline=deadline)
                except AnswerTimeout as exc:
                    raise TransportError(
                        f"{method} {path.split('?', 1)[0]} failed: the server did not answer ({exc})",
                        code="timeout",
                    ) from None
                waited += ticket.paced
            # Failures are handled after the `except` blocks: a raised error keeps no `__context__`
            # (a requests exception holds the request, whose headers carry credentials).
            token_error: ArchitectError | None = None
            try:
                token = auth.get_token(
                    self.settings,
                    self._login_session,
                    policy=policy,
                    recorder=self.recorder,
                    refused=refused,
                    deadline=deadline,
                )
            except ArchitectError as exc:
                token_error = exc
            except BaseException:
                if self._pacer is not None:
                    self._pacer.release(ticket, None)
                raise
            if token_error is not None:
                if self._pacer is not None:
                    self._pacer.release(ticket, None)
                decision = self._token_decision(token_error, attempt, started, throttled, waited)
                if not decision.retry:
                    raise _gave_up(token_error, attempt, policy.clock() - started)
                if token_error.status == 429:
                    throttled += 1
                    waited += decision.delay
                policy.sleep(decision.delay)
                continue
            sent_at = time.monotonic()
            send_error: TransportError | None = None
            try:
                result: HttpResult = self._send(
                    self._session,
                    method,
                    url,
                    timeout=timeout,
                    headers={"Authorization": f"Bearer {token}"},
                    params=params,
                    json_body=body,
                )
            except BaseException as exc:
                # Give the pacer its slot back whatever went wrong: a leaked in-flight slot would
                # shrink the bucket for good (and block every caller while the limit is unknown).
                if self._pacer is not None:
                    self._pacer.release(ticket, None)
                if not isinstance(exc, TransportError):
                    raise
                send_error = exc
            if send_error is not None:
                decision = policy.decide(
                    method=method,
                    attempt=attempt,
                    started=started,
                    transport_error=send_error.code or "connection",
                    ambiguous=send_error.ambiguous,
                    throttled=throttled,
                    waited=waited,
                )
                self.record(method, template, None, time.monotonic() - sent_at, attempt, decision, None)
                if not decision.retry:
                    raise _gave_up(send_error, attempt, policy.clock() - started)
                ambiguous_before = ambiguous_before or send_error.ambiguous
                policy.sleep(decision.delay)
                if decision.lookup_first and before_retry is not None:
                    found = before_retry()
                    if found is not None:
                        return Outcome(0, None, None, attempt, True, shortcut=found)
                continue

            if self._pacer is not None:
                self._pacer.release(ticket, result.headers, status=result.status)
            if result.correlation_id:
                self.last_correlation_id = result.correlation_id
            status = result.status
            if status in ok or status in handled:
                self.record(method, template, status, result.latency_s, attempt, None, result.correlation_id)
                return Outcome(status, result.body, result.correlation_id, attempt, ambiguous_before)

            if status == 401 and not reauthenticated:
                reauthenticated = True
                refused = token
                self.record(method, template, status, result.latency_s, attempt, "401", result.correlation_id)
                continue

            retry_after = parse_retry_after(result.headers.get("Retry-After"))
            if status == 429 and self._pacer is not None:
                self._pacer.throttled(retry_after)
            decision = policy.decide(
                method=method,
                attempt=attempt,
                started=started,
                status=status,
                retry_after=retry_after,
                throttled=throttled,
                waited=waited,
            )
            self.record(method, template, status, result.latency_s, attempt, decision, result.correlation_id)
            if not decision.retry:
                raise error_from_response(
                    status,
                    result.body,
                    method=method,
                    path=path.split("?", 1)[0],
                    correlation_id=result.correlation_id,
                    retry_after=retry_after,
                )
            if status == 429:
                throttled += 1
                waited += decision.delay
                self.on_wait(decision.delay, "retry-after")
            elif status >= 500 and method not in ("GET", "HEAD"):
                ambiguous_before = True
            policy.sleep(decision.delay)
            if decision.lookup_first and before_retry is not None:
                found = before_retry()
                if found is not None:
                    return Outcome(0, None, result.correlation_id, attempt, True, shortcut=found)

    def _token_decision(
        self, exc: ArchitectError, attempt: int, started: float, throttled: int, waited: float
    ) -> RetryDecision:
        """Whether a failed token request is retried: as any call, and always resendable (a token
        request creates nothing, so it never needs a look-up first)."""
        if isinstance(exc, TransportError):
            return self.retry.decide(
                method="POST",
                attempt=attempt,
                started=started,
                transport_error=exc.code or "connection",
                throttled=throttled,
                waited=waited,
                idempotent=True,
            )
        if exc.status is None:
            return RetryDecision(False)
        return self.retry.decide(
            method="POST",
            attempt=attempt,
            started=started,
            status=exc.status,
            retry_after=getattr(exc, "retry_after", None),
            throttled=throttled,
            waited=waited,
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
