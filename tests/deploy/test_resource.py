"""The dynamic provider's logic, called directly: check, diff, read's input reconstruction, and the
error handling of create/update/delete (against a fake client: no engine, no network)."""

from __future__ import annotations

import base64
import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config as DynamicConfig
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

from provider.deploy import resource as fr
from provider.deploy.config import StackConfigError
from provider.deploy.inputs import BLOCKS_SHA_KEY, UNKNOWN_BASE_BLOCKS, content_sha, slim
from provider.deploy.resource import FlowProvider, FlowProviderError, inputs_from_flow
from provider.errors import ConflictError, ErrorDetail, GoneError, MergeConflictError, NotFoundError
from provider.governance.audit import AuditLog
from provider.governance.intents import IntentJournal
from provider.platforms.architecture_api.models import Flow as ApiFlow
from provider.platforms.architecture_api.models import to_flow_fields
from provider.platforms.architecture_api.platform import ArchitectureApiPlatform, live_flow

CONNECTION = {
    "apiUrl": "http://127.0.0.1:1",
    "clientId": "dev-rw",
    "clientSecret": "dev-rw-demo-secret",
    "conflictPolicy": "merge",
    "stack": "unit",
}


def inputs(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "Main IVR",
        "description": "entry",
        "type": "INBOUNDCALL",
        "lifecycle_state": "published",
        "references": ["menu", "greeting"],
        "blocks": [
            {"id": "g", "type": "call", "reference": "greeting"},
            {"id": "m", "type": "menu", "children": [{"id": "x", "type": "call", "reference": "menu"}]},
        ],
        "referenceIds": {"menu": "id-menu", "greeting": "id-greeting"},
        "flowKey": "main-ivr",
        "__connection": dict(CONNECTION),
    }
    base.update(overrides)
    return base


def outputs(**overrides: Any) -> dict[str, Any]:
    out = fr.normalize_inputs(inputs())
    out.update(
        {
            "flowId": "id-main",
            "version": 3,
            "lifecycleState": "published",
            "dateModified": "2026-01-01T00:00:00.000Z",
            "selfUri": "/api/v2/architect/flows/id-main",
            "__provider": "serialized",
            "__connection": dict(CONNECTION),  # as states written before it was dropped hold it
        }
    )
    out.update(overrides)
    return out


def live(**overrides: Any) -> ApiFlow:
    data = to_flow_fields(fr.to_document(inputs()), fr.reference_ids(inputs())).to_wire()
    data.update({"id": "id-main", "_version": 3, "dateModified": "2026-01-02T00:00:00.000Z"})
    data["selfUri"] = "/api/v2/architect/flows/id-main"
    data.update(overrides)
    return ApiFlow.model_validate(data)


provider = FlowProvider()


# -------------------------------------------------------------------------------------------- check


def test_check_accepts_a_valid_flow_and_normalizes_it():
    news = inputs(description=None, blocks=[{"id": "a", "type": "t", "children": [], "reference": None}])
    news["references"] = []
    news["referenceIds"] = {}
    result = provider.check({}, news)
    assert result.failures == []
    assert result.inputs["description"] == ""
    assert result.inputs["blocks"] == [{"id": "a", "type": "t"}]


def test_check_names_the_property_and_the_rule():
    news = inputs(
        name="  ",
        blocks=[{"id": "a", "type": "t", "children": [{"id": "a", "type": "t", "reference": "other"}]}],
    )
    failures = {f.property: f.reason for f in provider.check({}, news).failures}
    assert failures["name"].startswith("architect.flow.field.required")
    assert failures["blocks[0].children[0].id"].startswith("architect.flow.block.id.duplicate")
    assert failures["blocks[0].children[0].reference"].startswith("architect.flow.reference.undeclared")
    assert all("main-ivr" in reason for reason in failures.values())


def test_check_skips_what_is_not_known_yet():
    for unknown in (Unknown(), UNKNOWN):
        news = inputs(referenceIds={"menu": unknown, "greeting": "id-greeting"})
        assert provider.check({}, news).failures == []
        news = inputs(referenceIds=unknown, name=unknown)
        assert provider.check({}, news).failures == []


def test_check_flags_a_reference_without_an_id():
    failures = provider.check({}, inputs(referenceIds={"menu": "id-menu"})).failures
    assert [(f.property, f.reason.split(":")[0]) for f in failures] == [
        ("references[1]", "architect.flow.reference.unknown")
    ]


def test_check_applies_the_lifecycle_rules_against_the_state():
    rule = "architect.flow.lifecycle.transition.invalid"
    created_archived = provider.check({}, inputs(lifecycle_state="archived")).failures
    assert [(f.property, f.reason.split(":")[0]) for f in created_archived] == [("lifecycle_state", rule)]
    olds = inputs(lifecycle_state="archived")
    back = provider.check(olds, inputs(lifecycle_state="published")).failures
    assert [(f.property, f.reason.split(":")[0]) for f in back] == [("lifecycle_state", rule)]
    assert "cannot go from archived to published" in back[0].reason
    assert provider.check(olds, inputs(lifecycle_state="draft")).failures == []

    assert provider.check(inputs(), inputs(lifecycle_state="archived")).failures == []
    # A type change replaces the flow: the new one is a create.
    assert provider.check(olds, inputs(lifecycle_state="published", type="WORKFLOW")).failures == []
    # A state holding no known lifecycle state is checked as a create (as before: no transition).
    assert provider.check(inputs(lifecycle_state="gone"), inputs(lifecycle_state="published")).failures == []
    assert provider.check(inputs(lifecycle_state=["x"]), inputs(lifecycle_state="published")).failures == []


def test_check_applies_the_genesys_cloud_rules_that_need_no_archy():
    """On genesys-cloud the check has no Architecture API rule, but its own: no archived state, no
    block tree (both refused at preview, naming the field, not only at the write)."""
    connection = {**CONNECTION, "platform": "genesys-cloud"}
    archy = "inboundCall:\n  name: Main IVR\n"
    news = inputs(lifecycle_state="archived", archy=archy, references=[], referenceIds={})
    news["__connection"] = connection
    failures = [(f.property, f.reason.split(":")[0]) for f in provider.check({}, news).failures]
    assert failures == [
        ("lifecycle_state", "genesys.flow.lifecycle.archived.unsupported"),
        ("blocks", "genesys.flow.blocks.unsupported"),
    ]
    news.update(lifecycle_state="published", blocks=[])
    assert provider.check({}, news).failures == []


def test_the_pickled_provider_names_no_module_but_its_own():
    """Deployed states hold the provider pickled by reference: a module that moves (the wire models
    left the domain for their platform package) must not be in it."""
    pickled = base64.b64decode(serialize_provider(FlowProvider("dev")))
    assert set(re.findall(rb"provider\.[A-Za-z_.]+", pickled)) == {b"provider.deploy.resource"}


def test_check_applies_the_platform_rules():
    failures = provider.check({}, inputs(type="EMAILSEND")).failures
    assert [(f.property, f.reason.split(":")[0]) for f in failures] == [
        ("type", "architect.flow.field.invalid")
    ]
    assert "not supported by the architecture-api platform" in failures[0].reason


# --------------------------------------------------------------------------------------------- diff


@pytest.fixture(params=["slim", "written-before"])
def olds_of(request: pytest.FixtureRequest) -> Any:
    """Previous outputs as this code writes them (slim) and as states written before hold them (the
    content in full, a `__connection`): diff and update must read both."""
    if request.param == "slim":
        return lambda **overrides: slim(outputs(**overrides))
    return outputs


def test_outputs_hold_a_sha256_for_the_blocks_and_nothing_unread(fake):
    fake(create_flow=live(_version=1))
    outs = provider.create(inputs()).outs
    assert outs is not None
    assert set(outs) == {
        *("name", "description", "type", "lifecycle_state", "references", "referenceIds", "flowKey"),
        *("flowId", "version", "lifecycleState", "dateModified", "selfUri"),
        BLOCKS_SHA_KEY,
    }
    assert outs[BLOCKS_SHA_KEY] == content_sha("blocks", inputs()["blocks"])
    assert slim(outputs()) == {k: v for k, v in outs.items() if k != "dateModified"} | {
        "version": 3,
        "dateModified": "2026-01-01T00:00:00.000Z",
        "__provider": "serialized",
    }
    # An empty block tree is left out (absent is empty).
    assert BLOCKS_SHA_KEY not in slim(outputs(blocks=[]))
    assert provider.diff("id-main", slim(outputs(blocks=[])), inputs(blocks=[])).changes is False
    assert provider.diff("id-main", slim(outputs(blocks=[])), inputs()).changes is True


def test_diff_no_changes_and_internal_keys_never_diff(olds_of):
    assert provider.diff("id-main", olds_of(), inputs()).changes is False
    news = inputs(flowKey="renamed-key", __connection={**CONNECTION, "clientSecret": "rotated"})
    olds = olds_of(version=99, dateModified="later", selfUri="x", __provider="other")
    result = provider.diff("id-main", olds, news)
    assert result.changes is False
    assert result.replaces == []


def test_diff_a_rename_is_an_update(olds_of):
    result = provider.diff("id-main", olds_of(), inputs(name="Main IVR v2"))
    assert result.changes is True and result.replaces == []
    assert "flowId" in (result.stables or [])


def test_diff_a_type_change_is_a_replacement(olds_of):
    result = provider.diff("id-main", olds_of(), inputs(type="WORKFLOW"))
    assert result.changes is True and result.replaces == ["type"]
    assert result.delete_before_replace is False


def test_diff_blocks_and_reference_ids(olds_of):
    blocks = copy.deepcopy(inputs()["blocks"])
    blocks[1]["children"][0]["type"] = "transfer"
    assert provider.diff("id-main", olds_of(), inputs(blocks=blocks)).changes is True
    assert fr.changed_fields(olds_of(), inputs(blocks=blocks)) == ["blocks"]
    assert fr.changed_fields(olds_of(), inputs(blocks=Unknown())) == ["blocks"]
    moved = inputs(referenceIds={"menu": "id-new-menu", "greeting": "id-greeting"})
    assert provider.diff("id-main", olds_of(), moved).changes is True
    pending = inputs(referenceIds={"menu": Unknown(), "greeting": "id-greeting"})
    assert provider.diff("id-main", olds_of(), pending).changes is True
    # references are a set; block order is not
    assert provider.diff("id-main", olds_of(), inputs(references=["greeting", "menu"])).changes is False
    assert provider.diff("id-main", olds_of(), inputs(blocks=blocks[::-1])).changes is True


def test_diff_treats_defaults_as_equal(olds_of):
    olds = olds_of(description="", blocks=[{"id": "a", "type": "t"}])
    news = inputs(description=None, blocks=[{"id": "a", "type": "t", "children": [], "reference": None}])
    assert provider.diff("id-main", olds, news).changes is False


# --------------------------------------------------------------------------------------------- read


def test_read_rebuilds_inputs_from_the_live_flow():
    flow = live(description="changed in the org")
    rebuilt = inputs_from_flow(live_flow(flow), outputs())
    assert rebuilt["description"] == "changed in the org"
    assert rebuilt["references"] == ["menu", "greeting"]
    assert rebuilt["blocks"][1]["children"][0]["reference"] == "menu"
    assert rebuilt["referenceIds"] == {"menu": "id-menu", "greeting": "id-greeting"}
    assert rebuilt["flowKey"] == "main-ivr" and "__connection" not in rebuilt
    # the next diff against the definition shows exactly the drift
    assert fr.changed_fields(fr.outputs(rebuilt, live_flow(flow)), inputs()) == ["description"]


def test_read_keeps_an_id_it_does_not_know():
    flow = live(references=["id-menu", "id-greeting", "id-stranger"])
    rebuilt = inputs_from_flow(live_flow(flow), outputs())
    assert rebuilt["references"] == ["menu", "greeting", "id-stranger"]
    assert rebuilt["referenceIds"]["id-stranger"] == "id-stranger"
    assert set(fr.changed_fields(rebuilt, inputs())) == {"references", "referenceIds"}


class FakeClient:
    def __init__(self, **behaviour: Any) -> None:
        self.behaviour = behaviour
        self.calls: list[tuple[str, Any]] = []

    def _do(self, name: str, *args: Any) -> Any:
        self.calls.append((name, args))
        outcome = self.behaviour.get(name)
        if isinstance(outcome, list):
            outcome = outcome.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def get_flow(self, flow_id: str) -> Any:
        return self._do("get_flow", flow_id)

    def create_flow(self, fields: Any) -> Any:
        return self._do("create_flow", fields)

    def find_flow(self, name: str, type: Any) -> Any:
        return self._do("find_flow", name, type)

    def update_flow(self, flow_id: str, desired: Any, *, base: Any, policy: Any = None) -> Any:
        return self._do("update_flow", flow_id, desired, base, policy)

    def delete_flow(self, flow_id: str, **kwargs: Any) -> Any:
        return self._do("delete_flow", flow_id)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    journal = IntentJournal(AuditLog(tmp_path / "audit.jsonl", "unit"))
    monkeypatch.setattr(fr, "journal_of", lambda props: journal)

    def install(**behaviour: Any) -> FakeClient:
        client = FakeClient(**behaviour)
        platform = ArchitectureApiPlatform(client)  # type: ignore[arg-type]
        monkeypatch.setattr(fr, "get_platform", lambda props: platform)
        return client

    return install


def test_read_of_a_flow_that_is_gone_drops_it(fake):
    for error in (NotFoundError("nope", status=404), GoneError("deleted", status=410)):
        fake(get_flow=error)
        result = provider.read("id-main", outputs())
        assert not result.id


def test_read_returns_outputs_and_inputs(fake):
    fake(get_flow=live(name="Renamed in the org", _version=7))
    result = provider.read("id-main", outputs())
    assert result.id == "id-main"
    assert result.outs is not None and result.inputs is not None
    assert result.outs["version"] == 7 and result.outs["name"] == "Renamed in the org"
    assert result.inputs["name"] == "Renamed in the org"
    assert "version" not in result.inputs
    # The outputs are stored slim; the refreshed inputs keep the live block tree.
    assert "blocks" not in result.outs and result.inputs["blocks"] == inputs()["blocks"]
    assert fr.changed_fields(result.outs, result.inputs) == []


# ------------------------------------------------------------------------------ create/update/delete


def test_create_sends_ids_and_returns_the_outputs(fake):
    client = fake(create_flow=live(_version=1))
    result = provider.create(inputs())
    fields = client.calls[0][1][0]
    assert fields.references == ["id-menu", "id-greeting"]
    assert fields.blocks[1].children[0].reference == "id-menu"
    assert result.id == "id-main"
    assert result.outs is not None
    assert {k: result.outs[k] for k in ("flowId", "version", "lifecycleState")} == {
        "flowId": "id-main",
        "version": 1,
        "lifecycleState": "published",
    }
    assert result.outs["references"] == ["menu", "greeting"]


def test_create_refuses_to_adopt_an_existing_flow(fake):
    duplicate = ConflictError("dup", status=409, code="architect.flow.name.duplicate")
    fake(create_flow=duplicate, find_flow=live(id="id-existing"))
    with pytest.raises(FlowProviderError) as error:
        provider.create(inputs())
    message = str(error.value)
    assert "already exists" in message and "id-existing" in message and "archctl import" in message


def test_update_patches_from_the_state_with_the_stack_policy(fake, olds_of):
    client = fake(update_flow=live(_version=4, name="Main IVR v2"))
    news = inputs(name="Main IVR v2", __connection={**CONNECTION, "conflictPolicy": "overwrite"})
    result = provider.update("id-main", olds_of(), news)
    _name, (flow_id, desired, base, policy) = client.calls[0]
    assert flow_id == "id-main" and policy == "overwrite"
    assert base.version == 3 and base.name == "Main IVR" and base.references == ["id-menu", "id-greeting"]
    # Unchanged blocks are the base's (slim outputs: by their sha256), so the PATCH leaves them out.
    assert base.blocks[1].children[0].reference == "id-menu"
    assert base.to_fields().to_wire()["blocks"] == desired.to_wire()["blocks"]
    assert desired.name == "Main IVR v2"
    assert result.outs is not None and result.outs["version"] == 4
    assert "blocks" not in result.outs and BLOCKS_SHA_KEY in result.outs


def test_update_of_the_blocks_from_slim_outputs_sends_them(fake):
    client = fake(update_flow=live(_version=4))
    blocks = copy.deepcopy(inputs()["blocks"])
    blocks[1]["children"][0]["type"] = "transfer"
    provider.update("id-main", slim(outputs()), inputs(blocks=blocks))
    _name, (_flow_id, desired, base, _policy) = client.calls[0]
    # The old tree is not in the state: the base's is one no definition has, so blocks differ.
    assert [b.id for b in base.blocks] == [b["id"] for b in UNKNOWN_BASE_BLOCKS]
    assert base.to_fields().to_wire()["blocks"] != desired.to_wire()["blocks"]
    assert base.name == desired.name and base.references == desired.references


def test_update_conflict_names_the_fields(fake):
    conflict = MergeConflictError("both changed", fields={"blocks": ([], [])}, status=409)
    fake(update_flow=conflict)
    with pytest.raises(FlowProviderError) as error:
        provider.update("id-main", outputs(), inputs(name="x"))
    assert "blocks" in str(error.value) and "main-ivr" in str(error.value)


def test_an_old_states_connection_is_never_diffed_and_dropped_on_the_next_write(fake):
    old = outputs()
    assert "__connection" in old
    news = {k: v for k, v in inputs().items() if k != "__connection"}
    assert not provider.diff("id-main", old, news).changes
    fake(update_flow=live(name="Main IVR v2", _version=4))
    result = provider.update("id-main", old, {**news, "name": "Main IVR v2"})
    assert result.outs is not None and "__connection" not in result.outs


def test_a_write_is_preceded_by_its_intent_and_followed_by_its_outcome(fake, tmp_path: Path):
    fake(update_flow=live(_version=4))
    provider.update("id-main", outputs(), inputs(name="Main IVR v2"))
    lines = (tmp_path / "audit.jsonl").read_text().splitlines()
    events = [json.loads(line)["event"] for line in lines]
    assert events == ["intent", "intent_outcome"]
    assert json.loads(lines[1])["outcome"] == "success"


def test_delete_gone_is_success_and_in_use_names_the_consumers(fake):
    fake(delete_flow=GoneError("gone", status=410))
    provider.delete("id-main", outputs())
    fake(delete_flow=NotFoundError("missing", status=404))
    provider.delete("id-main", outputs())
    in_use = ConflictError(
        "in use",
        status=409,
        code="architect.flow.in.use",
        details=[ErrorDetail(errorCode="architect.flow.in.use", entityId="id-x", entityName="Billing Menu")],
    )
    fake(delete_flow=in_use)
    with pytest.raises(FlowProviderError) as error:
        provider.delete("id-main", outputs())
    assert "Billing Menu (id-x)" in str(error.value) and "architect.flow.in.use" in str(error.value)


# ----------------------------------------------------------------------------------------- plumbing


def test_the_provider_instance_holds_only_the_stack_name():
    assert vars(FlowProvider("dev")) == {"stack": "dev"}


def test_connection_settings_fall_back_to_the_environment():
    env = {"GENESYSCLOUD_OAUTHCLIENT_SECRET": "from-env", "GENESYSCLOUD_REGION": "eu-west-1"}
    settings = fr.connection_settings({"__connection": {"clientId": "c"}}, env=env)
    assert settings.client_secret == "from-env"
    assert settings.api_base_url == "https://api.mypurecloud.ie"
    assert "from-env" not in repr(settings)


@pytest.fixture
def configured():
    """Calls the provider's `configure` as the engine does, and forgets the stack config afterwards."""

    def configure(values: dict[str, Any]) -> None:
        raw = {f"genesys-flows:{key}": value for key, value in values.items()}
        provider.configure(ConfigureRequest(DynamicConfig(raw_config=raw, project_name="genesys-flows")))

    yield configure
    fr._stack_connection.clear()


def test_the_current_stack_config_wins_over_the_connection_in_the_state(configured):
    # A secret rotated (or an org moved) in the stack config must reach refresh and destroy, which
    # only see the connection stored in the state by the last create or update.
    configured({"clientSecret": "rotated-secret", "region": "eu-west-1", "conflictPolicy": "overwrite"})
    settings = fr.connection_settings(outputs(), env={})
    assert settings.client_secret == "rotated-secret"
    assert settings.client_id == CONNECTION["clientId"]  # not in the config: the stored one
    assert settings.api_base_url == "https://api.mypurecloud.ie"  # region replaces the stored apiUrl
    assert fr.conflict_policy(outputs()) == "overwrite"


def test_without_stack_config_the_stored_connection_is_used(configured):
    configured({})
    settings = fr.connection_settings(outputs(), env={})
    assert settings.client_secret == CONNECTION["clientSecret"]
    assert settings.api_base_url == CONNECTION["apiUrl"]


def test_configure_rejects_a_wrong_stack_setting_naming_the_key(configured):
    with pytest.raises(StackConfigError) as error:
        configured({"conflictPolicy": "yolo"})
    assert "genesys-flows:conflictPolicy" in str(error.value) and "yolo" in str(error.value)


def test_a_flow_referencing_a_failed_one_is_refused_before_any_write(tmp_path, monkeypatch):
    """`--continue-on-error`: the program passes FAILED_REFERENCE for a failed flow's id; the
    dependent is refused once, naming it, with no intent and no API call (the connection is dead)."""
    from provider.deploy.stack_outputs import FAILED_REFERENCE

    monkeypatch.setenv("GENESYS_FLOWS_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    news = inputs(referenceIds={"menu": FAILED_REFERENCE, "greeting": "id-greeting"})
    assert provider.check({}, news).failures == []  # a check failure would halt the whole run
    with pytest.raises(FlowProviderError) as failure:
        provider.create(news)
    assert "not deployed: it references 'menu', which failed in this run" in str(failure.value)
    with pytest.raises(FlowProviderError):
        provider.update("id-main", outputs(), news)
    assert not (tmp_path / "audit.jsonl").exists()  # no intent: nothing was about to be written
