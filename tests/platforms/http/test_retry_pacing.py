"""Retry-policy decisions (fake clock and randomness) and the pacer's bookkeeping."""

from __future__ import annotations

import threading

import pytest

from provider.platforms.http import auth
from provider.platforms.http.pacing import Pacer, parse_headers
from provider.platforms.http.retry import RetryPolicy


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def policy(**kw) -> tuple[RetryPolicy, FakeClock]:
    clock = FakeClock()
    return RetryPolicy(sleep=clock.sleep, clock=clock, random=lambda: 1.0, **kw), clock


def test_429_honours_retry_after_exactly_and_never_retries_early():
    p, clock = policy(retry_after_cap=30)
    d = p.decide(method="POST", attempt=1, started=clock(), status=429, retry_after=7)
    assert d.retry and d.delay == 7 and d.reason == "429" and not d.lookup_first
    # beyond the cap: fail (with the server's Retry-After in the error), never retry before it
    d = p.decide(method="GET", attempt=1, started=clock(), status=429, retry_after=600)
    assert not d.retry and d.reason == "429"
    d = p.decide(method="GET", attempt=1, started=clock(), status=429)  # no header: backoff
    assert d.retry and d.delay == p.base_delay


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_5xx_retried_for_idempotent_methods(status, method):
    p, clock = policy()
    d = p.decide(method=method, attempt=1, started=clock(), status=status)
    assert d.retry and not d.lookup_first and d.reason == str(status)


def test_post_5xx_is_ambiguous_and_looks_up_first():
    p, clock = policy()
    d = p.decide(method="POST", attempt=1, started=clock(), status=500)
    assert d.retry and d.lookup_first


def test_501_and_4xx_never_retried():
    p, clock = policy()
    for status in (400, 401, 403, 404, 409, 410, 422, 501):
        assert not p.decide(method="GET", attempt=1, started=clock(), status=status).retry


def test_transport_errors():
    p, clock = policy()
    d = p.decide(method="POST", attempt=1, started=clock(), transport_error="connection", ambiguous=False)
    assert d.retry and not d.lookup_first  # never reached the server: a plain resend is safe
    d = p.decide(method="POST", attempt=1, started=clock(), transport_error="timeout", ambiguous=True)
    assert d.retry and d.lookup_first
    d = p.decide(method="PATCH", attempt=1, started=clock(), transport_error="connection", ambiguous=True)
    assert d.retry and not d.lookup_first


def test_exponential_backoff_with_full_jitter():
    clock = FakeClock()
    draws = iter([0.5, 0.5, 0.5, 0.5, 0.5, 0.5])
    p = RetryPolicy(base_delay=1, max_delay=5, random=lambda: next(draws), clock=clock, sleep=clock.sleep)
    assert [p.backoff(a) for a in range(1, 6)] == [0.5, 1.0, 2.0, 2.5, 2.5]
    p = RetryPolicy(base_delay=1, max_delay=5, random=lambda: 0.0)
    assert p.backoff(4) == 0.0  # full jitter reaches zero


def test_max_attempts_and_deadline():
    p, clock = policy(max_attempts=3)
    assert p.decide(method="GET", attempt=2, started=clock(), status=503).retry
    assert not p.decide(method="GET", attempt=3, started=clock(), status=503).retry
    p, clock = policy(deadline_seconds=10)
    started = clock()
    clock.now += 9.9
    assert not p.decide(method="GET", attempt=1, started=started, status=503).retry  # 9.9 + 0.2 > 10
    # waits the server asked for do not count against the deadline; 429s not against max_attempts
    assert p.decide(method="GET", attempt=1, started=started, status=429, retry_after=5).retry
    assert p.decide(method="GET", attempt=8, throttled=7, started=started, status=503, waited=5).retry
    clock.now += 1
    assert not p.decide(
        method="GET", attempt=9, throttled=8, started=started, status=429, retry_after=1
    ).retry


def test_token_refresh_margin():
    long = auth.Token(access_token="t", expires_in=3600, obtained_at=0)
    assert long.refresh_at == 3600 - 60
    short = auth.Token(access_token="t", expires_in=20, obtained_at=0)
    assert short.refresh_at == pytest.approx(18)
    assert "'t'" not in repr(long)


def test_parse_headers():
    assert parse_headers(
        {"inin-ratelimit-count": "3", "inin-ratelimit-allowed": "10", "inin-ratelimit-reset": "42"}
    ) == (
        parse_headers(
            {"ININ-RateLimit-Count": "3", "ININ-RateLimit-Allowed": "10", "ININ-RateLimit-Reset": "42"}
        )
    )
    info = parse_headers(
        {"inin-ratelimit-count": "3", "inin-ratelimit-allowed": "10", "inin-ratelimit-reset": "42"}
    )
    assert info is not None and (info.count, info.allowed, info.reset) == (3, 10, 42)
    assert parse_headers({"inin-ratelimit-count": "x"}) is None
    assert parse_headers({}) is None


def headers(count: int, allowed: int, reset: float) -> dict[str, str]:
    return {
        "inin-ratelimit-count": str(count),
        "inin-ratelimit-allowed": str(allowed),
        "inin-ratelimit-reset": str(reset),
    }


def test_pacer_tracks_the_window_from_headers():
    clock = FakeClock()
    pacer = Pacer(clock=clock, margin=0)
    probe = pacer.acquire()  # the probe goes out alone
    pacer.release(probe, headers(1, 5, 60))
    assert (pacer.allowed, pacer.remaining) == (5, 4)
    assert pacer.window_end == clock() + 60
    for used in range(2, 6):
        ticket = pacer.acquire()
        pacer.release(ticket, headers(used, 5, 60))
    assert pacer.remaining == 0
    # once the window has ended the bucket is full again
    clock.now += 61
    ticket = pacer.acquire()
    assert pacer.remaining == 4 and ticket.epoch == pacer.epoch


def test_pacer_counts_in_flight_requests_as_spent_and_ignores_reordering():
    clock = FakeClock()
    pacer = Pacer(clock=clock, margin=0)
    pacer.release(pacer.acquire(), headers(1, 4, 60))
    a, b = pacer.acquire(), pacer.acquire()
    # b's answer (count 3) arrives while a is still in flight: 1 left at most
    pacer.release(b, headers(3, 4, 60))
    assert pacer.remaining == 0
    # a's answer arrives late with a lower count: still the same window (no refill)
    pacer.release(a, headers(2, 4, 60))
    assert pacer.remaining == 1


def test_pacer_counts_stragglers_at_refill():
    clock = FakeClock()
    pacer = Pacer(clock=clock, margin=0)
    pacer.release(pacer.acquire(), headers(1, 3, 10))
    late = [pacer.acquire(), pacer.acquire()]
    assert pacer.remaining == 0
    clock.now += 10
    # the window ended with two requests still in flight: they may land in the new window
    fresh = pacer.acquire()
    assert fresh.epoch == late[0].epoch + 1
    assert pacer.remaining == 0  # 3 allowed - 2 in flight - 1 taken
    pacer.release(late[0], headers(1, 3, 10))  # an old-epoch answer does not touch the new window
    assert pacer.remaining == 0


def test_pacer_probe_serialises_until_the_first_answer_and_unlimited_without_headers():
    pacer = Pacer()
    probe = pacer.acquire()
    got = threading.Event()

    def second() -> None:
        pacer.acquire()
        got.set()

    thread = threading.Thread(target=second)
    thread.start()
    assert not got.wait(0.05)  # the second caller waits for the probe's answer
    pacer.release(probe, {}, status=200)  # no rate-limit headers: nothing to pace
    thread.join(5)
    assert got.is_set() and pacer.unlimited


def test_pacer_after_429_waits_for_retry_after():
    clock = FakeClock()
    pacer = Pacer(clock=clock, margin=0)
    pacer.release(pacer.acquire(), headers(1, 100, 60))
    ticket = pacer.acquire()
    pacer.release(ticket, headers(100, 100, 30), status=429)
    pacer.throttled(30)
    assert pacer.remaining == 0 and pacer.window_end == clock() + 30


def test_parse_retry_after():
    from provider.platforms.http.retry import parse_retry_after

    assert parse_retry_after(None) is None
    assert parse_retry_after("3") == 3.0 and parse_retry_after("1.5") == 1.5
    assert parse_retry_after("-2") == 0.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") is None
    # A non-finite value would park the pacer forever (`window_end = now + inf`).
    assert parse_retry_after("inf") is None and parse_retry_after("nan") is None
