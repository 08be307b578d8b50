"""Waiting for the platform's asynchronous work (jobs, check-in/publish operations, export jobs):
a backoff that starts fast, because most jobs finish in well under a second, and caps, because a
slow one should not cost a request every quarter second — instead of CX-as-Code's fixed 15 s sleep.
Pure: the clock and the sleep are injected.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol, TypeVar

T = TypeVar("T")


class PollTimeout(TimeoutError):
    """The overall deadline passed before the work finished (`last` holds the last answer)."""

    def __init__(self, message: str, last: object = None) -> None:
        super().__init__(message)
        self.last = last


class Delays(Protocol):
    def delays(self) -> Iterator[float]: ...


@dataclass(frozen=True)
class Backoff:
    initial_s: float = 0.2
    max_s: float = 5.0
    factor: float = 1.6

    def delays(self) -> Iterator[float]:
        """initial, initial×factor, … capped at max_s, forever."""
        delay = self.initial_s
        while True:
            yield min(delay, self.max_s)
            delay = min(delay * self.factor, self.max_s)


def poll(
    fetch: Callable[[], T],
    done: Callable[[T], bool],
    *,
    backoff: Delays,
    timeout_s: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    what: str,
    first_delay: bool = True,
) -> T:
    """Call `fetch` until `done(answer)`; sleep per the backoff between calls (and before the first
    when `first_delay`: asynchronous work is never done the instant it was started). The last sleep
    is shortened to the deadline so the final check happens at it, not after it."""
    deadline = clock() + timeout_s
    delays = backoff.delays()
    last: T | None = None
    if not first_delay:
        last = fetch()
        if done(last):
            return last
    while True:
        remaining = deadline - clock()
        if remaining <= 0:
            raise PollTimeout(f"{what}: not finished after {timeout_s:g} s", last)
        sleep(min(next(delays), remaining))
        last = fetch()
        if done(last):
            return last


class JobTimer:
    """When to poll jobs of one kind, learnt from the jobs seen (thread-safe): the first poll comes
    at an estimate of the `target` quantile of the job's duration, so that most jobs cost one status
    call and the rest one or two more — the rate limit is spent on writes, not on "still running".

    The estimate is tracked by stochastic approximation on what the first poll found (finished:
    a little shorter next time; unfinished: longer, and at least the longest time a job was seen
    still running), which converges to the quantile without knowing the durations exactly. Until a
    job has finished, polls grow fast (×`cold_factor` from the backoff's first delay, and never
    before the longest age at which another job was still running); the first job seen finished
    sets the estimate to when it was seen done, and jobs still in flight then wait for it. Later
    polls of a job come at a quarter of the estimate, growing by the backoff's factor, capped at
    its `max_s`."""

    def __init__(
        self, backoff: Backoff, *, target: float = 0.8, rate: float = 0.15, cold_factor: float = 2.5
    ) -> None:
        self.backoff = backoff
        self.target = target
        self.rate = rate
        self.cold_factor = cold_factor
        self._first = backoff.initial_s
        self.seen = False
        #: The longest any job was seen still running before the first finished (cold start).
        self.running_at = 0.0
        #: Jobs being waited for: each finished one moves the estimate by `rate / √in_flight`, so
        #: that many jobs started on one estimate (finishing together) do not compound their step.
        self.in_flight = 0
        self._lock = threading.Lock()

    @property
    def first_delay(self) -> float:
        return self._first

    def wait(self) -> JobWait:
        with self._lock:
            self.in_flight += 1
        return JobWait(self)

    def _running(self, age: float) -> None:
        """A job was still running at `age` (cold: the next jobs' first polls wait at least that)."""
        with self._lock:  # read-modify-write from every waiting thread
            if not self.seen:
                self.running_at = max(self.running_at, age)

    def _closed(self) -> None:
        with self._lock:
            self.in_flight = max(0, self.in_flight - 1)

    def observe(self, learnt: bool, first_hit: bool, longest_unfinished: float, done_at: float) -> None:
        with self._lock:
            if not self.seen:
                self.seen = True
                self._first = done_at  # an upper bound: the first to finish is a short one
            elif not learnt:
                return  # a job started cold says nothing about the estimate's first poll
            else:
                rate = self.rate / math.sqrt(max(1, self.in_flight))
                if first_hit:
                    self._first *= math.exp(-rate * (1 - self.target))
                else:
                    self._first = max(self._first * math.exp(rate * self.target), longest_unfinished)
            self._first = min(max(self._first, 0.05), self.backoff.max_s * 4)


class JobWait:
    """The delays of one job's polls (`Backoff`-like, for `poll`); `done` reports to the timer."""

    def __init__(self, timer: JobTimer) -> None:
        self.timer = timer
        self.closed = False
        self.learnt = timer.seen
        self.polls = 0
        self.elapsed = 0.0
        self._unfinished = 0.0

    def delays(self) -> Iterator[float]:
        timer = self.timer
        if not self.learnt:  # cold: fast growth, until the estimate of a finished job is there
            delay = timer.backoff.initial_s
            while not timer.seen:
                # Another job still running at that age: this one most likely is too.
                ahead = timer.running_at - self.elapsed
                yield self._step(min(max(delay, ahead + delay / 4), timer.backoff.max_s))
                delay *= timer.cold_factor
        first = timer.first_delay
        if self.elapsed < first:
            yield self._step(first - self.elapsed)
        delay = max(first / 4, timer.backoff.initial_s)
        while True:
            yield self._step(min(delay, timer.backoff.max_s))
            delay *= timer.backoff.factor

    def _step(self, delay: float) -> float:
        if self.polls:
            self._unfinished = self.elapsed  # asked again: the previous poll found it running
            self.timer._running(self.elapsed)
        self.polls += 1
        self.elapsed += delay
        return delay

    def done(self) -> None:
        """The job finished (after `poll` returned): what its polls found teaches the timer."""
        if not self.closed:
            self.timer.observe(self.learnt, self.polls <= 1, self._unfinished, self.elapsed)
        self.close()

    def close(self) -> None:
        """No longer waited for (finished, failed or timed out); idempotent."""
        if not self.closed:
            self.closed = True
            self.timer._closed()
