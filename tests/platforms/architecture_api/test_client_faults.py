"""Faults against the real emulator: 5xx, dropped connections (before and after the write), 429 with
Retry-After, pacing under a low limit, and no duplicate after an ambiguous create."""

from __future__ import annotations

import pytest

from provider.domain.blocks import Block
from provider.errors import ConflictError, ServerError
from tests.support.client import FLOW, FLOWS, VERSION, SleepSpy, api_calls, fast_policy, in_threads, simple


def test_5xx_on_reads_recovered(client, emulator, recorder):
    flow = client.create_flow(simple("Flaky"))
    emulator.admin.set_faults(error_rate=1.0, statuses=[503, 500], methods=["GET"], max_faults=2, seed=7)
    assert client.get_flow(flow.id).id == flow.id
    stats = api_calls(emulator.admin.stats())
    assert stats[("GET", FLOW, 200)] == 1
    assert sum(c for (m, p, s), c in stats.items() if m == "GET" and s >= 500) == 2
    reasons = [r.retry_reason for r in recorder.requests if r.path_template == FLOW]
    assert reasons[:2] != [None, None] and reasons[-1] is None
    assert [r.attempt for r in recorder.requests if r.path_template == FLOW] == [1, 2, 3]


def test_5xx_on_patch_and_delete_recovered(client, emulator):
    flow = client.create_flow(simple("Flaky writes"))
    emulator.admin.set_faults(error_rate=1.0, statuses=[500], methods=["PATCH"], max_faults=1)
    updated = client.update_flow(flow.id, flow.to_fields().model_copy(update={"description": "x"}), base=flow)
    assert updated.version == 2
    emulator.admin.set_faults(error_rate=1.0, statuses=[502], methods=["DELETE"], max_faults=1)
    client.delete_flow(flow.id)
    stats = api_calls(emulator.admin.stats())
    assert stats[("PATCH", FLOW, 500)] == 1 and stats[("PATCH", FLOW, 200)] == 1
    assert stats[("DELETE", FLOW, 502)] == 1 and stats[("DELETE", FLOW, 204)] == 1


def test_501_is_not_retried(client, emulator):
    emulator.admin.set_faults(error_rate=1.0, statuses=[501], methods=["GET"], max_faults=1)
    with pytest.raises(ServerError) as info:
        client.list_flows()
    assert info.value.status == 501 and info.value.correlation_id
    assert emulator.admin.stats()["total_requests"] == 2  # the token and the one GET


def test_persistent_5xx_gives_up_with_a_server_error(make_client, emulator):
    client = make_client(retry=fast_policy(max_attempts=3))
    emulator.admin.set_faults(error_rate=1.0, statuses=[503], methods=["GET"])
    with pytest.raises(ServerError) as info:
        client.list_flows()
    assert info.value.code == "service.unavailable"
    assert api_calls(emulator.admin.stats()) == {("GET", FLOWS, 503): 3}


def test_dropped_connections_recovered(client, emulator):
    flow = client.create_flow(simple("Dropped"))
    emulator.admin.set_faults(drop_rate=1.0, drop_mode="before", methods=["GET"], max_faults=2)
    assert client.get_flow(flow.id).id == flow.id
    assert emulator.admin.stats()["dropped"] == 2


def test_no_duplicate_after_ambiguous_create(client, emulator, recorder):
    # The server commits the create, then the connection drops without an answer.
    emulator.admin.set_faults(drop_rate=1.0, drop_mode="after", methods=["POST"], max_faults=1)
    flow = client.create_flow(simple("Exactly Once", blocks=[Block(id="root", type="menu")]))
    assert flow.name == "Exactly Once" and flow.version == 1
    assert [f.id for f in client.list_flows(name="Exactly Once")] == [flow.id]
    stats = emulator.admin.stats()
    # one POST (committed, answer lost), one lookup GET, and no second POST
    posts = [w for w in stats["write_log"] if w["method"] == "POST"]
    assert len(posts) == 1 and posts[0]["fault"] == "drop_after"
    assert [m.outcome for m in recorder.mutations] == ["success"]
    assert recorder.mutations[0].flow_id == flow.id


def test_create_dropped_before_reaching_the_server_is_resent_once(client, emulator):
    emulator.admin.set_faults(drop_rate=1.0, drop_mode="before", methods=["POST"], max_faults=1)
    flow = client.create_flow(simple("Resent"))
    assert [f.id for f in client.list_flows(name="Resent")] == [flow.id]
    stats = api_calls(emulator.admin.stats())
    assert stats[("POST", FLOWS, 201)] == 1


def test_create_after_5xx_never_duplicates(client, emulator):
    emulator.admin.set_faults(error_rate=1.0, statuses=[500], methods=["POST"], max_faults=2)
    flow = client.create_flow(simple("Five Hundred"))
    assert [f.id for f in client.list_flows(name="Five Hundred")] == [flow.id]


def test_ambiguous_patch_replay_is_recognised(client, emulator):
    flow = client.create_flow(simple("Patched Once"))
    emulator.admin.set_faults(drop_rate=1.0, drop_mode="after", methods=["PATCH"], max_faults=1)
    desired = flow.to_fields().model_copy(update={"description": "once"})
    updated = client.update_flow(flow.id, desired, base=flow)
    assert updated.version == 2 and updated.description == "once"
    assert client.get_flow(flow.id).version == 2
    stats = api_calls(emulator.admin.stats())
    # the committed-but-dropped PATCH, its replay's 409, the latest and the base version; nothing more
    assert stats[("PATCH", FLOW, 409)] == 1
    assert stats[("GET", VERSION, 200)] == 1


def test_ambiguous_delete_replay_is_success(client, emulator):
    flow = client.create_flow(simple("Deleted Once"))
    emulator.admin.set_faults(drop_rate=1.0, drop_mode="after", methods=["DELETE"], max_faults=1)
    client.delete_flow(flow.id)
    assert api_calls(emulator.admin.stats())[("DELETE", FLOW, 410)] == 1


@pytest.mark.slow
def test_retry_after_honoured(make_client, emulator, recorder):
    spy = SleepSpy()
    client = make_client(retry=fast_policy(sleep=spy), pacing=False)
    emulator.admin.set_rate_limit(3, window_seconds=2)
    for _ in range(4):
        client.list_flows()
    stats = emulator.admin.stats()
    assert stats["rate_limited"] == 1
    assert api_calls(stats) == {("GET", FLOWS, 200): 4, ("GET", FLOWS, 429): 1}
    [throttled] = [r for r in recorder.requests if r.status == 429]
    assert throttled.retry_reason == "429"
    # the client waited exactly what Retry-After said (whole seconds, 1 or 2 here)
    assert spy.calls and spy.calls[0] in (1.0, 2.0)
    assert recorder.waits == [(spy.calls[0], "retry-after")]


@pytest.mark.slow
def test_pacing_keeps_429s_at_zero_under_a_low_limit(make_client, emulator):
    emulator.admin.set_rate_limit(8, window_seconds=1)
    client = make_client()
    flow = client.create_flow(simple("Paced"))

    def worker() -> None:
        for _ in range(6):
            client.get_flow(flow.id)

    assert in_threads(worker, [()] * 4) == []
    stats = emulator.admin.stats()
    assert stats["rate_limited"] == 0
    assert api_calls(stats) == {("POST", FLOWS, 201): 1, ("GET", FLOW, 200): 24}


def test_create_whose_lookup_ran_before_the_commit_is_not_reported_as_a_duplicate(
    client, emulator, recorder, monkeypatch
):
    # The first POST commits but its answer is lost; the lookup before the resend misses it (as when it
    # runs before a slow server commits), so the resend meets our own flow as a duplicate name.
    emulator.admin.set_faults(drop_rate=1.0, drop_mode="after", methods=["POST"], max_faults=1)
    real_find = client.find_flow
    lookups: list[str] = []

    def find_flow(name, type):
        lookups.append(name)
        return None if len(lookups) == 1 else real_find(name, type)

    monkeypatch.setattr(client, "find_flow", find_flow)
    flow = client.create_flow(simple("Slow Commit"))
    assert flow.name == "Slow Commit" and flow.version == 1 and len(lookups) == 2
    assert [f.id for f in client.list_flows(name="Slow Commit")] == [flow.id]
    posts = [(w["status"], w["fault"]) for w in emulator.admin.stats()["write_log"] if w["method"] == "POST"]
    assert posts == [(201, "drop_after"), (409, None)]
    assert [(m.outcome, m.flow_id) for m in recorder.mutations] == [("success", flow.id)]


def test_duplicate_name_without_an_ambiguous_attempt_is_still_a_conflict(client, emulator, monkeypatch):
    client.create_flow(simple("Taken"))
    monkeypatch.setattr(client, "find_flow", lambda *a: pytest.fail("no lookup without ambiguity"))
    with pytest.raises(ConflictError) as info:
        client.create_flow(simple("Taken", description="someone else's"))
    assert info.value.code == "architect.flow.name.duplicate"


def test_pacer_slot_is_released_when_sending_raises_unexpectedly(make_client, emulator):
    from provider.platforms.http.transport import send as real_send

    failures = iter([RuntimeError("boom")])

    def send(*args, **kwargs):
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return real_send(*args, **kwargs)

    client = make_client(transport=send)
    with pytest.raises(RuntimeError):
        client.list_flows()
    assert client._pacer is not None and client._pacer.inflight == 0
    assert client.list_flows() == []  # the probe slot is free again: no wait for a lost answer
