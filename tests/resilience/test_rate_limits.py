"""429s: `Retry-After` honoured exactly (never earlier, no longer), the bucket paced from the
rate-limit headers only, 429s outside `max_attempts` and the deadline — so a 429 storm completes in
about the time the server asked us to wait."""

from __future__ import annotations

import threading
import time

import pytest

from provider.platforms.architecture_api.client import ArchitectClient
from provider.platforms.http.pacing import Pacer
from provider.platforms.http.recorder import ListRecorder
from provider.platforms.http.retry import RetryPolicy
from provider.platforms.http.settings import ConnectionSettings


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def headers(count: int, allowed: int, reset: float) -> dict[str, str]:
    return {
        "inin-ratelimit-count": str(count),
        "inin-ratelimit-allowed": str(allowed),
        "inin-ratelimit-reset": str(reset),
    }


def known_pacer(clock: FakeClock, allowed: int = 100, reset: float = 60) -> Pacer:
    pacer = Pacer(clock=clock, margin=0)
    pacer.release(pacer.acquire(), headers(1, allowed, reset), status=200)
    return pacer


# -- the pacer ---------------------------------------------------------------------------------------


def test_a_429_without_rate_limit_headers_costs_its_retry_after_not_the_window():
    clock = FakeClock()
    pacer = known_pacer(clock)
    window_end, remaining = pacer.window_end, pacer.remaining
    ticket = pacer.acquire()
    pacer.release(ticket, {}, status=429)
    pacer.throttled(1.0)
    assert pacer.blocked_until == clock() + 1.0
    assert (pacer.window_end, pacer.remaining) == (window_end, remaining - 1)  # the bucket is untouched
    clock.now += 1.0
    pacer.acquire()  # no wait: the Retry-After has passed and the window still has room


def test_a_429_with_rate_limit_headers_paces_from_them():
    clock = FakeClock()
    pacer = known_pacer(clock, allowed=5, reset=60)
    ticket = pacer.acquire()
    pacer.release(ticket, headers(5, 5, 12), status=429)
    pacer.throttled(12)
    assert pacer.remaining == 0 and pacer.window_end == clock() + 12 == pacer.blocked_until


def test_the_longest_retry_after_wins():
    clock = FakeClock()
    pacer = known_pacer(clock)
    pacer.throttled(5)
    pacer.throttled(1)
    assert pacer.blocked_until == clock() + 5


def test_retry_after_holds_every_caller_exactly_that_long():
    pacer = Pacer(margin=0)
    pacer.release(pacer.acquire(), {}, status=200)  # no rate-limit headers: nothing else to pace
    waits: list[float] = []
    pacer.throttled(0.3)
    started = time.monotonic()
    threads = [threading.Thread(target=lambda: pacer.acquire(on_wait=lambda s, _r: waits.append(s)))]
    for thread in threads:
        thread.start()
    pacer.acquire()
    for thread in threads:
        thread.join(5)
    assert time.monotonic() - started >= 0.3  # never earlier than asked


# -- the policy --------------------------------------------------------------------------------------


def test_many_429s_do_not_exhaust_the_attempts_of_a_call():
    clock = FakeClock()
    policy = RetryPolicy(clock=clock, sleep=clock.sleep, random=lambda: 1.0, deadline_seconds=60)
    started = clock()
    waited = 0.0
    for attempt in range(1, 40):  # 39 consecutive 429s, 1 s each, as a storm can send
        decision = policy.decide(
            method="POST", attempt=attempt, started=started, status=429, retry_after=1,
            throttled=attempt - 1, waited=waited,
        )  # fmt: skip
        assert decision.retry and decision.delay == 1 and not decision.lookup_first
        clock.sleep(decision.delay)
        waited += decision.delay
    # then a 503: the first real failure of the call, with all of its deadline left
    decision = policy.decide(
        method="GET", attempt=40, started=started, status=503, throttled=39, waited=waited
    )
    assert decision.retry


def test_a_retry_after_beyond_the_cap_fails_rather_than_retrying_early():
    policy = RetryPolicy(retry_after_cap=60)
    assert not policy.decide(
        method="GET", attempt=1, started=policy.clock(), status=429, retry_after=3600
    ).retry


# -- against the emulator: a 429 storm -------------------------------------------------------------

CALLS = 8


@pytest.mark.slow
def test_a_429_storm_completes_in_about_the_time_the_server_asked_for(emulator):
    """60% of the API calls answered 429 with `Retry-After: 1` and no rate-limit headers."""
    settings = ConnectionSettings.resolve(
        api_url=emulator.url, client_id="dev-rw", client_secret="dev-rw-demo-secret", env={}
    )
    recorder = ListRecorder()
    client = ArchitectClient(settings, recorder=recorder)  # the default policy
    client.list_flows()  # a token and the pacer's first answer before the storm
    emulator.admin.set_faults(error_rate=0.6, statuses=[429], seed=13)
    started = time.monotonic()
    for _ in range(CALLS):
        client.list_flows()
    wall = time.monotonic() - started
    storm = recorder.requests[-CALLS:]  # not all: count the 429s directly
    throttled = sum(1 for event in recorder.requests if event.status == 429)
    asked = throttled * 1.0  # each 429 asked for 1 s
    print(f"{CALLS} calls, {throttled} x 429: wall {wall:.1f} s for {asked:.0f} s asked")
    assert storm and throttled > 0
    assert asked <= wall <= asked + 0.5 * CALLS + 2.0
