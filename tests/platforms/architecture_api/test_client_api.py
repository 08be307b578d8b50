"""The client against the real emulator process: operations, exact call counts, errors, audit."""

from __future__ import annotations

import pytest

from provider.domain.blocks import Block
from provider.domain.fields import FlowType, LifecycleState
from provider.domain.problems import RULE_BLOCK_DUPLICATE, RULE_UNKNOWN
from provider.errors import (
    AuthError,
    ConflictError,
    ForbiddenError,
    GoneError,
    NotFoundError,
    ValidationError,
)
from provider.platforms.architecture_api.client import ArchitectClient
from provider.platforms.architecture_api.models import FlowFields
from tests.support.client import DEPENDENCIES, FLOW, FLOWS, VERSION, VERSIONS, api_calls, simple


def test_create_is_one_post_and_nothing_else(client, emulator, recorder):
    flow = client.create_flow(simple("Main Menu", description="hello"))
    assert flow.version == 1 and flow.name == "Main Menu" and flow.description == "hello"
    assert flow.type is FlowType.INBOUNDCALL and flow.lifecycle_state is LifecycleState.DRAFT
    stats = emulator.admin.stats()
    assert api_calls(stats) == {("POST", FLOWS, 201): 1}
    assert stats["token_requests"] == 1
    [event] = recorder.mutations
    assert (
        event.action,
        event.flow_id,
        event.flow_name,
        event.version_before,
        event.version_after,
        event.outcome,
    ) == (
        "create",
        flow.id,
        "Main Menu",
        None,
        1,
        "success",
    )
    assert event.correlation_id and event.client_id == "dev-rw" and event.latency_s >= 0
    [request] = [r for r in recorder.requests if r.path_template == FLOWS]
    assert (request.method, request.status, request.attempt, request.retry_reason) == ("POST", 201, 1, None)
    assert request.correlation_id == event.correlation_id


def test_update_is_exactly_one_patch_with_only_changed_fields(client, emulator, recorder):
    flow = client.create_flow(simple("Billing"))
    desired = flow.to_fields().model_copy(
        update={"description": "new", "blocks": [Block(id="root", type="menu")]}
    )
    updated = client.update_flow(flow.id, desired, base=flow)
    assert updated.version == 2 and updated.description == "new" and updated.blocks[0].id == "root"
    assert api_calls(emulator.admin.stats()) == {("POST", FLOWS, 201): 1, ("PATCH", FLOW, 200): 1}
    assert recorder.mutations[-1].action == "update"
    assert (recorder.mutations[-1].version_before, recorder.mutations[-1].version_after) == (1, 2)


def test_update_without_changes_makes_no_call(client, emulator):
    flow = client.create_flow(simple("Quiet"))
    assert client.update_flow(flow.id, flow.to_fields(), base=flow) is flow
    assert api_calls(emulator.admin.stats()) == {("POST", FLOWS, 201): 1}


def test_reads_paging_and_find(client, emulator):
    created = [
        client.create_flow(simple(f"flow-{i}", type="BOT" if i % 2 else "INBOUNDCALL")) for i in range(5)
    ]
    before = api_calls(emulator.admin.stats()).get(("GET", FLOWS, 200), 0)
    listed = client.list_flows(page_size=2)
    assert sorted(f.id for f in listed) == sorted(f.id for f in created)
    assert api_calls(emulator.admin.stats())[("GET", FLOWS, 200)] - before == 3  # 2 + 2 + 1
    assert {f.name for f in client.list_flows(type=FlowType.BOT)} == {"flow-1", "flow-3"}
    found = client.find_flow("FLOW-1", "BOT")
    assert found is not None and found.id == created[1].id
    assert client.find_flow("flow-1", "INBOUNDCALL") is None
    assert client.get_flow(created[0].id) == created[0]


def test_versions(client, emulator):
    flow = client.create_flow(simple("Versioned"))
    v2 = client.update_flow(flow.id, flow.to_fields().model_copy(update={"description": "two"}), base=flow)
    assert [v.version for v in client.list_versions(flow.id)] == [2, 1]
    old = client.get_flow_version(flow.id, 1)
    assert old.version == 1 and old.description == ""
    assert client.get_flow_version(flow.id, 2) == v2
    stats = api_calls(emulator.admin.stats())
    assert stats[("GET", VERSIONS, 200)] == 1 and stats[("GET", VERSION, 200)] == 2


def test_delete_gone_and_not_found(client, emulator, recorder):
    flow = client.create_flow(simple("Doomed"))
    client.delete_flow(flow.id, version=1, name="Doomed")
    assert recorder.mutations[-1].action == "delete" and recorder.mutations[-1].outcome == "success"
    with pytest.raises(GoneError) as info:
        client.get_flow(flow.id)
    assert info.value.status == 410 and info.value.code == "architect.flow.deleted"
    assert info.value.correlation_id
    with pytest.raises(GoneError):
        client.delete_flow(flow.id)
    with pytest.raises(NotFoundError) as info2:
        client.get_flow("00000000-0000-4000-8000-000000000000")
    assert not isinstance(info2.value, GoneError) and info2.value.code == "not.found"
    stats = api_calls(emulator.admin.stats())
    assert stats[("DELETE", FLOW, 204)] == 1 and stats[("DELETE", FLOW, 410)] == 1


def test_delete_in_use_lists_consumers_and_dependencies(client, emulator):
    common = client.create_flow(simple("Common", lifecycle_state="published", type="COMMONMODULE"))
    caller = client.create_flow(
        simple(
            "Caller",
            lifecycle_state="published",
            references=[common.id],
            blocks=[{"id": "call", "type": "module", "reference": common.id}],
        )
    )
    with pytest.raises(ConflictError) as info:
        client.delete_flow(common.id)
    err = info.value
    assert err.code == "architect.flow.in.use" and err.status == 409
    assert [c.entityId for c in err.consumers] == [caller.id]
    assert "Caller" in str(err)
    report = client.dependencies(common.id)
    assert [d.id for d in report.consumingResources] == [caller.id]
    assert [d.id for d in client.dependencies(caller.id).consumedResources] == [common.id]
    assert api_calls(emulator.admin.stats())[("GET", DEPENDENCIES, 200)] == 2


def test_invalid_flow_is_refused_before_anything_is_sent(client, emulator, recorder):
    bad = FlowFields(
        name="  ",
        lifecycle_state=LifecycleState.ARCHIVED,
        blocks=[Block(id="a", type="t"), Block(id="a", type="t", reference="x")],
    )
    with pytest.raises(ValidationError) as info:
        client.create_flow(bad)
    rules = {p.rule for p in info.value.problems}
    assert rules == {
        "architect.flow.field.required",
        "architect.flow.lifecycle.transition.invalid",
        RULE_BLOCK_DUPLICATE,
        "architect.flow.reference.undeclared",
    }
    assert "nothing was sent" in str(info.value)
    assert emulator.admin.stats()["total_requests"] == 0
    assert len(recorder.problems) == 4
    assert recorder.mutations[-1].outcome == "failure"


def test_update_checks_transition_and_immutable_type_client_side(client, emulator):
    flow = client.create_flow(simple("Archivable"))
    archived = client.update_flow(
        flow.id, flow.to_fields().model_copy(update={"lifecycle_state": "archived"}), base=flow
    )
    with pytest.raises(ValidationError) as info:
        client.update_flow(
            flow.id, archived.to_fields().model_copy(update={"lifecycle_state": "published"}), base=archived
        )
    assert info.value.problems[0].rule == "architect.flow.lifecycle.transition.invalid"
    with pytest.raises(ValidationError) as info:
        client.update_flow(
            flow.id, archived.to_fields().model_copy(update={"type": FlowType.BOT}), base=archived
        )
    assert info.value.problems[0].rule == "architect.flow.field.immutable"
    assert api_calls(emulator.admin.stats()).get(("PATCH", FLOW, 422)) is None


def test_server_side_rule_comes_back_as_problems(client):
    with pytest.raises(ValidationError) as info:
        client.create_flow(simple("Dangling", references=["00000000-0000-4000-8000-00000000abcd"]))
    err = info.value
    assert err.status == 422 and err.code == "payload.or.params.invalid" and err.correlation_id
    assert [p.rule for p in err.problems] == [RULE_UNKNOWN]
    assert err.problems[0].field == "references[0]" and err.problems[0].flow == "Dangling"


def test_duplicate_name_is_a_conflict(client):
    client.create_flow(simple("Same"))
    with pytest.raises(ConflictError) as info:
        client.create_flow(simple("same"))
    assert info.value.code == "architect.flow.name.duplicate"
    client.create_flow(simple("same", type="BOT"))  # other type: fine


def test_read_only_client_is_forbidden_with_scope_named(make_client, client):
    flow = client.create_flow(simple("Guarded"))
    reader = make_client("dev-ro")
    assert reader.get_flow(flow.id).id == flow.id
    with pytest.raises(ForbiddenError) as info:
        reader.create_flow(simple("Nope"))
    assert info.value.status == 403 and info.value.code == "missing.permissions"
    assert "architect:flow:write" in str(info.value)


def test_organizations_are_isolated(make_client, client):
    flow = client.create_flow(simple("Private"))
    with pytest.raises(NotFoundError):
        make_client("staging-rw").get_flow(flow.id)


def test_invalid_client_is_a_clear_error_without_retry(make_settings, emulator):
    settings = make_settings("dev-rw", secret="wrong-secret-value")
    client = ArchitectClient(settings)
    with pytest.raises(AuthError) as info:
        client.list_flows()
    err = info.value
    assert err.code == "invalid_client" and err.status == 401
    text = str(err) + repr(err) + repr(client) + repr(settings)
    assert "wrong-secret-value" not in text
    assert "client_secret=" in str(err)  # named as it was set: here, an argument
    stats = emulator.admin.stats()
    assert stats["token_requests"] == 1 and stats["total_requests"] == 1


def test_request_templates_are_the_emulators_one_for_one(client, emulator, recorder):
    from emulator import stats as emulator_stats
    from provider.platforms.architecture_api import client as client_module

    assert (
        client_module.T_FLOWS,
        client_module.T_FLOW,
        client_module.T_VERSIONS,
        client_module.T_VERSION,
        client_module.T_DEPENDENCIES,
    ) == (
        emulator_stats.FLOWS,
        emulator_stats.FLOW,
        emulator_stats.VERSIONS,
        emulator_stats.VERSION,
        emulator_stats.DEPENDENCIES,
    )
    flow = client.create_flow(simple("Templated"))
    client.get_flow(flow.id)
    client.list_versions(flow.id)
    client.get_flow_version(flow.id, 1)
    client.dependencies(flow.id)
    client.list_flows()
    client.delete_flow(flow.id)
    ours: dict[tuple[str, str, int | None], int] = {}
    for event in recorder.requests:
        if event.path_template != "/oauth/token":
            key = (event.method, event.path_template, event.status)
            ours[key] = ours.get(key, 0) + 1
    assert ours == api_calls(emulator.admin.stats())
