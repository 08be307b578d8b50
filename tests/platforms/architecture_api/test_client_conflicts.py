"""Version conflicts on PATCH against the real emulator: merge, true conflict, overwrite, fail, and
exact call counts (the PATCH, the two GETs, the retried PATCH)."""

from __future__ import annotations

import logging

import pytest

from provider.domain.blocks import Block
from provider.errors import ConflictError, MergeConflictError
from provider.platforms.architecture_api.models import Flow
from tests.support.client import FLOW, FLOWS, VERSION, api_calls, in_threads, simple


def setup_two_writers(make_client):
    ours = make_client()
    theirs = make_client("dev-rw", conflict_policy="merge")
    base = ours.create_flow(simple("Shared Flow", description="base", blocks=[Block(id="root", type="menu")]))
    return ours, theirs, base


def changed(flow: Flow, **update):
    return flow.to_fields().model_copy(update=update)


def test_merge_different_fields(make_client, emulator, recorder):
    ours, theirs, base = setup_two_writers(make_client)
    theirs.update_flow(base.id, changed(base, description="their description"), base=base)
    stats_before = api_calls(emulator.admin.stats())
    result = ours.update_flow(
        base.id, changed(base, blocks=[Block(id="root", type="menu"), Block(id="b", type="t")]), base=base
    )
    assert result.version == 3
    assert result.description == "their description"  # theirs kept
    assert [b.id for b in result.blocks] == ["root", "b"]  # ours applied
    after = api_calls(emulator.admin.stats())
    delta = {
        k: after.get(k, 0) - stats_before.get(k, 0)
        for k in after
        if after.get(k, 0) != stats_before.get(k, 0)
    }
    assert delta == {
        ("PATCH", FLOW, 409): 1,
        ("GET", FLOW, 200): 1,
        ("GET", VERSION, 200): 1,
        ("PATCH", FLOW, 200): 1,
    }
    assert [c.resolution for c in recorder.conflicts] == ["merged"]
    assert recorder.mutations[-1].version_before == 1 and recorder.mutations[-1].version_after == 3


def test_true_conflict_names_fields_and_values_and_writes_nothing(make_client, emulator, recorder):
    ours, theirs, base = setup_two_writers(make_client)
    theirs.update_flow(base.id, changed(base, description="theirs", name="Shared Flow 2"), base=base)
    with pytest.raises(MergeConflictError) as info:
        ours.update_flow(base.id, changed(base, description="ours", lifecycle_state="published"), base=base)
    err = info.value
    assert err.fields == {"description": ("theirs", "ours")}
    assert "description" in str(err) and "'theirs'" in str(err) and "'ours'" in str(err)
    assert err.status == 409 and err.code == "general.resource.conflict"
    latest = ours.get_flow(base.id)
    assert latest.version == 2 and latest.description == "theirs" and latest.lifecycle_state.value == "draft"
    stats = api_calls(emulator.admin.stats())
    assert stats[("PATCH", FLOW, 409)] == 1 and stats[("PATCH", FLOW, 200)] == 1  # theirs only
    assert recorder.conflicts[-1].resolution == "failed"
    assert recorder.mutations[-1].outcome == "failure"


def test_overwrite_policy_ours_wins_and_is_logged(make_client, emulator, caplog, recorder):
    ours, theirs, base = setup_two_writers(make_client)
    theirs.update_flow(base.id, changed(base, description="theirs", name="Renamed By Them"), base=base)
    with caplog.at_level(logging.WARNING, logger="provider.platforms.architecture_api.client"):
        result = ours.update_flow(base.id, changed(base, description="ours"), base=base, policy="overwrite")
    assert result.description == "ours" and result.name == "Renamed By Them" and result.version == 3
    assert any("overwriting" in r.getMessage() and "description" in r.getMessage() for r in caplog.records)
    assert recorder.conflicts[-1].resolution == "overwritten"
    assert recorder.conflicts[-1].fields == {"description": ("theirs", "ours")}


def test_fail_policy_raises_at_once(make_client, emulator):
    ours = make_client(conflict_policy="fail")
    base = ours.create_flow(simple("Strict"))
    ours.update_flow(base.id, changed(base, description="first"), base=base)
    with pytest.raises(ConflictError) as info:
        ours.update_flow(base.id, changed(base, name="Strict 2"), base=base)
    assert not isinstance(info.value, MergeConflictError)
    assert info.value.code == "general.resource.conflict" and "'fail'" in str(info.value)
    stats = api_calls(emulator.admin.stats())
    assert stats == {("POST", FLOWS, 201): 1, ("PATCH", FLOW, 200): 1, ("PATCH", FLOW, 409): 1}


def test_both_made_the_same_change_nothing_more_is_written(make_client, emulator):
    ours, theirs, base = setup_two_writers(make_client)
    theirs.update_flow(base.id, changed(base, description="same"), base=base)
    result = ours.update_flow(base.id, changed(base, description="same"), base=base)
    assert result.version == 2
    assert ("PATCH", FLOW, 409) in api_calls(emulator.admin.stats())
    assert api_calls(emulator.admin.stats())[("PATCH", FLOW, 200)] == 1


def test_concurrent_writers_of_different_fields_all_land(make_client, emulator):
    client = make_client()
    base = client.create_flow(simple("Busy", description="d0"))
    wanted = [
        changed(base, description="from thread 0"),
        changed(base, name="Busy Renamed"),
        changed(base, blocks=[Block(id="x", type="t")]),
        changed(base, lifecycle_state="published"),
    ]

    def worker(desired) -> None:
        client.update_flow(base.id, desired, base=base)

    assert in_threads(worker, [(w,) for w in wanted], together=True) == []
    final = client.get_flow(base.id)
    assert final.version == 5
    assert (final.description, final.name, [b.id for b in final.blocks], final.lifecycle_state.value) == (
        "from thread 0",
        "Busy Renamed",
        ["x"],
        "published",
    )
    # the base version is fetched at most once per conflicting update
    stats = api_calls(emulator.admin.stats())
    assert stats.get(("GET", VERSION, 200), 0) <= min(3, stats.get(("PATCH", FLOW, 409), 0))
    assert stats[("PATCH", FLOW, 200)] == 4
