"""Tokens against the real emulator: one per client pool and OAuth client, refreshed before expiry,
recovered after a revocation."""

from __future__ import annotations

import pytest

from provider.platforms.architecture_api.client import ArchitectClient
from provider.platforms.http.pool import ClientPool
from tests.support.client import FLOW, FLOWS, api_calls, in_threads, simple


def test_one_token_for_100_calls_across_threads_and_clients(make_client, emulator):
    flow = make_client().create_flow(simple("Shared"))

    def worker() -> None:
        client = make_client()  # a new client object each thread: the cache is the pool's
        for _ in range(11):
            client.get_flow(flow.id)

    assert in_threads(worker, [()] * 9) == []
    stats = emulator.admin.stats()
    assert api_calls(stats) == {("POST", FLOWS, 201): 1, ("GET", FLOW, 200): 99}
    assert stats["token_requests"] == 1


@pytest.mark.slow
def test_pacing_waits_longer_than_a_token_lives_never_send_an_expired_token(make_client, emulator):
    # Regression: the client took its token before waiting for the pacer, so with 2 s tokens and
    # a limit of 4 requests per 2 s, a token could expire during the wait (5 of 9 creates failed).
    emulator.admin.set_token_lifetime(2)
    emulator.admin.set_rate_limit(4, window_seconds=2)

    def create(i: int) -> None:
        make_client().create_flow(simple(f"Paced {i}"))

    assert in_threads(create, [(i,) for i in range(9)]) == []
    stats = emulator.admin.stats()
    assert api_calls(stats) == {("POST", FLOWS, 201): 9}  # no 401, no 429
    assert stats["token_requests"] >= 2  # the run outlasted the first token


def test_each_client_id_and_api_gets_its_own_token(make_client, emulator):
    make_client("dev-rw").list_flows()
    make_client("dev-ro").list_flows()
    make_client("dev-rw").list_flows()
    assert emulator.admin.stats()["token_requests"] == 2


def test_clients_of_separate_pools_fetch_their_own_tokens(make_client, emulator):
    make_client(pool=ClientPool()).list_flows()
    make_client(pool=ClientPool()).list_flows()
    assert emulator.admin.stats()["token_requests"] == 2


def test_refresh_before_expiry(make_client, emulator):
    emulator.admin.set_token_lifetime(100)
    now = [1000.0]
    pool = ClientPool(clock=lambda: now[0])
    client = make_client(pool=pool)
    client.list_flows()
    token = pool.tokens.cached(client.settings)
    assert token is not None and token.expires_in == 100
    now[0] += 89  # margin = min(60 s, 10% of 100 s) = 10 s: still fresh at 89 s
    client.list_flows()
    assert emulator.admin.stats()["token_requests"] == 1
    now[0] += 2  # 91 s: within the margin, refreshed before it expires
    client.list_flows()
    stats = emulator.admin.stats()
    assert stats["token_requests"] == 2
    assert api_calls(stats) == {("GET", FLOWS, 200): 3}  # no 401 on the way


def test_401_after_revocation_one_refresh_one_retry(make_client, emulator, recorder):
    client = make_client()
    flow = client.create_flow(simple("Revoked"))
    assert emulator.admin.revoke_tokens("dev-rw") >= 1
    assert client.get_flow(flow.id).id == flow.id
    stats = emulator.admin.stats()
    assert stats["token_requests"] == 2
    assert api_calls(stats) == {("POST", FLOWS, 201): 1, ("GET", FLOW, 401): 1, ("GET", FLOW, 200): 1}
    retried = [r for r in recorder.requests if r.status == 401]
    assert len(retried) == 1 and retried[0].retry_reason == "401"


def test_concurrent_401s_refresh_once(make_client, emulator):
    client = make_client()
    flow = client.create_flow(simple("Herd"))
    emulator.admin.revoke_tokens("dev-rw")
    assert in_threads(lambda: client.get_flow(flow.id), [()] * 6, together=True) == []
    # however many 401s came back, the refused token was replaced once
    assert emulator.admin.stats()["token_requests"] == 2


def test_token_never_in_errors_or_events(make_client, emulator, recorder, pool):
    client: ArchitectClient = make_client()
    client.list_flows()
    token = pool.tokens.cached(client.settings)
    assert token is not None
    assert token.access_token not in repr(token)
    for event in recorder.requests:
        assert token.access_token not in repr(event)


def test_transport_errors_keep_no_chained_request_holding_credentials():
    import base64
    import socket
    import traceback

    import pytest

    from provider.errors import TransportError
    from provider.platforms.http.settings import ConnectionSettings
    from tests.support.client import fast_policy

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again below: nothing listens there
    secret = "transport-secret-value"
    settings = ConnectionSettings.resolve(
        api_url=f"http://127.0.0.1:{port}", client_id="dev-rw", client_secret=secret, env={}
    )
    client = ArchitectClient(settings, retry=fast_policy(max_attempts=1))
    with pytest.raises(TransportError) as info:
        client.list_flows()
    err = info.value
    assert err.__context__ is None and err.__cause__ is None
    rendered = "".join(traceback.format_exception(err, chain=True)) + repr(err) + str(err)
    assert secret not in rendered
    assert base64.b64encode(f"dev-rw:{secret}".encode()).decode() not in rendered
