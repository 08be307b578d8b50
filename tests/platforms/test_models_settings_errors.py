"""Models (wire names), settings (regions, env, messages) and the error hierarchy."""

from __future__ import annotations

import pydantic
import pytest

from provider.domain.models import MANAGED_FIELDS, Block, Flow, FlowFields, FlowType, LifecycleState
from provider.errors import (
    ArchitectError,
    AuthError,
    ConfigurationError,
    ConflictError,
    ForbiddenError,
    GoneError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    ValidationError,
    error_from_response,
)
from provider.platforms.http.settings import (
    ENV_API_URL,
    ENV_CLIENT_ID,
    ENV_CLIENT_SECRET,
    ENV_REGION,
    REGIONS,
    ConnectionSettings,
)

WIRE_FLOW = {
    "id": "5b1c3a4e-0000-4000-8000-000000000001",
    "name": "Customer Routing Flow",
    "description": "",
    "type": "INBOUNDCALL",
    "lifecycle_state": "draft",
    "_version": 3,
    "blocks": [
        {"id": "root", "type": "routing", "children": [{"id": "xfer", "type": "transfer", "reference": "f2"}]}
    ],
    "references": ["f2"],
    "dateCreated": "2026-11-28T10:00:00.000Z",
    "dateModified": "2026-11-28T10:05:00.000Z",
    "selfUri": "/api/v2/architect/flows/5b1c3a4e-0000-4000-8000-000000000001",
}


def test_flow_parses_and_serializes_with_wire_names():
    flow = Flow.model_validate(WIRE_FLOW)
    assert flow.version == 3
    assert flow.type is FlowType.INBOUNDCALL
    assert flow.lifecycle_state is LifecycleState.DRAFT
    assert flow.blocks[0].children[0].reference == "f2"
    out = flow.to_json()
    assert out["_version"] == 3 and "version" not in out
    assert out["lifecycle_state"] == "draft"
    assert Flow.model_validate(out) == flow


def test_flow_ignores_unknown_response_fields_but_fields_reject_typos():
    Flow.model_validate({**WIRE_FLOW, "somethingNew": 1})
    with pytest.raises(pydantic.ValidationError):
        FlowFields.model_validate({"name": "x", "lifecycle_state": "draft", "refrences": []})


def test_to_wire_has_exactly_the_managed_fields():
    fields = FlowFields(name="a", lifecycle_state=LifecycleState.PUBLISHED, blocks=[Block(id="b", type="t")])
    wire = fields.to_wire()
    assert tuple(wire) == MANAGED_FIELDS
    assert wire["type"] == "INBOUNDCALL" and wire["lifecycle_state"] == "published"
    assert wire["blocks"] == [{"id": "b", "type": "t", "children": []}]
    assert Flow.model_validate(WIRE_FLOW).to_fields().to_wire()["references"] == ["f2"]


def test_the_contract_has_19_types():
    assert len(FlowType) == 21 and len(LifecycleState) == 3


def test_all_regions_of_the_contract():
    assert len(REGIONS) == 18
    assert REGIONS["us-east-1"] == "mypurecloud.com"
    assert REGIONS["eusc-de-east-1"] == "edee1.eusc-pure.cloud"
    assert REGIONS["ap-southeast-2"] == "mypurecloud.com.au"


def test_region_resolves_to_api_and_login_hosts():
    s = ConnectionSettings.resolve(region="eu-central-1", client_id="id", client_secret="secret", env={})
    assert s.api_base_url == "https://api.mypurecloud.de"
    assert s.login_base_url == "https://login.mypurecloud.de"
    assert s.region == "eu-central-1"


def test_environment_variables_and_arguments_win():
    env = {ENV_CLIENT_ID: "env-id", ENV_CLIENT_SECRET: "env-secret", ENV_REGION: "us-west-2"}
    s = ConnectionSettings.resolve(env=env)
    assert (s.client_id, s.client_secret, s.api_base_url) == (
        "env-id",
        "env-secret",
        "https://api.usw2.pure.cloud",
    )
    s = ConnectionSettings.resolve(client_id="arg-id", region="ca-central-1", env=env)
    assert s.client_id == "arg-id" and s.api_base_url == "https://api.cac1.pure.cloud"


def test_api_url_overrides_region_and_serves_login_too():
    env = {
        ENV_CLIENT_ID: "i",
        ENV_CLIENT_SECRET: "s",
        ENV_REGION: "us-east-1",
        ENV_API_URL: "http://127.0.0.1:8099/",
    }
    s = ConnectionSettings.resolve(env=env)
    assert s.api_base_url == s.login_base_url == "http://127.0.0.1:8099"


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({ENV_CLIENT_SECRET: "s", ENV_REGION: "us-east-1"}, ENV_CLIENT_ID),
        ({ENV_CLIENT_ID: "i", ENV_REGION: "us-east-1"}, ENV_CLIENT_SECRET),
        ({ENV_CLIENT_ID: "i", ENV_CLIENT_SECRET: "s"}, ENV_REGION),
        ({ENV_CLIENT_ID: "i", ENV_CLIENT_SECRET: "s"}, ENV_API_URL),
        ({ENV_CLIENT_ID: " ", ENV_CLIENT_SECRET: "s", ENV_REGION: "us-east-1"}, ENV_CLIENT_ID),
    ],
)
def test_missing_setting_names_the_variable(env, needle):
    with pytest.raises(ConfigurationError) as info:
        ConnectionSettings.resolve(env=env)
    assert needle in str(info.value)


def test_unknown_region_lists_the_valid_ones():
    with pytest.raises(ConfigurationError) as info:
        ConnectionSettings.resolve(region="mars-north-1", client_id="i", client_secret="s", env={})
    message = str(info.value)
    assert "mars-north-1" in message and ENV_REGION in message
    assert all(region in message for region in REGIONS)


def test_bad_api_url():
    with pytest.raises(ConfigurationError, match=ENV_API_URL):
        ConnectionSettings.resolve(api_url="ftp:/nowhere", client_id="i", client_secret="s", env={})


def test_secret_is_not_in_repr():
    s = ConnectionSettings.resolve(region="us-east-1", client_id="i", client_secret="TOPSECRET", env={})
    assert "TOPSECRET" not in repr(s) and "TOPSECRET" not in str(s)


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
