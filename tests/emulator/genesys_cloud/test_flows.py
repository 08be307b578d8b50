"""Flows, locks, versions and asynchronous operations of the real-platform routes (contract
sections 2 and 5), every answer checked against the official SDK's models."""

from __future__ import annotations

from PureCloudPlatformClientV2 import ApiClient

from emulator.testing import EmulatorProcess

from ._gc import FLOWS, Gc, archy, assert_gc_error, check_sdk, poll, sdk_body, unique


def test_create_from_an_sdk_model_is_locked_by_the_client_without_versions(emulator: EmulatorProcess) -> None:
    gc = Gc(emulator.url)
    name = unique("Main IVR")
    body = sdk_body("Flow", name=name, type="INBOUNDCALL", description="the main line")
    created = gc.ok(gc.post(FLOWS, json=body), "Flow")
    assert created["name"] == name and created["type"] == "INBOUNDCALL"
    assert created["description"] == "the main line"
    assert created["lockedClient"]["id"] == "dev-rw" and "lockedUser" not in created
    for pointer in ("publishedVersion", "checkedInVersion", "savedVersion", "currentOperation"):
        assert pointer not in created
    assert created["active"] is False and created["deleted"] is False
    assert created["selfUri"] == f"{FLOWS}/{created['id']}"
    assert gc.flow(created["id"]) == created
    assert_gc_error(gc.get(f"{FLOWS}/{created['id']}/latestconfiguration"), 404, "flow.no.config.available")
    listing = gc.ok(gc.get(f"{FLOWS}/{created['id']}/versions"), "FlowVersionEntityListing")
    assert listing["entities"] == [] and listing["total"] == 0


def test_create_validation(emulator: EmulatorProcess) -> None:
    gc = Gc(emulator.url)
    cases = [
        ({"type": "INBOUNDCALL"}, "architect.flow.validate.failed.missing.name"),
        ({"name": "a"}, "architect.flow.validate.failed.missing.type"),
        (
            {"name": "a/b", "type": "INBOUNDCALL"},
            "architect.flow.validate.failed.invalid.name.contains.slash",
        ),
        ({"name": "--", "type": "INBOUNDCALL"}, "architect.flow.validate.failed.invalid.name.no.alpha"),
        (
            {"name": "x-debug", "type": "INBOUNDCALL"},
            "architect.flow.validate.failed.invalid.name.contains.debug",
        ),
        ({"name": "a", "type": "NOPE"}, "invalid.value"),
    ]
    for body, code in cases:
        assert_gc_error(gc.post(FLOWS, json=body), 400, code)
    gc.create("Same Name", "INBOUNDCALL")
    assert_gc_error(
        gc.post(FLOWS, json={"name": "same name", "type": "INBOUNDCALL"}),
        409,
        "architect.flow.already.exists",
    )
    gc.create("Same Name", "INQUEUECALL")  # names are unique per type only
    not_json = gc.post(FLOWS, data="name=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_gc_error(not_json, 415, "unsupported.media.type")
    assert_gc_error(
        gc.post(FLOWS, data="[1]", headers={"Content-Type": "application/json"}), 400, "bad.request"
    )


def test_unknown_flow_and_actions_need_the_flow_parameter(emulator: EmulatorProcess) -> None:
    gc = Gc(emulator.url)
    assert_gc_error(gc.get(f"{FLOWS}/00000000-0000-0000-0000-000000000000"), 404, "architect.flow.not.found")
    assert_gc_error(gc.post(f"{FLOWS}/actions/checkout"), 400, "invalid.value")


def test_lock_state_machine(emulator: EmulatorProcess) -> None:
    owner, other, admin = (
        Gc(emulator.url, "dev-rw"),
        Gc(emulator.url, "dev-admin"),
        Gc(emulator.url, "dev-admin"),
    )
    flow = owner.create()
    fid = flow["id"]
    # The creator holds the lock; nobody else may check out, save, publish or delete.
    assert_gc_error(other.action("checkout", fid), 409, "architect.flow.locked.by.user")
    assert_gc_error(
        other.put(f"{FLOWS}/{fid}", json={"name": "stolen"}), 409, "architect.flow.not.locked.by.user"
    )
    assert_gc_error(other.action("checkin", fid), 409, "architect.flow.not.locked.by.user")
    assert_gc_error(other.action("publish", fid), 409, "architect.flow.locked.by.user")
    assert_gc_error(
        other.delete(f"{FLOWS}/{fid}"), 405, "architect.flow.cannot.delete.user.does.not.have.lock"
    )
    # The holder may rename, but cannot check in a flow without configuration.
    renamed = owner.ok(owner.put(f"{FLOWS}/{fid}", json={"name": "renamed", "description": "d"}), "Flow")
    assert renamed["name"] == "renamed" and renamed["description"] == "d"
    assert_gc_error(
        owner.put(f"{FLOWS}/{fid}", json={"name": "renamed", "type": "BOT"}),
        400,
        "architect.flow.validate.failed",
    )
    assert_gc_error(owner.action("checkin", fid), 409, "architect.flow.cannot.checkin.missing.config")
    # Unlock needs architect:flow:unlock (the admin client has it, the rw client does not).
    body = assert_gc_error(owner.action("unlock", fid), 403, "missing.permissions")
    assert "architect:flow:unlock" in body["message"]
    assert body["messageParams"] == {"permissions": "architect:flow:unlock"}
    unlocked = admin.ok(admin.action("unlock", fid), "Flow")
    assert "lockedClient" not in unlocked
    # Now another client can check it out, and the first one is refused.
    checked_out = other.ok(other.action("checkout", fid), "Flow")
    assert checked_out["lockedClient"]["id"] == "dev-admin"
    assert other.ok(other.action("checkout", fid), "Flow")["lockedClient"]["id"] == "dev-admin"  # idempotent
    assert_gc_error(owner.action("checkout", fid), 409, "architect.flow.locked.by.user")


def test_rename_in_place_and_publish_through_rest(emulator: EmulatorProcess) -> None:
    gc = Gc(emulator.url)
    flow = gc.deploy_ok(archy("inboundCall", "Rest Cycle"))
    fid = flow["id"]
    assert flow["publishedVersion"]["id"] == "1.0" and flow["checkedInVersion"]["id"] == "1.0"
    # The SDK's round trip: the Flow read back, renamed, and sent whole (server-managed keys ignored).
    model = check_sdk(gc.ok(gc.action("checkout", fid), "Flow"), "Flow")
    model.name = "Rest Cycle 1"
    assert (
        gc.ok(gc.put(f"{FLOWS}/{fid}", json=ApiClient().sanitize_for_serialization(model)), "Flow")["name"]
        == "Rest Cycle 1"
    )
    gc.ok(gc.put(f"{FLOWS}/{fid}", json=sdk_body("Flow", name="Rest Cycle 2", type="INBOUNDCALL")), "Flow")
    op = gc.ok(gc.action("checkin", fid), "Operation")
    assert op["actionName"] == "CHECKIN" and op["actionStatus"] == "STARTED" and op["complete"] is False
    flow = gc.wait_idle(fid)
    assert flow["currentOperation"]["actionStatus"] == "SUCCESS"
    assert flow["checkedInVersion"]["id"] == "2.0" and flow["checkedInVersion"]["type"] == "CHECKIN"
    assert flow["publishedVersion"]["id"] == "1.0" and "lockedClient" not in flow
    gc.ok(gc.action("publish", fid), "Operation")
    flow = gc.wait_idle(fid)
    assert flow["publishedVersion"]["id"] == "2.0" and flow["publishedVersion"]["type"] == "PUBLISH"
    assert flow["name"] == "Rest Cycle 2" and flow["active"] is True
    assert "publishedBy" not in flow and flow["publishedVersion"]["createdByClient"]["id"] == "dev-rw"
    other = gc.create("Rest Cycle 3")
    assert_gc_error(
        gc.put(f"{FLOWS}/{other['id']}", json={"name": "REST CYCLE 2"}), 409, "architect.flow.already.exists"
    )
    gc.ok(gc.delete(f"{FLOWS}/{other['id']}"))
    assert_gc_error(gc.put(f"{FLOWS}/{other['id']}", json={"name": "x"}), 410, "architect.flow.deleted")
    versions = gc.ok(gc.get(f"{FLOWS}/{fid}/versions"), "FlowVersionEntityListing")
    assert [v["id"] for v in versions["entities"]] == ["2.0", "1.0"]
    first = gc.ok(gc.get(f"{FLOWS}/{fid}/versions/1.0"), "FlowVersion")
    assert isinstance(first["dateCreated"], int) and "datePublishedEnd" in first
    assert_gc_error(gc.get(f"{FLOWS}/{fid}/versions/9.0"), 404, "architect.flow.version.missing")
    text = gc.get(f"{FLOWS}/{fid}/versions/1.0/configuration").json()["archyYaml"]
    assert text == archy("inboundCall", "Rest Cycle")
    assert gc.get(f"{FLOWS}/{fid}/latestconfiguration").json() == {"archyYaml": text}
    # Publishing an explicit older version works too; deactivate removes the published pointer.
    gc.ok(gc.action("publish", fid, version="1.0"), "Operation")
    assert gc.wait_idle(fid)["publishedVersion"]["id"] == "1.0"
    deactivated = gc.ok(gc.action("deactivate", fid), "Flow")
    assert "publishedVersion" not in deactivated and deactivated["active"] is False
    assert_gc_error(gc.action("publish", fid, version="7.0"), 404, "architect.flow.version.missing")


def test_async_operations_seen_mid_flight(emulator: EmulatorProcess) -> None:
    gc = Gc(emulator.url)
    flow = gc.deploy_ok(archy("inboundCall", unique("Slow")))
    fid = flow["id"]
    emulator.admin.gc_set_async_delay(30)
    op = gc.ok(gc.action("publish", fid), "Operation")
    current = gc.flow(fid)["currentOperation"]
    assert current == op and current["actionStatus"] == "STARTED" and current["complete"] is False
    assert_gc_error(gc.action("publish", fid), 409, "architect.operation.already.in.progress")
    assert_gc_error(gc.action("checkout", fid), 409, "architect.operation.already.in.progress")
    # Shorten the delay for the next operation; this one completes at its own due time, so the
    # test only lowers it again and waits on a fresh operation with a bounded poll.
    emulator.admin.reset()
    emulator.admin.gc_set_async_delay(0.3)
    flow = gc.deploy_ok(archy("inboundCall", unique("Slow")))
    op = gc.ok(gc.action("publish", flow["id"]), "Operation")
    assert gc.flow(flow["id"])["currentOperation"]["id"] == op["id"]
    done = gc.wait_idle(flow["id"])
    assert done["currentOperation"] == {**op, "complete": True, "actionStatus": "SUCCESS"}


def test_soft_delete_410_listing_and_name_reuse(emulator: EmulatorProcess) -> None:
    gc = Gc(emulator.url)
    flow = gc.create("Doomed")
    gc.ok(gc.delete(f"{FLOWS}/{flow['id']}"))
    assert gc.delete(f"{FLOWS}/{flow['id']}").status_code == 410
    assert_gc_error(gc.get(f"{FLOWS}/{flow['id']}"), 410, "architect.flow.deleted")
    assert_gc_error(gc.action("checkout", flow["id"]), 410, "architect.flow.deleted")
    assert_gc_error(gc.get(f"{FLOWS}/{flow['id']}/versions"), 410, "architect.flow.deleted")
    shown = gc.ok(gc.get(f"{FLOWS}/{flow['id']}", params={"deleted": "true"}), "Flow")
    assert shown["deleted"] is True
    assert gc.ok(gc.get(FLOWS), "FlowEntityListing")["total"] == 0
    listed = gc.ok(gc.get(FLOWS, params={"deleted": "true"}), "FlowEntityListing")
    assert [f["id"] for f in listed["entities"]] == [flow["id"]]
    again = gc.create("Doomed")
    assert again["id"] != flow["id"]


def test_listing_filters_sorting_and_paging(emulator: EmulatorProcess) -> None:
    gc = Gc(emulator.url)
    for i in range(7):
        gc.create(f"Sales {i}", "INBOUNDCALL")
    gc.create("Support", "INQUEUECALL")
    gc.create("Sales module", "COMMONMODULE")
    page = gc.ok(
        gc.get(FLOWS, params={"pageSize": 3, "pageNumber": 2, "sortBy": "name"}), "FlowEntityListing"
    )
    assert page["total"] == 9 and page["pageCount"] == 3 and len(page["entities"]) == 3
    assert page["nextUri"] and page["previousUri"] and page["firstUri"] and page["lastUri"]
    by_type = gc.ok(
        gc.get(FLOWS, params=[("type", "inqueuecall"), ("type", "commonmodule")]), "FlowEntityListing"
    )
    assert sorted(f["name"] for f in by_type["entities"]) == ["Sales module", "Support"]
    named = gc.ok(
        gc.get(FLOWS, params={"name": "SALES", "sortBy": "name", "sortOrder": "desc"}), "FlowEntityListing"
    )
    assert [f["name"] for f in named["entities"]][:2] == ["Sales module", "Sales 6"]
    assert named["total"] == 8
    for params in (
        {"pageSize": 501},
        {"pageNumber": 0},
        {"type": "INBOUNDCALL"},
        {"sortBy": "x"},
        {"deleted": "maybe"},
    ):
        assert_gc_error(gc.get(FLOWS, params=params), 400, "invalid.value")


def test_out_of_band_edits_by_a_ui_user(emulator: EmulatorProcess) -> None:
    gc = Gc(emulator.url)
    flow = gc.deploy_ok(archy("inboundCall", "Shared"))
    locked = emulator.admin.gc_lock_as_user("dev", flow["id"], "Alice Architect")
    check_sdk(locked, "Flow")
    assert locked["lockedUser"]["name"] == "Alice Architect" and "lockedClient" not in locked
    assert_gc_error(gc.action("checkout", flow["id"]), 409, "architect.flow.locked.by.user")
    edited = emulator.admin.gc_publish_as_user("dev", flow["id"], archy("inboundCall", "Shared") + "  # v2\n")
    check_sdk(edited, "Flow")
    assert edited["publishedVersion"]["id"] == "2.0" and edited["publishedBy"]["name"] == "Alice Architect"
    assert edited["publishedVersion"]["createdBy"]["name"] == "Alice Architect"
    assert edited["lockedUser"]["name"] == "Alice Architect"  # the lock stays as it was
    assert "lockedUser" not in emulator.admin.gc_unlock("dev", flow["id"])
    assert gc.ok(gc.action("checkout", flow["id"]), "Flow")["lockedClient"]["id"] == "dev-rw"
    # A user's lock with a working copy saved a minute ago: the only time of a lock a client sees.
    saved = emulator.admin.gc_lock_as_user("dev", flow["id"], "Alice Architect", saved_seconds_ago=60)
    check_sdk(saved, "Flow")
    working = saved["savedVersion"]
    assert working["type"] == "SAVE" and working["createdBy"]["name"] == "Alice Architect"
    assert working["dateSaved"] == working["dateCreated"] and working["id"] == "3.0"


def test_orgs_are_separate(emulator: EmulatorProcess) -> None:
    dev, prod = Gc(emulator.url, "dev-rw"), Gc(emulator.url, "prod-rw")
    flow = dev.create()
    assert_gc_error(prod.get(f"{FLOWS}/{flow['id']}"), 404, "architect.flow.not.found")
    assert prod.ok(prod.get(FLOWS), "FlowEntityListing")["total"] == 0


def test_operation_completion_is_polled_not_slept(emulator: EmulatorProcess) -> None:
    gc = Gc(emulator.url)
    emulator.admin.gc_set_async_delay(0.5)
    job = gc.register_job()
    gc.ok(gc.upload(job, archy("inboundCall", unique("Polled"))))
    assert gc.job(job["id"])["status"] == "Started"
    assert poll(lambda: gc.job(job["id"]) if gc.job(job["id"])["status"] == "Success" else None)
