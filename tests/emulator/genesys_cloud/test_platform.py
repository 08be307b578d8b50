"""What the real-platform routes share with the rest of the emulator: permissions per demo client,
rate limiting, correlation ids, fault injection, statistics, reset, and durability across kill -9."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import requests

from emulator.testing import EmulatorProcess

from ._gc import DEPS, FLOWS, Gc, archy, assert_gc_error, unique


def test_permissions_of_each_demo_client_kind(emulator: EmulatorProcess) -> None:
    admin, rw, ro = Gc(emulator.url, "dev-admin"), Gc(emulator.url, "dev-rw"), Gc(emulator.url, "dev-ro")
    flow = rw.deploy_ok(archy("inboundCall", "Guarded"))
    fid = flow["id"]
    # Read-only: every view route works, every write is refused naming the permission.
    ro.ok(ro.get(FLOWS), "FlowEntityListing")
    ro.ok(ro.get(f"{FLOWS}/{fid}"), "Flow")
    ro.ok(ro.get(f"{FLOWS}/{fid}/versions"), "FlowVersionEntityListing")
    ro.ok(ro.get(f"{DEPS}/consumingresources", params={"id": fid, "objectType": "INBOUNDCALLFLOW"}))
    refused = [
        (ro.post(FLOWS, json={"name": unique(), "type": "BOT"}), "architect:flow:add"),
        (ro.put(f"{FLOWS}/{fid}", json={"name": "x"}), "architect:flow:edit"),
        (ro.delete(f"{FLOWS}/{fid}"), "architect:flow:delete"),
        (ro.action("checkout", fid), "architect:flow:edit"),
        (ro.action("checkin", fid), "architect:flow:edit"),
        (ro.action("publish", fid), "architect:flow:publish"),
        (ro.action("deactivate", fid), "architect:flow:publish"),
        (ro.action("unlock", fid), "architect:flow:unlock"),
        (ro.post(f"{FLOWS}/jobs"), "architect:job:create"),
        (
            ro.post(f"{FLOWS}/export/jobs", json={"flows": [{"flow": {"id": fid}}]}),
            "architect:jobExport:create",
        ),
        (rw.action("unlock", fid), "architect:flow:unlock"),
    ]
    for response, permission in refused:
        body = assert_gc_error(response, 403, "missing.permissions")
        assert permission in body["message"] and body["messageParams"] == {"permissions": permission}
    admin.ok(admin.action("unlock", fid), "Flow")
    # The Architecture API keeps its scopes: the admin client may use it too.
    assert (
        requests.get(
            emulator.url + "/api/v2/architect/flows", headers=admin.session.headers, timeout=10
        ).status_code
        == 200
    )


def test_rate_limit_and_correlation_ids(emulator: EmulatorProcess) -> None:
    gc = Gc(emulator.url)
    emulator.admin.set_rate_limit(3)
    for count in (1, 2, 3):
        response = gc.get(FLOWS)
        assert response.status_code == 200
        assert response.headers["inin-ratelimit-count"] == str(count)
        assert response.headers["inin-ratelimit-allowed"] == "3"
        assert response.headers["ININ-Correlation-Id"]
    limited = gc.get(FLOWS)
    body = assert_gc_error(limited, 429, "too.many.requests.retry.after")
    assert int(limited.headers["Retry-After"]) >= 1 and body["message"]


def test_faults_apply_to_the_real_platform_routes(emulator: EmulatorProcess) -> None:
    gc = Gc(emulator.url)
    emulator.admin.set_faults(error_rate=1.0, statuses=[503], methods=["POST"], max_faults=1)
    assert_gc_error(gc.post(FLOWS, json={"name": "x", "type": "BOT"}), 503, "service.unavailable")
    gc.create("x", "BOT")


def test_stats_write_log_has_real_platform_writes(emulator: EmulatorProcess) -> None:
    gc = Gc(emulator.url)
    flow = gc.create("Logged")
    gc.ok(gc.put(f"{FLOWS}/{flow['id']}", json={"name": "Logged 2"}))
    gc.ok(gc.action("checkout", flow["id"]))
    job = gc.register_job()
    gc.ok(gc.upload(job, archy("botFlow", "Logged Bot")))
    gc.wait_job(job["id"])
    gc.ok(gc.delete(f"{FLOWS}/{flow['id']}"))
    log = emulator.admin.stats()["write_log"]
    rows = [(e["method"], e["path"], e["status"]) for e in log]
    assert rows == [
        ("POST", "/api/v2/flows", 200),
        ("PUT", "/api/v2/flows/{flowId}", 200),
        ("POST", "/api/v2/flows/actions/checkout", 200),
        ("POST", "/api/v2/flows/jobs", 200),
        ("PUT", "/_upload/{jobId}", 200),
        ("DELETE", "/api/v2/flows/{flowId}", 200),
    ]
    assert log[0]["flow_id"] == flow["id"] and log[0]["flow_name"] == "Logged"
    assert log[2]["flow_id"] == flow["id"] and log[2]["flow_name"] == "Logged 2"
    assert log[0]["client_id"] == "dev-rw" and log[0]["org"] == "dev"
    emulator.admin.reset()
    assert emulator.admin.stats()["write_log"] == []
    assert gc.ok(gc.get(FLOWS, params={"deleted": "true"}), "FlowEntityListing")["total"] == 0


@pytest.mark.slow
def test_kill_9_keeps_real_platform_state_and_pending_work(tmp_path: Path) -> None:
    data = tmp_path / "arch.db"
    emu = EmulatorProcess(data).start()
    try:
        gc = Gc(emu.url)
        module = gc.deploy_ok(archy("commonModule", "Durable Module"))
        created = gc.create("Durable Draft")
        gc.ok(gc.delete(f"{FLOWS}/{created['id']}"))
        locked = gc.create("Durable Lock")
        emu.admin.gc_lock_as_user("dev", locked["id"], "Alice Architect")
        emu.admin.gc_set_async_delay(0.5)
        gc.ok(gc.action("checkout", module["id"]))
        checkin = gc.ok(gc.action("checkin", module["id"]), "Operation")
        pending = gc.register_job()
        gc.ok(gc.upload(pending, archy("inboundCall", "Durable Caller")))
        emu.kill()
        assert emu.returncode == -9

        emu.start()
        again = Gc(emu.url)
        assert again.flow(locked["id"])["lockedUser"]["name"] == "Alice Architect"
        assert_gc_error(again.get(f"{FLOWS}/{created['id']}"), 410, "architect.flow.deleted")
        # Work started before the crash completes after the restart (its due time is persisted).
        flow = again.wait_idle(module["id"])
        assert flow["currentOperation"]["id"] == checkin["id"]
        assert flow["checkedInVersion"]["id"] == "2.0" and flow["publishedVersion"]["id"] == "1.0"
        done = again.wait_job(pending["id"])
        assert done["status"] == "Success"
        assert again.export({"id": module["id"]}).text == archy("commonModule", "Durable Module")
    finally:
        emu.stop()


def test_concurrent_checkouts_have_one_winner(emulator: EmulatorProcess) -> None:
    flow = Gc(emulator.url, "dev-admin").deploy_ok(archy("inboundCall", "Contended"))
    clients = [Gc(emulator.url, client) for client in ("dev-admin", "dev-rw")]
    results: list[int] = []

    def take(gc: Gc) -> None:
        results.append(gc.action("checkout", flow["id"]).status_code)

    threads = [threading.Thread(target=take, args=(gc,)) for gc in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [200, 409]
