"""Helpers for the emulator's tests: a small bearer-token client and error-body assertions."""

from __future__ import annotations

import uuid
from typing import Any

import requests

from emulator.testing import get_token

FLOWS = "/api/v2/architect/flows"


class Api:
    """A keep-alive session for one OAuth client of the emulator."""

    def __init__(self, base_url: str, client_id: str = "dev-rw") -> None:
        self.base_url = base_url
        self.client_id = client_id
        self.token = get_token(base_url, client_id)
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {self.token}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, self.base_url + path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    # -- flows --------------------------------------------------------------------------------------

    def create(self, name: str | None = None, **fields: Any) -> requests.Response:
        body: dict[str, Any] = {"name": name or f"flow-{uuid.uuid4().hex[:8]}", "lifecycle_state": "draft"}
        body.update(fields)
        return self.post(FLOWS, json=body)

    def create_ok(self, name: str | None = None, **fields: Any) -> dict[str, Any]:
        response = self.create(name, **fields)
        assert response.status_code == 201, response.text
        flow: dict[str, Any] = response.json()
        return flow

    def flow(self, flow_id: str) -> requests.Response:
        return self.get(f"{FLOWS}/{flow_id}")

    def update(self, flow_id: str, version: int, **fields: Any) -> requests.Response:
        return self.patch(f"{FLOWS}/{flow_id}", json={"_version": version, **fields})

    def update_ok(self, flow_id: str, version: int, **fields: Any) -> dict[str, Any]:
        response = self.update(flow_id, version, **fields)
        assert response.status_code == 200, response.text
        flow: dict[str, Any] = response.json()
        return flow

    def remove(self, flow_id: str, version: int | None = None) -> requests.Response:
        params = {} if version is None else {"version": version}
        return self.delete(f"{FLOWS}/{flow_id}", params=params)


def assert_error(
    response: requests.Response, status: int, code: str, error_codes: list[str] | None = None
) -> dict[str, Any]:
    """The contract's ErrorBody, with `contextId` equal to the ININ-Correlation-Id header."""
    assert response.status_code == status, f"{response.status_code} {response.text[:1000]}"
    assert response.headers["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) == {"message", "code", "status", "contextId", "details", "errors"}, body
    assert body["code"] == code, body
    assert body["status"] == status
    assert isinstance(body["message"], str) and body["message"]
    assert body["errors"] == []
    assert body["contextId"] == response.headers["ININ-Correlation-Id"]
    uuid.UUID(body["contextId"])
    for d in body["details"]:
        assert set(d) == {"errorCode", "fieldName", "entityId", "entityName"}, d
        assert all(isinstance(v, str) for v in d.values())
    if error_codes is not None:
        assert sorted(d["errorCode"] for d in body["details"]) == sorted(error_codes), body["details"]
    return body


def detail_fields(body: dict[str, Any], error_code: str | None = None) -> list[str]:
    return [d["fieldName"] for d in body["details"] if error_code is None or d["errorCode"] == error_code]
