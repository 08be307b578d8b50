"""Authentication, scopes, revocation, token lifetime and organization isolation."""

from __future__ import annotations

import base64
import time

import requests

from emulator.testing import DEMO_CLIENTS, EmulatorProcess, get_token

from ._api import FLOWS, Api, assert_error


def _token_call(
    url: str, auth: object = None, data: object = None, headers: dict[str, str] | None = None
) -> requests.Response:
    return requests.post(f"{url}/oauth/token", auth=auth, data=data, headers=headers, timeout=10)  # type: ignore[arg-type]


def test_token_endpoint_issues_bearer_tokens(emulator: EmulatorProcess) -> None:
    r = _token_call(emulator.url, ("dev-rw", "dev-rw-demo-secret"), {"grant_type": "client_credentials"})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 86400
    assert isinstance(body["access_token"], str) and len(body["access_token"]) >= 32
    assert r.headers["ININ-Correlation-Id"]
    assert r.headers["Cache-Control"] == "no-store"
    # Two requests, two different tokens.
    assert get_token(emulator.url, "dev-rw") != body["access_token"]


def test_token_endpoint_errors(emulator: EmulatorProcess) -> None:
    grant = {"grant_type": "client_credentials"}
    for auth in [("dev-rw", "wrong"), ("nobody", "dev-rw-demo-secret"), ("dev-rw", ""), None]:
        r = _token_call(emulator.url, auth, grant)
        assert r.status_code == 401, (auth, r.text)
        body = r.json()
        assert body["error"] == "invalid_client"
        assert set(body) == {"error", "description", "error_description"}
        assert r.headers["ININ-Correlation-Id"]
    garbage = {"Authorization": "Basic !!notbase64!!"}
    assert _token_call(emulator.url, None, grant, garbage).json()["error"] == "invalid_client"
    for data in [{"grant_type": "password"}, {}, {"grant_type": ""}]:
        r = _token_call(emulator.url, ("dev-rw", "dev-rw-demo-secret"), data)
        assert r.status_code == 400
        assert r.json()["error"] == "unsupported_grant_type"
        assert r.json()["error_description"]
    # A secret of another client is not this client's secret.
    assert _token_call(emulator.url, ("dev-rw", DEMO_CLIENTS["prod-rw"]), grant).status_code == 401


def test_every_demo_client_gets_a_token(emulator: EmulatorProcess) -> None:
    for client_id in DEMO_CLIENTS:
        assert get_token(emulator.url, client_id)


def test_missing_bad_and_malformed_bearer(emulator: EmulatorProcess) -> None:
    url = emulator.url + FLOWS
    assert_error(requests.get(url, timeout=10), 401, "authentication.required")
    basic = "Basic " + base64.b64encode(b"dev-rw:dev-rw-demo-secret").decode()
    assert_error(
        requests.get(url, headers={"Authorization": basic}, timeout=10), 401, "authentication.required"
    )
    assert_error(
        requests.get(url, headers={"Authorization": "Bearer"}, timeout=10), 401, "authentication.required"
    )
    unknown = {"Authorization": "Bearer not-a-token-we-issued"}
    assert_error(requests.get(url, headers=unknown, timeout=10), 401, "bad.credentials")
    # 401 before anything else: no rate-limit headers, no write.
    r = requests.post(url, json={"name": "x", "lifecycle_state": "draft"}, headers=unknown, timeout=10)
    assert_error(r, 401, "bad.credentials")
    assert "inin-ratelimit-count" not in r.headers
    assert Api(emulator.url).get(FLOWS).json()["total"] == 0


def test_read_only_clients_cannot_write(emulator: EmulatorProcess) -> None:
    rw, ro = Api(emulator.url, "dev-rw"), Api(emulator.url, "dev-ro")
    flow = rw.create_ok("shared")
    assert ro.flow(flow["id"]).status_code == 200
    assert ro.get(FLOWS).json()["total"] == 1
    for r in [ro.create("nope"), ro.update(flow["id"], 1, description="x"), ro.remove(flow["id"])]:
        body = assert_error(r, 403, "missing.permissions")
        assert "architect:flow:write" in body["message"]
    assert rw.flow(flow["id"]).json()["_version"] == 1


def test_organizations_are_isolated(emulator: EmulatorProcess) -> None:
    dev, staging, prod = (
        Api(emulator.url, "dev-rw"),
        Api(emulator.url, "staging-rw"),
        Api(emulator.url, "prod-ro"),
    )
    flow = dev.create_ok("Same Name")
    # The same name in another organization is no duplicate.
    other = staging.create_ok("Same Name")
    assert_error(staging.flow(flow["id"]), 404, "not.found")
    assert_error(prod.flow(flow["id"]), 404, "not.found")
    assert_error(staging.update(flow["id"], 1, description="x"), 404, "not.found")
    assert_error(staging.remove(flow["id"]), 404, "not.found")
    assert_error(staging.get(f"{FLOWS}/{flow['id']}/versions"), 404, "not.found")
    deps = "/api/v2/architect/dependencytracking/object"
    assert_error(staging.get(deps, params={"id": flow["id"]}), 404, "not.found")
    # A reference across organizations is unknown.
    r = staging.create("refs", references=[flow["id"]])
    assert_error(r, 422, "payload.or.params.invalid", ["architect.flow.reference.unknown"])
    assert [f["id"] for f in dev.get(FLOWS).json()["entities"]] == [flow["id"]]
    assert [f["id"] for f in staging.get(FLOWS).json()["entities"]] == [other["id"]]
    assert prod.get(FLOWS).json()["total"] == 0
    assert dev.flow(flow["id"]).json()["_version"] == 1


def test_token_expiry(emulator: EmulatorProcess) -> None:
    emulator.admin.set_token_lifetime(1)
    r = _token_call(emulator.url, ("dev-rw", "dev-rw-demo-secret"), {"grant_type": "client_credentials"})
    assert r.json()["expires_in"] == 1
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    deadline = time.monotonic() + 10
    statuses = []
    while time.monotonic() < deadline:
        response = requests.get(emulator.url + FLOWS, headers=headers, timeout=10)
        statuses.append(response.status_code)
        if response.status_code == 401:
            assert_error(response, 401, "credentials.expired")
            break
        time.sleep(0.1)
    assert statuses[0] == 200 and statuses[-1] == 401, statuses
    # Tokens issued before the change keep their lifetime; new ones get the new lifetime.
    emulator.admin.set_token_lifetime(3600)
    assert Api(emulator.url).get(FLOWS).status_code == 200


def test_revocation_by_client_and_all(emulator: EmulatorProcess) -> None:
    a, b, c = Api(emulator.url, "dev-rw"), Api(emulator.url, "dev-rw"), Api(emulator.url, "staging-ro")
    assert emulator.admin.revoke_tokens("dev-rw") >= 2
    assert_error(a.get(FLOWS), 401, "bad.credentials")
    assert_error(b.get(FLOWS), 401, "bad.credentials")
    assert c.get(FLOWS).status_code == 200
    assert emulator.admin.revoke_tokens("dev-rw") == 0
    fresh = Api(emulator.url, "dev-rw")
    assert fresh.get(FLOWS).status_code == 200
    assert emulator.admin.revoke_tokens() >= 2
    assert_error(fresh.get(FLOWS), 401, "bad.credentials")
    assert_error(c.get(FLOWS), 401, "bad.credentials")
    assert Api(emulator.url, "dev-rw").get(FLOWS).status_code == 200


def test_reset_keeps_tokens_valid(emulator: EmulatorProcess) -> None:
    api = Api(emulator.url)
    api.create_ok("before reset")
    emulator.admin.reset()
    assert api.get(FLOWS).json()["total"] == 0
