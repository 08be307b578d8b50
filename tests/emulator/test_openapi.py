"""The served OpenAPI document describes the real request and response shapes."""

from __future__ import annotations

import requests

from emulator.testing import EmulatorProcess


def test_openapi_document(emulator: EmulatorProcess) -> None:
    doc = requests.get(emulator.url + "/openapi.json", timeout=10).json()
    paths = doc["paths"]
    assert set(paths) == {
        "/healthz",
        "/oauth/token",
        "/api/v2/architect/flows",
        "/api/v2/architect/flows/{flowId}",
        "/api/v2/architect/flows/{flowId}/versions",
        "/api/v2/architect/flows/{flowId}/versions/{versionId}",
        "/api/v2/architect/dependencytracking/object",
    }
    assert not any(p.startswith("/_emulator") for p in paths)
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    create = schemas["FlowCreate"]
    assert create["additionalProperties"] is False
    assert set(create["required"]) == {"name", "lifecycle_state"}
    assert "id" not in create["properties"] and "_version" not in create["properties"]
    patch = schemas["FlowPatch"]
    assert patch["required"] == ["_version"] and patch["additionalProperties"] is False
    flow_schema = next(
        s for n, s in schemas.items() if n.startswith("Flow") and "dateCreated" in s.get("properties", {})
    )
    assert "_version" in flow_schema["properties"]
    assert set(schemas["ErrorBody"]["required"]) == {
        "message",
        "code",
        "status",
        "contextId",
        "details",
        "errors",
    }
    ops = {(m.upper(), p): op for p, item in paths.items() for m, op in item.items()}
    assert ops[("POST", "/api/v2/architect/flows")]["requestBody"]["content"]["application/json"][
        "schema"
    ] == {"$ref": "#/components/schemas/FlowCreate"}
    for (method, path), op in ops.items():
        for status, response in op["responses"].items():
            assert "ININ-Correlation-Id" in response.get("headers", {}), (method, path, status)
            if status.startswith(("4", "5")) and path.startswith("/api/"):
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorBody")
            assert status != "422" or method in ("POST", "PATCH"), (method, path)
        if path.startswith("/api/"):
            assert op["security"] == [{"bearerAuth": []}]
            assert {"401", "403", "429"} <= set(op["responses"])
    params = {p["name"]: p for p in ops[("GET", "/api/v2/architect/flows")]["parameters"]}
    assert params["pageSize"]["schema"]["maximum"] == 500 and params["pageSize"]["schema"]["minimum"] == 1
    assert params["sortBy"]["schema"]["enum"] == ["name", "dateModified"]
