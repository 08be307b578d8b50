"""One retry policy for every call: what to retry, how long to wait, when to give up.

- 429: always retried (the request was not processed), waiting exactly `Retry-After` (or the
  backoff when the header is missing). A 429 is the server pacing us, not a failure: it does not
  count towards `max_attempts` nor its waits towards the deadline (`max_throttled` bounds them).
  A `Retry-After` beyond `retry_after_cap` is not retried early: the call fails saying so.
- 5xx except 501, connection errors and timeouts: retried with exponential backoff and full jitter.
- GET, PATCH (it carries `_version`, so a replay is safe) and DELETE retry freely. A POST that failed
  *ambiguously* (it may have been applied: a dropped connection after sending, a read timeout, a 5xx)
  is retried only by a caller that first looks the flow up (`RetryDecision.lookup_first`); a POST
  that surely never reached the server (connection refused, connect timeout) is retried plainly.
- Every call has an overall deadline (60 s by default: a server that does not answer fails the call
  within it), not counting the waits the server asked for; attempts stop when the next wait would
  pass it (and each attempt's read timeout is cut to what is left: `remaining`).
"""

from __future__ import annotations

import math
import random as _random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PATCH", "DELETE", "PUT"})


@dataclass(frozen=True)
class RetryDecision:
    retry: bool
    delay: float = 0.0
    reason: str | None = None
    #: For a POST: the request may have been applied; look the result up before sending it again.
    lookup_first: bool = False


@dataclass
class RetryPolicy:
    max_attempts: int = 6
    base_delay: float = 0.2
    max_delay: float = 10.0
    retry_after_cap: float = 60.0
    deadline_seconds: float = 60.0
    #: 429s one call may receive (each waited out as asked) before it gives up.
    max_throttled: int = 100
    #: Rounds of 409 `general.resource.conflict` resolution in one update.
    max_conflict_rounds: int = 5
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    random: Callable[[], float] = field(default=_random.random, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(max_delay, base_delay * 2**(attempt-1))]."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** max(0, attempt - 1)))
        return self.random() * ceiling

    def decide(
        self,
        *,
        method: str,
        attempt: int,
        started: float,
        status: int | None = None,
        retry_after: float | None = None,
        transport_error: str | None = None,
        ambiguous: bool = False,
        throttled: int = 0,
        waited: float = 0.0,
        idempotent: bool | None = None,
    ) -> RetryDecision:
        """Whether attempt number `attempt` (1-based, just failed) should be followed by another.

        Pass `status` for an HTTP response, or `transport_error` (a short reason such as "timeout" or
        "connection") with `ambiguous` telling whether the request may have reached the server.
        `throttled` counts the earlier attempts answered 429 and `waited` the seconds the server
        asked us to wait so far (neither counts against `max_attempts` or the deadline);
        `idempotent` overrides the method's (a token request creates nothing: always resendable).
        """
        method = method.upper()
        repeatable = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        failures = attempt - throttled  # attempts that failed for another reason than a 429
        if status == 429:
            if retry_after is not None and retry_after > self.retry_after_cap:
                return RetryDecision(False, reason="429")
            asked = retry_after is not None
            delay = float(retry_after) if asked and retry_after is not None else self.backoff(throttled + 1)
            if throttled + 1 >= self.max_throttled:
                return RetryDecision(False, reason="429")
            spent = self.clock() - started - waited + (0.0 if asked else delay)
            if spent > self.deadline_seconds:
                return RetryDecision(False, reason="429")
            return RetryDecision(True, delay=delay, reason="429")
        if status is not None:
            if status >= 500 and status != 501:
                reason = str(status)
                delay = self.backoff(failures)
                lookup = not repeatable
            else:
                return RetryDecision(False)
        elif transport_error == "dns":
            return RetryDecision(False, reason="dns")  # an unknown host stays unknown: fail fast
        elif transport_error is not None:
            reason = transport_error
            delay = self.backoff(failures)
            lookup = ambiguous and not repeatable
        else:
            return RetryDecision(False)

        if failures >= self.max_attempts:
            return RetryDecision(False, reason=reason)
        if self.remaining(started, waited) - delay < 0:
            return RetryDecision(False, reason=reason)
        return RetryDecision(True, delay=delay, reason=reason, lookup_first=lookup)

    def remaining(self, started: float, waited: float = 0.0) -> float:
        """Seconds left of the call's deadline (the server's requested waits not counted)."""
        return self.deadline_seconds - (self.clock() - started - waited)


def parse_retry_after(value: str | None) -> float | None:
    """The seconds of a `Retry-After` header (None when absent or not a finite number; never negative)."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(0.0, seconds) if math.isfinite(seconds) else None
