"""The error hierarchy (provider/errors.py): status mapping and messages."""

from __future__ import annotations

import pytest

from provider.errors import (
    ArchitectError,
    AuthError,
    ConflictError,
    ForbiddenError,
    GoneError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    ValidationError,
    error_from_response,
)


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (401, "bad.credentials", AuthError),
        (403, "missing.permissions", ForbiddenError),
        (404, "not.found", NotFoundError),
        (410, "architect.flow.deleted", GoneError),
        (409, "general.resource.conflict", ConflictError),
        (409, "architect.flow.name.duplicate", ConflictError),
        (422, "payload.or.params.invalid", ValidationError),
        (400, "bad.request", ValidationError),
        (429, "too.many.requests.retry.after", RateLimitedError),
        (503, "service.unavailable", ServerError),
        (418, "teapot", ArchitectError),
    ],
)
def test_error_mapping(status, code, cls):
    body = {"message": "boom", "code": code, "status": status, "contextId": "ctx-1", "details": []}
    err = error_from_response(status, body, method="GET", path="/x", correlation_id="corr-1")
    assert type(err) is cls
    assert err.status == status and err.code == code and err.correlation_id == "corr-1"
    text = str(err)
    assert code in text and "corr-1" in text and "boom" in text
    assert isinstance(err, ArchitectError)
    assert issubclass(GoneError, NotFoundError)


def test_in_use_conflict_lists_consumers_and_422_lists_problems():
    details = [
        {"errorCode": "architect.flow.in.use", "fieldName": "", "entityId": "c1", "entityName": "Caller"}
    ]
    body = {"message": "in use", "code": "architect.flow.in.use", "status": 409, "details": details}
    err = error_from_response(409, body, method="DELETE", path="/f", correlation_id=None)
    assert isinstance(err, ConflictError)
    assert [c.entityName for c in err.consumers] == ["Caller"]
    assert "Caller" in str(err)
    details = [
        {"errorCode": "architect.flow.block.id.duplicate", "fieldName": "blocks[1].id", "entityName": "x"}
    ]
    body = {"message": "dup", "code": "payload.or.params.invalid", "status": 422, "details": details}
    err = error_from_response(422, body, method="POST", path="/f", correlation_id="c")
    assert isinstance(err, ValidationError)
    assert err.problems[0].rule == "architect.flow.block.id.duplicate"
    assert err.problems[0].field == "blocks[1].id"


def test_non_json_error_body():
    err = error_from_response(502, None, method="GET", path="/x", correlation_id=None)
    assert isinstance(err, ServerError) and "HTTP 502" in str(err)
