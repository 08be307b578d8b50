"""Destructive changes (issue 24), without the engine: the provider's `check` names an unpublish (and
refuses it on a `protectPublished` stack), its `delete` refuses a published flow there before any
write, the definition's `allow_destroy: true` lets both through once deployed, and the CI summary of
a preview names a deleted or unpublished live flow with the flows that use it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config as DynamicConfig

from provider.deploy import config as stack_config
from provider.deploy import protection
from provider.deploy import resource as fr
from provider.deploy.resource import FlowProvider, FlowProviderError
from provider.errors import ArchitectError
from provider.governance.audit import AuditLog
from provider.governance.intents import IntentJournal
from provider.ops import ci_summary
from provider.platforms.genesys_cloud.loading import prepare_archy
from tests.deploy.test_resource import inputs, outputs

provider = FlowProvider("prod")
SETTING = "genesys-flows:protectPublished"


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    """`configure` as the engine calls it, and a platform that records every call (the users of a
    flow: main-ivr and vip-line)."""
    calls: list[str] = []
    type_ = type

    class Platform:
        name = "fake"

        def find(self, name: str, type: str) -> Any:
            calls.append(f"find {name} {type}")
            return type_("Live", (), {"id": "id-main"})()

        def consumers(self, flow_id: str) -> list[Any]:
            calls.append(f"consumers {flow_id}")
            return [type_("Ref", (), {"name": n, "id": n})() for n in ("vip-line", "main-ivr")]

        def delete(self, flow_id: str, *, name: str = "") -> None:
            calls.append(f"delete {flow_id}")

    monkeypatch.setattr(fr, "get_platform", lambda props: Platform())
    journal = IntentJournal(AuditLog(tmp_path / "audit.jsonl", "prod"))
    monkeypatch.setattr(fr, "journal_of", lambda props: journal)

    def configure(**values: Any) -> list[str]:
        raw = {f"genesys-flows:{k}": v for k, v in {"clientId": "prod-rw", **values}.items()}
        provider.configure(ConfigureRequest(DynamicConfig(raw_config=raw, project_name="genesys-flows")))
        return calls

    yield configure
    fr._stack_connection.clear()


def test_an_unpublish_is_named_with_its_users_and_refused_on_a_protected_stack(stack: Any) -> None:
    calls = stack(protectPublished="false")
    draft = inputs(lifecycle_state="draft", references=[], blocks=[], referenceIds={})
    result = provider.check(outputs(), draft)
    assert result.failures == []
    assert result.inputs[protection.DESTRUCTIVE_KEY] == "UNPUBLISH a live flow used by main-ivr, vip-line"
    assert calls == ["find Main IVR INBOUNDCALL", "consumers id-main"]
    assert protection.DESTRUCTIVE_KEY not in provider.check(outputs(), inputs()).inputs  # not destructive

    stack(protectPublished="true")
    (failure,) = provider.check(outputs(), draft).failures
    assert failure.property == "lifecycle_state"
    assert SETTING in failure.reason and "allow_destroy: true" in failure.reason
    assert "UNPUBLISH a live flow used by main-ivr, vip-line" in failure.reason
    allowed = provider.check(outputs(), {**draft, protection.ALLOW_DESTROY: True})
    assert allowed.failures == []
    # A type change replaces the flow, which deletes the published one: refused before the create.
    (failure,) = provider.check(outputs(), inputs(type="INBOUNDEMAIL")).failures
    assert failure.property == "type" and SETTING in failure.reason
    assert "DELETE published flow 'Main IVR', used by main-ivr, vip-line" in failure.reason
    stack(protectPublished="false")
    assert provider.check(outputs(), inputs(type="INBOUNDEMAIL")).failures == []


def test_offline_the_users_are_not_looked_up(stack: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = stack(protectPublished="false")
    monkeypatch.setenv("GENESYS_FLOWS_OFFLINE", "1")
    draft = inputs(lifecycle_state="draft", references=[], blocks=[], referenceIds={})
    result = provider.check(outputs(), draft)
    assert result.inputs[protection.DESTRUCTIVE_KEY] == "UNPUBLISH a live flow (users not looked up)"
    assert calls == []  # no call to the org at all


def test_naming_the_users_is_bounded_when_the_org_does_not_answer() -> None:
    answered = threading.Event()
    try:
        assert (
            protection.users(lambda flow_id: answered.wait(30) and [], "id-main", "main", seconds=0.05)
            is None
        )
    finally:
        answered.set()


def test_a_protected_stack_refuses_to_delete_a_published_flow_until_its_definition_allows_it(
    stack: Any,
) -> None:
    calls = stack(protectPublished="true")
    with pytest.raises(FlowProviderError) as refused:
        provider.delete("id-main", outputs())
    message = str(refused.value)
    assert SETTING in message and "stack prod" in message and "nothing was changed" in message
    assert "DELETE published flow 'Main IVR', used by main-ivr, vip-line" in message
    assert calls == ["consumers id-main"]  # no delete

    provider.delete("id-main", outputs(lifecycleState="draft", lifecycle_state="draft"))
    provider.delete("id-main", outputs(**{protection.ALLOW_DESTROY: True}))
    assert calls[1:] == ["delete id-main", "delete id-main"]
    stack(protectPublished="false")
    provider.delete("id-main", outputs())
    assert calls[-1] == "delete id-main"


def test_allowing_destruction_is_recorded_by_an_update() -> None:
    olds = outputs()
    assert not provider.diff("id-main", olds, fr.normalize_inputs(inputs())).changes
    assert provider.diff(
        "id-main", olds, {**fr.normalize_inputs(inputs()), protection.ALLOW_DESTROY: True}
    ).changes


def test_the_setting_is_parsed_by_the_stack_config_model() -> None:
    assert stack_config.parse("prod", {"protectPublished": "true"}).protect_published is True
    assert stack_config.parse("dev", {}).protect_published is False
    with pytest.raises(stack_config.StackConfigError, match=f"{SETTING} is 'sure'"):
        stack_config.parse("prod", {"protectPublished": "sure"})
    prod = yaml.safe_load((Path(__file__).resolve().parents[2] / "stacks" / "Pulumi.prod.yaml").read_text())
    assert prod["config"][SETTING] is True


def test_a_definition_allows_it_with_allow_destroy(tmp_path: Path) -> None:
    (tmp_path / "main.yaml").write_text(
        "archy: main.archy.yaml\nlifecycle_state: draft\nallow_destroy: true\n"
    )
    (tmp_path / "main.archy.yaml").write_text(
        "inboundCall:\n  name: Main\n  startUpRef: ./tasks/task[T]\n"
        "  tasks:\n    - task:\n        name: T\n        actions:\n"
        "          - disconnect:\n              name: Bye\n"
    )
    prepared = prepare_archy(tmp_path, {})
    assert prepared.ok, prepared.problems
    assert prepared.definitions["main"].allow_destroy is True  # type: ignore[attr-defined]


def _step(op: str, key: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, Any]:
    urn = f"urn:pulumi:prod::genesys-flows::pulumi-python:dynamic/architect:Flow::{key}"
    step: dict[str, Any] = {"op": op, "urn": urn}
    if old is not None:
        outs = {**old, "lifecycleState": old["lifecycle_state"], "flowId": f"id-{key}"}
        step["oldState"] = {"id": f"id-{key}", "inputs": old, "outputs": outs}
    if new is not None:
        step["newState"] = {"inputs": new}
    return step


def test_the_ci_summary_names_destructive_changes_with_their_users_in_the_org() -> None:
    """A preview as the engine writes it: the deleted flow's users are not in it (main-ivr stops
    referencing vip-line in the same change), so they are asked of the org; an org that cannot answer
    says "users not looked up" and the summary is still written."""
    published = {"name": "VIP Line", "type": "INBOUNDCALL", "lifecycle_state": "published", "references": []}
    steps = [
        _step("delete", "vip-line", published, None),
        _step(
            "update", "holiday", {**published, "name": "Holiday"}, {**published, "lifecycle_state": "draft"}
        ),
        _step("update", "main-ivr", {**published, "references": ["vip-line"]}, {**published, "name": "Main"}),
        _step("update", "draft-one", {**published, "lifecycle_state": "draft"}, {**published, "name": "x"}),
    ]
    org = {"id-vip-line": ["Main IVR"], "id-holiday": []}
    asked: list[str] = []

    def lookup(flow_id: str) -> list[str]:
        asked.append(flow_id)
        return org[flow_id]

    text = ci_summary.summary("prod", {"steps": steps}, lookup)
    assert "**Destructive changes:**" in text
    assert "- ⚠ `vip-line`: DELETE published flow 'VIP Line', used by Main IVR" in text
    assert "- ⚠ `holiday`: UNPUBLISH a live flow used by no other flow" in text
    assert text.count("⚠") == 2 and sorted(asked) == ["id-holiday", "id-vip-line"]

    def unreachable(flow_id: str) -> list[str]:
        raise ArchitectError("connection refused")

    for failing in (unreachable, None):
        text = ci_summary.summary("prod", {"steps": steps}, failing)
        assert "- ⚠ `vip-line`: DELETE published flow 'VIP Line', users not looked up" in text
        assert "- ⚠ `holiday`: UNPUBLISH a live flow (users not looked up)" in text
