"""The admin controls: key, reset, statistics, fault injection (errors, latency, dropped connections,
seed, methods, max_faults), rate limit and token lifetime settings."""

from __future__ import annotations

import time

import pytest
import requests

from emulator.testing import ADMIN_KEY, EmulatorProcess

from ._api import FLOWS, Api, assert_error


def test_admin_key_is_required(emulator: EmulatorProcess) -> None:
    for method, path in [
        ("POST", "reset"),
        ("GET", "stats"),
        ("PUT", "faults"),
        ("DELETE", "faults"),
        ("PUT", "rate-limit"),
        ("PUT", "token-lifetime"),
        ("POST", "revoke-tokens"),
    ]:
        url = f"{emulator.url}/_emulator/{path}"
        assert_error(requests.request(method, url, json={}, timeout=10), 401, "authentication.required")
        wrong = {"X-Emulator-Admin-Key": "wrong"}
        assert_error(
            requests.request(method, url, json={}, headers=wrong, timeout=10), 401, "bad.credentials"
        )


def test_admin_rejects_bad_settings(emulator: EmulatorProcess) -> None:
    headers = {"X-Emulator-Admin-Key": ADMIN_KEY}
    for path, body in [
        ("faults", {"error_rate": 2}),
        ("faults", {"error_rate": 0.6, "drop_rate": 0.6}),
        ("faults", {"statuses": [200]}),
        ("faults", {"latency_ms": [10, 5]}),
        ("faults", {"drop_mode": "sideways"}),
        ("faults", {"bogus": 1}),
        ("faults", {"error_rate": "0.5"}),
        ("rate-limit", {"limit": 0}),
        ("rate-limit", {"limit": "10"}),
        ("token-lifetime", {"seconds": -1}),
        ("token-lifetime", {}),
    ]:
        r = requests.put(f"{emulator.url}/_emulator/{path}", json=body, headers=headers, timeout=10)
        assert_error(r, 400, "bad.request")
    r = requests.put(f"{emulator.url}/_emulator/faults", data="{", headers=headers, timeout=10)
    assert_error(r, 415, "unsupported.media.type")


def test_stats(emulator: EmulatorProcess) -> None:
    api = Api(emulator.url, "dev-rw")
    flow = api.create_ok("counted")
    api.flow(flow["id"])
    api.flow(flow["id"])
    api.update_ok(flow["id"], 1, description="x")
    assert_error(api.update(flow["id"], 1, description="stale"), 409, "general.resource.conflict")
    api.get(f"{FLOWS}/{flow['id']}/versions")
    api.get(f"{FLOWS}/{flow['id']}/versions/1")
    api.get("/api/v2/architect/dependencytracking/object", params={"id": flow["id"]})
    assert api.remove(flow["id"]).status_code == 204
    requests.get(emulator.url + "/healthz", timeout=10)
    emulator.admin.stats()
    stats = emulator.admin.stats()
    rows = {(r["method"], r["path"], r["status"]): r["count"] for r in stats["requests"]}
    flow_path = "/api/v2/architect/flows/{flowId}"
    assert rows == {
        ("POST", "/oauth/token", 200): 1,
        ("POST", FLOWS, 201): 1,
        ("GET", flow_path, 200): 2,
        ("PATCH", flow_path, 200): 1,
        ("PATCH", flow_path, 409): 1,
        ("GET", flow_path + "/versions", 200): 1,
        ("GET", flow_path + "/versions/{versionId}", 200): 1,
        ("GET", "/api/v2/architect/dependencytracking/object", 200): 1,
        ("DELETE", flow_path, 204): 1,
    }
    assert stats["total_requests"] == 10
    assert stats["token_requests"] == 1
    assert stats["writes"] == 3
    assert stats["rate_limited"] == 0
    log = stats["write_log"]
    assert [(e["seq"], e["method"], e["status"]) for e in log] == [
        (1, "POST", 201),
        (2, "PATCH", 200),
        (3, "PATCH", 409),
        (4, "DELETE", 204),
    ]
    for entry in log:
        assert entry["flow_id"] == flow["id"]
        assert entry["flow_name"] == "counted"
        assert entry["client_id"] == "dev-rw" and entry["org"] == "dev"
        assert entry["fault"] is None
    assert log[0]["path"] == FLOWS and log[1]["path"] == flow_path
    emulator.admin.reset()
    cleared = emulator.admin.stats()
    assert cleared["requests"] == [] and cleared["write_log"] == [] and cleared["total_requests"] == 0


def test_reset_restores_settings(emulator: EmulatorProcess) -> None:
    emulator.admin.set_rate_limit(1)
    emulator.admin.set_token_lifetime(5)
    emulator.admin.set_faults(error_rate=1.0, statuses=[503])
    emulator.admin.reset()
    api = Api(emulator.url)
    r = api.get(FLOWS)
    assert r.status_code == 200 and r.headers["inin-ratelimit-allowed"] == "300"
    assert api.get(FLOWS).status_code == 200
    token = requests.post(
        emulator.url + "/oauth/token",
        auth=("dev-ro", "dev-ro-demo-secret"),
        data={"grant_type": "client_credentials"},
        timeout=10,
    )
    assert token.json()["expires_in"] == 86400


def test_error_faults_with_methods_and_max_faults(emulator: EmulatorProcess) -> None:
    api = Api(emulator.url)
    flow = api.create_ok("existing")
    settings = emulator.admin.set_faults(error_rate=1.0, statuses=[503], methods=["post"], max_faults=2)
    assert settings["methods"] == ["POST"] and settings["max_faults"] == 2 and settings["active"] is True
    for i in range(2):
        r = api.create(f"fails {i}")
        body = assert_error(r, 503, "service.unavailable")
        assert "Injected" in body["message"]
        assert r.headers["Retry-After"] == "1"
    assert api.flow(flow["id"]).status_code == 200
    assert api.create("third succeeds").status_code == 201
    names = sorted(f["name"] for f in api.get(FLOWS).json()["entities"])
    assert names == ["existing", "third succeeds"]
    stats = emulator.admin.stats()
    assert stats["faults_injected"] == 2
    assert [(e["status"], e["fault"]) for e in stats["write_log"]] == [
        (201, None),
        (503, "error"),
        (503, "error"),
        (201, None),
    ]
    emulator.admin.set_faults(error_rate=1.0, statuses=[500])
    assert_error(api.flow(flow["id"]), 500, "internal.server.error")
    # Admin, health and token endpoint are never faulted.
    assert requests.get(emulator.url + "/healthz", timeout=10).status_code == 200
    assert Api(emulator.url).token
    emulator.admin.clear_faults()
    assert api.flow(flow["id"]).status_code == 200


def _status_sequence(emulator: EmulatorProcess, seed: int) -> list[int]:
    emulator.admin.reset()
    api = Api(emulator.url)
    emulator.admin.set_faults(error_rate=0.5, statuses=[500, 502, 503, 504], seed=seed)
    return [api.get(FLOWS).status_code for _ in range(40)]


@pytest.mark.slow
def test_fault_seed_is_reproducible(emulator: EmulatorProcess) -> None:
    first = _status_sequence(emulator, 1234)
    second = _status_sequence(emulator, 1234)
    other = _status_sequence(emulator, 99)
    assert first == second
    assert first != other
    assert {500, 502, 503, 504} & set(first) and 200 in first


def test_latency(emulator: EmulatorProcess) -> None:
    api = Api(emulator.url)
    api.get(FLOWS)
    emulator.admin.set_faults(latency_ms=[200, 250])
    start = time.monotonic()
    assert api.get(FLOWS).status_code == 200
    assert time.monotonic() - start >= 0.2
    emulator.admin.clear_faults()
    assert api.get(FLOWS).status_code == 200


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE", "GET"])
def test_drop_before_performs_nothing(emulator: EmulatorProcess, method: str) -> None:
    api = Api(emulator.url)
    flow = api.create_ok("victim")
    emulator.admin.set_faults(drop_rate=1.0, drop_mode="before", methods=[method], max_faults=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        if method == "POST":
            api.create("never written")
        elif method == "PATCH":
            api.update(flow["id"], 1, description="never written")
        elif method == "DELETE":
            api.remove(flow["id"])
        else:
            api.flow(flow["id"])
    after = api.flow(flow["id"])
    assert after.status_code == 200 and after.json() == flow
    assert api.get(FLOWS).json()["total"] == 1
    stats = emulator.admin.stats()
    assert stats["dropped"] == 1


def test_drop_after_commits_then_drops(emulator: EmulatorProcess) -> None:
    api = Api(emulator.url)
    emulator.admin.set_faults(drop_rate=1.0, drop_mode="after", methods=["POST"], max_faults=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        api.create("ambiguous")
    # The create happened: the retry finds it (and a blind retry is a duplicate).
    listing = api.get(FLOWS, params={"name": "ambiguous"}).json()
    assert listing["total"] == 1
    assert_error(api.create("ambiguous"), 409, "architect.flow.name.duplicate")
    flow = listing["entities"][0]
    emulator.admin.set_faults(drop_rate=1.0, drop_mode="after", methods=["PATCH"], max_faults=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        api.update(flow["id"], 1, description="committed")
    assert api.flow(flow["id"]).json()["_version"] == 2
    stats = emulator.admin.stats()
    assert stats["writes"] == 2 and stats["dropped"] == 2
    assert [(e["method"], e["status"], e["fault"]) for e in stats["write_log"]][:1] == [
        ("POST", 201, "drop_after")
    ]


def test_drop_with_raw_socket_sees_no_bytes(emulator: EmulatorProcess) -> None:
    """A dropped connection yields no HTTP response at all (not even a status line)."""
    import socket

    api = Api(emulator.url)
    emulator.admin.set_faults(drop_rate=1.0, drop_mode="after", max_faults=1)
    host, port = emulator.url.removeprefix("http://").split(":")
    body = b'{"name": "raw", "lifecycle_state": "draft"}'
    request = (
        b"POST /api/v2/architect/flows HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer "
        + api.token.encode()
        + b"\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
    ) + body
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request)
        data = b""
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except ConnectionResetError:
            pass
    assert data == b""
    assert api.get(FLOWS, params={"name": "raw"}).json()["total"] == 1


def test_rate_limit_and_token_lifetime_settings(emulator: EmulatorProcess) -> None:
    headers = {"X-Emulator-Admin-Key": ADMIN_KEY}
    r = requests.put(f"{emulator.url}/_emulator/rate-limit", json={"limit": 7}, headers=headers, timeout=10)
    assert r.status_code == 200 and r.json() == {"limit": 7, "window_seconds": 60}
    assert Api(emulator.url).get(FLOWS).headers["inin-ratelimit-allowed"] == "7"
    r = requests.put(
        f"{emulator.url}/_emulator/token-lifetime", json={"seconds": 42}, headers=headers, timeout=10
    )
    assert r.status_code == 200 and r.json() == {"seconds": 42}
    token = requests.post(
        emulator.url + "/oauth/token",
        auth=("dev-rw", "dev-rw-demo-secret"),
        data={"grant_type": "client_credentials"},
        timeout=10,
    )
    assert token.json()["expires_in"] == 42
