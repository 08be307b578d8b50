"""Waiting for the platform's asynchronous work (jobs, check-in/publish operations, export jobs):
a backoff that starts fast, because most jobs finish in well under a second, and caps, because a
slow one should not cost a request every quarter second — instead of CX-as-Code's fixed 15 s sleep.
Pure: the clock and the sleep are injected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


class PollTimeout(TimeoutError):
    """The overall deadline passed before the work finished (`last` holds the last answer)."""

    def __init__(self, message: str, last: object = None) -> None:
        super().__init__(message)
        self.last = last


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
    backoff: Backoff,
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
