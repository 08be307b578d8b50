"""A server that accepts connections and never answers: every waiting call fails within the call's
deadline, together, with a message saying the server did not answer (the bounds asserted are the
feature; they are generous against a slow machine)."""

from __future__ import annotations

import threading
import time

import pytest

from provider.errors import TransportError
from provider.platforms.architecture_api.client import ArchitectClient
from provider.platforms.http.retry import RetryPolicy
from provider.platforms.http.settings import ConnectionSettings
from tests.resilience.hung_server import HungServer

pytestmark = pytest.mark.slow  # every test waits out a deadline on a server that never answers

DEADLINE = 4.0
SLACK = 3.0
CALLERS = 6


def settings_for(url: str) -> ConnectionSettings:
    return ConnectionSettings.resolve(
        api_url=url, client_id="dev-rw", client_secret="dev-rw-demo-secret", env={}, read_timeout=1.5
    )


def run_callers(url: str) -> list[tuple[float, BaseException | None]]:
    """CALLERS threads listing flows at once; each one's (seconds until it returned, its error)."""
    policy = RetryPolicy(base_delay=0.05, max_delay=0.2, deadline_seconds=DEADLINE)
    client = ArchitectClient(settings_for(url), retry=policy)
    results: list[tuple[float, BaseException | None]] = []
    barrier = threading.Barrier(CALLERS)

    def call() -> None:
        barrier.wait()
        started = time.monotonic()
        try:
            client.list_flows()
            results.append((time.monotonic() - started, None))
        except BaseException as exc:  # reported below
            results.append((time.monotonic() - started, exc))

    threads = [threading.Thread(target=call) for _ in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DEADLINE * CALLERS + 30)
    return results


def test_default_deadline_is_60_seconds():
    assert RetryPolicy().deadline_seconds == 60.0


def test_hung_token_endpoint_fails_every_waiting_call_together():
    with HungServer() as server:
        results = run_callers(server.url)
        connections = server.connections
    assert len(results) == CALLERS
    for elapsed, error in results:
        assert isinstance(error, TransportError), error
        assert "the server did not answer" in str(error)
        assert elapsed <= DEADLINE + SLACK
    # the caller holding the pacer's probe names the token request; the others waited for it
    assert any("/oauth/token" in str(error) for _, error in results)
    # the callers shared each token attempt instead of queueing one behind another
    assert connections <= 3 * CALLERS


def test_hung_api_fails_every_waiting_call_together():
    with HungServer(answer_token=True) as server:
        results = run_callers(server.url)
    assert len(results) == CALLERS
    for elapsed, error in results:
        assert isinstance(error, TransportError), error
        assert "the server did not answer" in str(error) and "/api/v2/architect/flows" in str(error)
        assert elapsed <= DEADLINE + SLACK


@pytest.mark.parametrize("answer_token", [False, True])
def test_the_error_says_how_long_it_tried(answer_token):
    with HungServer(answer_token=answer_token) as server:
        client = ArchitectClient(
            settings_for(server.url), retry=RetryPolicy(base_delay=0.05, deadline_seconds=2.0)
        )
        with pytest.raises(TransportError) as info:
            client.list_flows()
    assert "gave up after" in str(info.value)


def test_waiters_share_the_one_token_request_and_its_failure():
    from provider.platforms.http.pool import ClientPool

    pool = ClientPool()
    errors: list[tuple[float, str]] = []
    with HungServer() as server:
        settings = settings_for(server.url)
        policy = RetryPolicy(deadline_seconds=DEADLINE)
        barrier = threading.Barrier(CALLERS)

        def fetch() -> None:
            barrier.wait()
            started = time.monotonic()
            try:
                pool.tokens.get(
                    settings, pool.session(settings.login_base_url), policy=policy, deadline=started + 1.0
                )
            except TransportError as exc:
                errors.append((time.monotonic() - started, str(exc)))

        threads = [threading.Thread(target=fetch) for _ in range(CALLERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        connections = server.connections
    assert connections == 1  # one request, not one per caller
    assert len(errors) == CALLERS and len({message for _, message in errors}) == 1
    assert "did not answer within 1 s" in errors[0][1]
    assert max(elapsed for elapsed, _ in errors) <= 1.0 + SLACK
