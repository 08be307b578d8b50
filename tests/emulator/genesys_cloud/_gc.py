"""Helpers for the real-platform routes' tests: a bearer client for `/api/v2/flows`, the SDK fidelity
check (every answer parses with the official SDK's model, no unknown key, no unknown enum value),
Archy YAML samples, and bounded polling."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import requests

from tests.support import sdk_oracle  # noqa: F401  (the SDK's configuration first: no watcher)

# isort: split
from PureCloudPlatformClientV2 import ApiClient
from PureCloudPlatformClientV2 import models as sdk_models

from emulator.testing import get_token

FLOWS = "/api/v2/flows"
DEPS = "/api/v2/architect/dependencytracking"
T = TypeVar("T")

_PRIMITIVES = {"str", "int", "bool", "float", "datetime", "date", "object"}


def check_sdk(data: Any, type_name: str, path: str = "$") -> Any:
    """Assert `data` is exactly the SDK model `type_name` and return the SDK's deserialized object."""
    _walk(data, type_name, path)
    return ApiClient()._ApiClient__deserialize(data, type_name)  # type: ignore[attr-defined]


def _walk(data: Any, type_name: str, path: str) -> None:
    if data is None:
        return
    if type_name.startswith("list["):
        assert isinstance(data, list), f"{path}: expected a list for {type_name}"
        for i, item in enumerate(data):
            _walk(item, type_name[5:-1], f"{path}[{i}]")
        return
    if type_name.startswith("dict("):
        assert isinstance(data, dict), f"{path}: expected an object for {type_name}"
        inner = type_name[type_name.index(",") + 1 : -1].strip()
        for key, value in data.items():
            _walk(value, inner, f"{path}.{key}")
        return
    if type_name in _PRIMITIVES:
        if type_name == "str":
            assert isinstance(data, str), f"{path}: expected a string, got {data!r}"
        elif type_name == "int":
            assert isinstance(data, int) and not isinstance(data, bool), (
                f"{path}: expected an int, got {data!r}"
            )
        elif type_name == "bool":
            assert isinstance(data, bool), f"{path}: expected a bool, got {data!r}"
        elif type_name == "datetime":
            assert isinstance(data, str), f"{path}: expected an ISO-8601 string"
            datetime.fromisoformat(data.replace("Z", "+00:00"))
        return
    model = getattr(sdk_models, type_name)()
    assert isinstance(data, dict), f"{path}: expected an object for {type_name}, got {data!r}"
    attributes = {json_key: attr for attr, json_key in model.attribute_map.items()}
    for key, value in data.items():
        assert key in attributes, f"{path}.{key}: the SDK's {type_name} has no such key"
        attr = attributes[key]
        field_type = model.swagger_types[attr]
        _walk(value, field_type, f"{path}.{key}")
        if field_type == "str" and value is not None:
            setattr(model, attr, value)  # enum setters map unknown values to "outdated_sdk_version"
            assert getattr(model, attr) == value, f"{path}.{key}: {value!r} is not a value the SDK allows"


def sdk_body(model_name: str, **attributes: Any) -> Any:
    """A request body built with an SDK model (its setters validate), as the SDK would send it."""
    model = getattr(sdk_models, model_name)()
    for attr, value in attributes.items():
        setattr(model, attr, value)
    return ApiClient().sanitize_for_serialization(model)


def poll(fn: Callable[[], T | None], *, timeout: float = 10.0, what: str = "condition") -> T:
    """Call `fn` until it returns something other than None, within a bounded deadline."""
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        result = fn()
        if result is not None:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def unique(prefix: str = "flow") -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def archy(key: str, name: str, *, body: str = "") -> str:
    return f"{key}:\n  name: {name}\n  description: made by a test\n{body}"


def calls_module(module: str) -> str:
    return (
        "  startUpRef: ./menus/menu[Main]\n"
        "  tasks:\n"
        "    - task:\n"
        "        actions:\n"
        "          - callCommonModule:\n"
        "              name: Call it\n"
        "              commonModule:\n"
        f"                {module}:\n"
        "                  ver_latestPublished: {}\n"
    )


def transfers_to(target: str, secure: bool = False) -> str:
    action = "transferToFlowSecure" if secure else "transferToFlow"
    return f"  actions:\n    - {action}:\n        targetFlow:\n          name: {target}\n"


class Gc:
    """A keep-alive session of one OAuth client on the real-platform routes."""

    def __init__(self, base_url: str, client_id: str = "dev-rw") -> None:
        self.base_url = base_url
        self.client_id = client_id
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {get_token(base_url, client_id)}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, self.base_url + path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def ok(self, response: requests.Response, model: str | None = None, status: int = 200) -> Any:
        assert response.status_code == status, f"{response.status_code} {response.text[:1000]}"
        if model is None:
            return None
        body = response.json()
        check_sdk(body, model)
        return body

    # -- flows and actions --------------------------------------------------------------------------

    def create(
        self, name: str | None = None, flow_type: str = "INBOUNDCALL", **fields: Any
    ) -> dict[str, Any]:
        body = {"name": name or unique(), "type": flow_type, **fields}
        return dict(self.ok(self.post(FLOWS, json=body), "Flow"))

    def flow(self, flow_id: str) -> dict[str, Any]:
        return dict(self.ok(self.get(f"{FLOWS}/{flow_id}"), "Flow"))

    def action(self, name: str, flow_id: str, **params: Any) -> requests.Response:
        return self.post(f"{FLOWS}/actions/{name}", params={"flow": flow_id, **params})

    def wait_idle(self, flow_id: str) -> dict[str, Any]:
        def done() -> dict[str, Any] | None:
            flow = self.flow(flow_id)
            op = flow.get("currentOperation")
            return flow if op is None or op["complete"] else None

        return poll(done, what=f"the operation on flow {flow_id}")

    # -- jobs ---------------------------------------------------------------------------------------

    def register_job(self, create_stubs: bool | None = None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        if create_stubs is not None:
            kwargs["json"] = {"createStubs": create_stubs}
        return dict(self.ok(self.post(f"{FLOWS}/jobs", **kwargs), "RegisterArchitectJobResponse"))

    def upload(
        self, job: dict[str, Any], text: str, headers: dict[str, str] | None = None
    ) -> requests.Response:
        sent = job["headers"] if headers is None else headers
        return requests.put(job["presignedUrl"], data=text.encode("utf-8"), headers=sent, timeout=30)

    def job(self, job_id: str) -> dict[str, Any]:
        response = self.get(f"{FLOWS}/jobs/{job_id}", params={"expand": "messages"})
        return dict(self.ok(response, "ArchitectJobStateResponse"))

    def wait_job(self, job_id: str) -> dict[str, Any]:
        def done() -> dict[str, Any] | None:
            job = self.job(job_id)
            return job if job["status"] in ("Success", "Failure") else None

        return poll(done, what=f"job {job_id}")

    def deploy(self, text: str, create_stubs: bool | None = None) -> dict[str, Any]:
        """Register, upload and wait: the finished job state."""
        job = self.register_job(create_stubs)
        self.ok(self.upload(job, text))
        return self.wait_job(job["id"])

    def deploy_ok(self, text: str, create_stubs: bool | None = None) -> dict[str, Any]:
        job = self.deploy(text, create_stubs)
        assert job["status"] == "Success", job
        return self.flow(job["flow"]["id"])

    def export(self, *flows: dict[str, Any]) -> requests.Response:
        body = {"flows": [{"flow": f, "exportType": "Yaml"} for f in flows]}
        registered = self.ok(
            self.post(f"{FLOWS}/export/jobs", json=body), "RegisterArchitectExportJobResponse"
        )

        def done() -> dict[str, Any] | None:
            state = self.ok(
                self.get(f"{FLOWS}/export/jobs/{registered['id']}", params={"expand": "messages"}),
                "ArchitectExportJobStateResponse",
            )
            return state if state["status"] in ("Success", "Failure") else None

        state = poll(done, what="the export job")
        assert state["status"] == "Success", state
        return requests.get(state["downloadUrl"], timeout=30)


def assert_gc_error(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    """A real-platform ErrorBody: parses as the SDK's ErrorBody, contextId = ININ-Correlation-Id."""
    assert response.status_code == status, f"{response.status_code} {response.text[:1000]}"
    body: dict[str, Any] = response.json()
    check_sdk(body, "ErrorBody")
    assert body["code"] == code, body
    assert body["status"] == status
    assert body["contextId"] == response.headers["ININ-Correlation-Id"]
    return body
