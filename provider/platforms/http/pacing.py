"""Client-side pacing: a token bucket fed by the `inin-ratelimit-*` headers, shared by all threads.

The API limits each access token to `allowed` requests per fixed window and reports, on every
counted response, how many were used (`count`) and how long until the window resets (`reset`). The
bucket holds the requests we may still send in the current window: it is refilled to `allowed` when
the window resets and re-synchronised from every response's headers, counting requests still in
flight as spent. A caller takes a token before sending; with none left it waits for the reset. So a
steady stream of calls from many threads stays under the limit instead of running into 429s, and a
burst is served at the full allowed rate.

Before the first response the limit is unknown: one request at a time goes out as a probe.

A 429's `Retry-After` holds every caller until that moment, exactly (`throttled`); it does not empty
the bucket: only the rate-limit headers say how much of the window is used (a 429 that carries them
does, through `release`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

HEADER_COUNT = "inin-ratelimit-count"
HEADER_ALLOWED = "inin-ratelimit-allowed"
HEADER_RESET = "inin-ratelimit-reset"


@dataclass(frozen=True)
class RateLimitInfo:
    count: int
    allowed: int
    reset: float


def parse_headers(headers: Mapping[str, str]) -> RateLimitInfo | None:
    """The rate-limit headers of a response (`None` when absent or malformed). Case-insensitive."""
    lowered = {k.lower(): v for k, v in headers.items()} if not hasattr(headers, "lower_items") else headers
    try:
        count = lowered.get(HEADER_COUNT)
        allowed = lowered.get(HEADER_ALLOWED)
        reset = lowered.get(HEADER_RESET)
        if count is None or allowed is None or reset is None:
            return None
        return RateLimitInfo(
            count=int(float(count)), allowed=int(float(allowed)), reset=max(0.0, float(reset))
        )
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Ticket:
    """One request's permission to go: the bucket epoch (window) it was taken in, and when."""

    epoch: int
    sent_at: float
    #: Seconds waited because the server asked (its window was spent, or a 429's Retry-After).
    paced: float = 0.0


class AnswerTimeout(TimeoutError):
    """`acquire` gave up waiting for the probe's answer: the server is not answering."""


class Pacer:
    """The shared bucket for one access-token identity (client id and API base URL).

    The server's window is only known through the headers, so the pacer keeps bounds: `window_end`
    is an upper bound of the current window's end (a response's receive time plus its `reset`, which
    the server rounds up), so refilling after it never sends into a window that is still full. A
    response counts only for the epoch (window) its request was taken in: answers arrive out of
    order, and a request sent just before a window ends may be counted in the next one, so at each
    refill such possible stragglers are counted as spent.
    """

    def __init__(
        self,
        *,
        margin: float = 0.01,
        clock: Callable[[], float] = time.monotonic,
        on_wait: Callable[[float, str], None] | None = None,
    ) -> None:
        self._cond = threading.Condition()
        self._clock = clock
        self._margin = margin  # extra wait after the window's end, against clock granularity
        self.on_wait = on_wait
        self.unlimited = False  # responses carry no rate-limit headers: nothing to pace
        self.allowed: int | None = None
        self.epoch = 0
        self.remaining = 0
        self.window_end = 0.0  # upper bound of the current window's end (monotonic)
        self.window_end_known = False  # set by the first answer of the epoch
        self.lower_end = float("-inf")  # lower bound of the current window's end
        self.max_count = 0  # highest count answered for this epoch's requests
        self.inflight = 0
        self.window_length = 1.0  # the longest `reset` seen: the window's length, rounded up
        self._sends: list[float] = []  # send times of this epoch's requests
        self.blocked_until = float("-inf")  # no request before this moment (a 429's Retry-After)

    def acquire(
        self, on_wait: Callable[[float, str], None] | None = None, *, deadline: float | None = None
    ) -> Ticket:
        """Take a token, blocking while none is left in the current window or a 429's `Retry-After`
        has not passed. Waiting for the probe's answer stops at `deadline` (this pacer's clock) with
        `AnswerTimeout`: that wait is on a server that has not answered, not one that asked us to."""
        waited = 0.0
        paced = 0.0
        with self._cond:
            while True:
                now = self._clock()
                asked = True  # this wait is one the server asked for
                if now < self.blocked_until:
                    delay = self.blocked_until - now
                elif self.unlimited:
                    break
                elif self.allowed is None:
                    if self.inflight == 0:
                        break  # the probe
                    if deadline is not None and now >= deadline:
                        raise AnswerTimeout(
                            f"waited {waited:.0f} s for the server to answer an earlier request"
                        )
                    delay = 0.5 if deadline is None else max(0.001, min(0.5, deadline - now))
                    asked = False
                else:
                    if now >= self.window_end + self._margin:
                        self._refill(now)
                    if self.remaining > 0:
                        self.remaining -= 1
                        break
                    delay = max(0.001, self.window_end + self._margin - now)
                start = self._clock()
                self._cond.wait(timeout=delay)
                waited += self._clock() - start
                if asked:
                    paced += self._clock() - start
            now = self._clock()
            self.inflight += 1
            self._sends.append(now)
            ticket = Ticket(self.epoch, now, paced)
        if waited > 0:
            callback = on_wait or self.on_wait
            if callback is not None:
                callback(waited, "pacing")
        return ticket

    def _refill(self, now: float) -> None:
        assert self.allowed is not None
        # Requests that may be counted in the new window: the ones still in flight, and the answered
        # ones sent after the earliest moment the old window could have ended.
        if now >= self.window_end + self.window_length:
            stragglers = self.inflight  # idle for a whole window: any straggler's window is over too
        elif not self.window_end_known:
            stragglers = self.inflight + len(self._sends)
        else:
            stragglers = self.inflight + sum(1 for t in self._sends if t >= self.lower_end)
        self.epoch += 1
        self.remaining = max(0, self.allowed - stragglers)
        self.max_count = 0
        self.window_end = now + self.window_length  # a guess until this epoch's first answer
        self.window_end_known = False
        self.lower_end = float("-inf")
        self._sends = []

    def release(
        self, ticket: Ticket | None, headers: Mapping[str, str] | None, *, status: int | None = None
    ) -> None:
        """Give back the in-flight slot and re-synchronise the bucket from the response's headers."""
        info = parse_headers(headers) if headers is not None else None
        with self._cond:
            self.inflight = max(0, self.inflight - 1)
            now = self._clock()
            if info is not None and info.allowed > 0:
                self.unlimited = False
                self.window_length = max(self.window_length, info.reset)
                if self.allowed is None:  # the probe's answer
                    self.allowed = info.allowed
                    self.epoch += 1
                    self._sends = [] if ticket is None else [ticket.sent_at]
                    ticket = Ticket(self.epoch, ticket.sent_at if ticket else now)
                    self.remaining = info.allowed
                self.allowed = info.allowed
                if ticket is not None and ticket.epoch == self.epoch:
                    high = now + info.reset
                    low = ticket.sent_at + info.reset - 1
                    if status == 429:
                        self.window_end = high
                        self.window_end_known = True
                        self.remaining = 0
                    else:
                        self.window_end = high if not self.window_end_known else min(self.window_end, high)
                        self.window_end_known = True
                        self.lower_end = max(self.lower_end, low)
                        self.max_count = max(self.max_count, info.count)
                        # Our requests still in flight may or may not be in `count`: count them as spent.
                        self.remaining = max(0, self.allowed - self.max_count - self.inflight)
            elif info is None and self.allowed is None and status is not None and 200 <= status < 300:
                self.unlimited = True  # an answer without rate-limit headers: nothing to pace
            self._cond.notify_all()

    def throttled(self, retry_after: float | None) -> None:
        """A 429 arrived: no caller sends before `retry_after` seconds from now (exactly that: the
        bucket itself is only re-synchronised from rate-limit headers, in `release`)."""
        with self._cond:
            if retry_after is not None:
                self.blocked_until = max(self.blocked_until, self._clock() + retry_after)
            self._cond.notify_all()
