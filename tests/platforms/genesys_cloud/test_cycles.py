"""Cycles of flows on genesys-cloud, through the provider's own create/update/delete (FlowProvider)
against the in-process emulator and a real journal: the stub a by-name reference needs, its adoption
by the stub's own create, a type change of a member, the delete order (a member published empty
first) and recovery from a kill -9 at each step of a cycle's create."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from provider import platforms
from provider.deploy import config as stack_config
from provider.deploy import cycles, resource, write_ahead
from provider.deploy.inputs import BY_NAME_KEY, FlowProviderError
from provider.deploy.protection import ALLOW_DESTROY
from provider.governance import intents
from provider.governance.audit import AuditLog, read
from provider.governance.intents import IntentJournal
from provider.ops import importer
from provider.platforms.genesys_cloud import GenesysCloudPlatform
from provider.platforms.genesys_cloud._cycles import STUB_DESCRIPTION
from provider.platforms.http.recorder import ListRecorder
from provider.platforms.importing import ImportRequest
from tests.platforms.genesys_cloud.conftest import Org

Make = Callable[..., tuple[GenesysCloudPlatform, ListRecorder]]
MAIN, BILLING = "Main IVR", "Billing Line"


class Killed(BaseException):
    """kill -9 of the provider, as far as the provider's own code can tell."""


def transfers(name: str, to: tuple[str, ...], *, kind: str = "inboundCall", note: str = "v1") -> str:
    actions: list[dict[str, Any]] = [
        {"transferToFlow": {"name": f"To {t}", "targetFlow": {"name": t}}} for t in to
    ]
    body: dict[str, Any] = {"name": name, "description": note, "startUpRef": "./tasks/task[Main]"}
    body["tasks"] = [{"task": {"name": "Main", "actions": [*actions, {"disconnect": {"name": "Bye"}}]}}]
    return yaml.safe_dump({kind: body}, sort_keys=False)


def props(
    key: str,
    name: str,
    to: dict[str, str],
    *,
    ids: dict[str, str] | None = None,
    by_name: dict[str, dict[str, str]] | None = None,
    type_: str = "INBOUNDCALL",
    kind: str = "inboundCall",
    note: str = "v1",
) -> dict[str, Any]:
    """A Flow's inputs as the program registers them; `to`: key → name of the flows it transfers to."""
    out: dict[str, Any] = {
        "name": name,
        "description": note,
        "type": type_,
        "lifecycle_state": "published",
        "blocks": [],
        "references": sorted(to),
        "referenceIds": dict(ids or {}),
        "flowKey": key,
        "archy": transfers(name, tuple(to.values()), kind=kind, note=note),
    }
    if by_name:
        out[BY_NAME_KEY] = by_name
    return out


class Stack:
    """The provider of one stack, bound to the in-process org and a journal in `tmp_path`."""

    def __init__(self, gc: GenesysCloudPlatform, audit: Path) -> None:
        self.gc, self.audit = gc, audit
        self.provider = resource.FlowProvider("dev")
        self.journal = IntentJournal(AuditLog(audit, "dev"))

    def next_run(self) -> None:
        """A new provider process: the journal's index is read again from the file."""
        intents._indexes.clear()
        self.journal = IntentJournal(AuditLog(self.audit, "dev"))

    def create(self, p: dict[str, Any]) -> dict[str, Any]:
        result = self.provider.create(p)
        assert result.outs is not None
        return {**result.outs, "flowId": result.id}

    def entries(self, event: str) -> list[dict[str, Any]]:
        return [e for e in read(self.audit).entries if e.get("event") == event]


@pytest.fixture
def stack(make_platform: Make, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    gc, _ = make_platform()
    s = Stack(gc, tmp_path / "audit.jsonl")
    intents._indexes.clear()
    monkeypatch.setattr(resource, "get_platform", lambda _props: s.gc)
    monkeypatch.setattr(resource, "journal_of", lambda _props: s.journal)
    monkeypatch.setattr(resource, "conflict_policy", lambda _props: "fail")
    yield s
    intents._indexes.clear()


def main_props(**kw: Any) -> dict[str, Any]:
    """main-ivr closes the cycle (the smaller key's walk: billing → main-ivr → billing)."""
    return props(
        "main-ivr",
        MAIN,
        {"billing": BILLING},
        by_name={"billing": {"name": BILLING, "type": "INBOUNDCALL"}},
        **kw,
    )


def billing_props(main_id: str, **kw: Any) -> dict[str, Any]:
    return props("billing", BILLING, {"main-ivr": MAIN}, ids={"main-ivr": main_id}, **kw)


def consumed(gc: GenesysCloudPlatform, flow_id: str) -> set[str]:
    live = gc.read(flow_id)
    assert live is not None
    version = gc.content_version(live)
    assert version is not None
    return {ref.id for ref in gc.consumed_flows(flow_id, version, live.type)}


def assert_bound(stack: Stack, org: Org, main_id: str, billing_id: str) -> None:
    """Both published with their real content, each bound to the other, one flow per name, no stub."""
    for name, flow_id in ((MAIN, main_id), (BILLING, billing_id)):
        (only,) = org.by_name(name)
        assert only["id"] == flow_id and only.get("publishedVersion")
        assert STUB_DESCRIPTION not in org.config(flow_id)
    assert consumed(stack.gc, main_id) == {billing_id}
    assert consumed(stack.gc, billing_id) == {main_id}


def test_a_two_flow_cycle_deploys_through_a_stub_its_own_create_adopts(stack: Stack, org: Org) -> None:
    main = stack.create(main_props())
    (stub,) = org.by_name(BILLING)
    assert STUB_DESCRIPTION in org.config(stub["id"])  # the stub the by-name reference bound to
    assert consumed(stack.gc, main["flowId"]) == {stub["id"]}

    billing = stack.create(billing_props(main["flowId"]))
    assert billing["flowId"] == stub["id"]  # adopted: same id, so main stays bound to it
    assert_bound(stack, org, main["flowId"], billing["flowId"])

    # Journaled as this stack's: the stub's create intent under billing's key, then its adoption.
    stub_outcomes = [o for o in stack.entries("intent_outcome") if o["flow_key"] == "billing"]
    # (the running create records "failure": the stub's intent records the adoption, as after a kill)
    assert [o["outcome"] for o in stub_outcomes] == ["success", "adopted", "failure"]
    assert {o["flow_id"] for o in stub_outcomes if o["outcome"] != "failure"} == {stub["id"]}
    assert [s["step"] for s in stack.entries("intent_step")] == [cycles.STEP_STUB]


def test_an_update_of_a_member_keeps_the_cycle_bound(stack: Stack, org: Org) -> None:
    main = stack.create(main_props())
    billing = stack.create(billing_props(main["flowId"]))
    news = billing_props(main["flowId"], note="v2")
    stack.provider.update(billing["flowId"], billing, news)
    assert "v2" in org.config(billing["flowId"])
    news = main_props(note="v2")
    stack.provider.update(main["flowId"], main, news)
    assert "v2" in org.config(main["flowId"])
    assert_bound(stack, org, main["flowId"], billing["flowId"])
    assert len(org.live()) == 2


def test_a_type_change_of_the_by_name_target_binds_its_holder_to_the_new_flow(stack: Stack, org: Org) -> None:
    main = stack.create(main_props())
    billing = stack.create(billing_props(main["flowId"]))
    # billing becomes a secure call flow: Pulumi updates main (its by-name target's type changed),
    # then creates the replacement, then deletes the old billing.
    news = main_props()
    news[BY_NAME_KEY] = {"billing": {"name": BILLING, "type": "SECURECALL"}}
    stack.provider.update(main["flowId"], main, news)
    new_billing = stack.create(billing_props(main["flowId"], type_="SECURECALL", kind="secureCall"))
    assert new_billing["flowId"] != billing["flowId"]
    stack.provider.delete(billing["flowId"], billing)
    (only,) = org.by_name(BILLING)
    assert only["id"] == new_billing["flowId"] and only["type"] == "SECURECALL"
    assert consumed(stack.gc, main["flowId"]) == {new_billing["flowId"]}
    assert consumed(stack.gc, new_billing["flowId"]) == {main["flowId"]}
    assert org.flow(billing["flowId"]).get("deleted")


def test_a_cycle_is_deleted_after_one_member_is_published_empty(stack: Stack, org: Org) -> None:
    main = stack.create(main_props())
    billing = stack.create(billing_props(main["flowId"]))
    # Pulumi deletes billing first (it depends on main-ivr's id); main-ivr still uses it.
    stack.provider.delete(billing["flowId"], billing)
    assert org.flow(billing["flowId"]).get("deleted")
    assert STUB_DESCRIPTION not in org.config(main["flowId"])  # the cut keeps its description
    assert consumed(stack.gc, main["flowId"]) == set()  # published without the back-reference
    cut = [s for s in stack.entries("intent_step") if s["step"] == cycles.STEP_CUT]
    assert [(s["flow_key"], s["flow_id"]) for s in cut] == [("main-ivr", main["flowId"])]
    stack.provider.delete(main["flowId"], main)
    assert org.live() == []


def test_a_user_outside_the_stack_still_blocks_the_delete(stack: Stack, org: Org) -> None:
    main = stack.create(main_props())
    billing = stack.create(billing_props(main["flowId"]))
    theirs = org.seed(transfers("Their Line", (BILLING,)))
    with pytest.raises(FlowProviderError, match="Their Line"):
        stack.provider.delete(billing["flowId"], billing)
    assert not org.flow(billing["flowId"]).get("deleted")
    assert consumed(stack.gc, main["flowId"]) == {billing["flowId"]}  # nothing was cut
    assert theirs["id"]


def _kill_at(point: str, mp: pytest.MonkeyPatch, gc: GenesysCloudPlatform) -> None:
    """Make the next write die at `point` (no outcome is written after a kill -9)."""

    def die(*_a: object, **_k: object) -> None:
        raise Killed

    mp.setattr(write_ahead.Write, "finish", lambda self, outcome: None)
    if point == "stub intent written":
        mp.setattr(type(gc), "create_stub", die)
    elif point == "stub created":
        original = IntentJournal.step

        def step_then_die(self: IntentJournal, *a: Any, **k: Any) -> None:
            original(self, *a, **k)
            raise Killed

        mp.setattr(IntentJournal, "step", step_then_die)
    elif point == "holder's job":
        mp.setattr(type(gc), "_settle", die)  # the job ran; killed before its outcome
    elif point == "adoption's job":
        mp.setattr(type(gc), "_settle", die)


@pytest.mark.parametrize("point", ["stub intent written", "stub created", "holder's job", "adoption's job"])
def test_a_kill_at_any_step_of_a_cycle_create_converges_in_one_run(
    stack: Stack, org: Org, point: str
) -> None:
    main_id: str | None = None
    with pytest.MonkeyPatch.context() as mp, pytest.raises(Killed):
        if point == "adoption's job":
            main_id = stack.create(main_props())["flowId"]
            _kill_at(point, mp, stack.gc)
            stack.create(billing_props(main_id))
        else:
            _kill_at(point, mp, stack.gc)
            stack.create(main_props())
    # The next run: the state holds main-ivr only when its create finished.
    stack.next_run()
    if main_id is None:
        main_id = stack.create(main_props())["flowId"]
    billing = stack.create(billing_props(main_id))
    assert_bound(stack, org, main_id, billing["flowId"])
    assert len(org.live()) == 2  # no stub left, no duplicate


def test_an_org_with_a_cycle_is_imported_as_the_program_registers_it(
    stack: Stack, org: Org, tmp_path: Path
) -> None:
    """`archctl import`'s plan: the closing reference by name, the other by id; the provider's diff
    of the imported state against the program's inputs is empty (the no-change preview after it)."""
    main = stack.create(main_props())
    billing = stack.create(billing_props(main["flowId"]))
    folder = tmp_path / "flows"
    folder.mkdir()
    for key, news in (("main-ivr", main_props()), ("billing", billing_props(main["flowId"]))):
        (folder / f"{key}.archy.yaml").write_text(news["archy"])
        (folder / f"{key}.yaml").write_text(f"archy: {key}.archy.yaml\nlifecycle_state: published\n")
    plan = platforms.kind("genesys-cloud").import_plan(stack.gc, ImportRequest(folder, {}, {}))
    assert plan.problems == []
    adopted = {a.key: a for a in plan.adopt}
    assert adopted["main-ivr"].by_name == {"billing": {"name": BILLING, "type": "INBOUNDCALL"}}
    assert adopted["main-ivr"].reference_ids == {}
    assert adopted["billing"].reference_ids == {"main-ivr": main["flowId"]} and not adopted["billing"].by_name
    for key, news in (("main-ivr", main_props()), ("billing", billing_props(main["flowId"]))):
        spec = importer.resource_spec(adopted[key], provider="unused")
        checked = stack.provider.check({}, news)
        assert checked.failures == []
        assert stack.provider.diff(spec["id"], spec["outputs"], checked.inputs).changes is False, key
    assert billing["flowId"] == adopted["billing"].live.id


def test_a_type_change_killed_between_the_stub_and_the_holders_job_rebinds_the_next_run(
    stack: Stack, org: Org
) -> None:
    """The stub of the new type exists, the holder still uses the old flow (renamed aside): the next
    run's holder update finds the stub, but its state records the old id, so its job runs again and
    the old flow is then deleted without emptying anyone."""
    main = stack.create(main_props())
    billing = stack.create(billing_props(main["flowId"]))
    news = main_props()
    news[BY_NAME_KEY] = {"billing": {"name": BILLING, "type": "SECURECALL"}}
    with pytest.MonkeyPatch.context() as mp, pytest.raises(Killed):
        _kill_at("holder's job", mp, stack.gc)
        mp.setattr(type(stack.gc), "_run_job", lambda *_a, **_k: (_ for _ in ()).throw(Killed()))
        stack.provider.update(main["flowId"], main, news)
    assert consumed(stack.gc, main["flowId"]) == {billing["flowId"]}  # still the old flow
    stack.next_run()
    stack.provider.update(main["flowId"], main, news)  # the state's outputs: the killed run saved none
    new_billing = stack.create(billing_props(main["flowId"], type_="SECURECALL", kind="secureCall"))
    stack.provider.delete(billing["flowId"], billing)
    assert consumed(stack.gc, main["flowId"]) == {new_billing["flowId"]}
    assert not [s for s in stack.entries("intent_step") if s["step"] == cycles.STEP_CUT]
    assert STUB_DESCRIPTION not in org.config(main["flowId"])
    assert [f["id"] for f in org.by_name(BILLING)] == [new_billing["flowId"]]


def test_the_diff_of_a_holder_sees_its_by_name_target_change_type_and_nothing_else(stack: Stack) -> None:
    main = stack.create(main_props())
    same = stack.provider.check({}, main_props()).inputs
    assert stack.provider.diff(main["flowId"], main, same).changes is False
    retyped = main_props()
    retyped[BY_NAME_KEY] = {"billing": {"name": BILLING, "type": "SECURECALL"}}
    diff = stack.provider.diff(main["flowId"], main, stack.provider.check({}, retyped).inputs)
    assert diff.changes is True and diff.replaces == []  # an update of the holder, not a replacement


def _protected(monkeypatch: pytest.MonkeyPatch, policy: str = "fail") -> None:
    """The stack as `configure` leaves it: protectPublished: true, with this conflict policy."""
    parsed = stack_config.parse("prod", {"protectPublished": "true", "conflictPolicy": policy})
    monkeypatch.setattr(resource, "stack_config_of", lambda _props: parsed)


def test_a_protected_member_is_not_published_empty_and_a_cut_respects_the_conflict_policy(
    stack: Stack, org: Org, make_platform: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack.gc, recorder = make_platform()
    main = stack.create(main_props())
    billing = stack.create({**billing_props(main["flowId"]), ALLOW_DESTROY: True})
    _protected(monkeypatch)
    # billing may go, but deleting it would publish main-ivr (protected) empty first: refused.
    with pytest.raises(FlowProviderError) as refused:
        stack.provider.delete(billing["flowId"], billing)
    message = str(refused.value)
    assert "'main-ivr'" in message and "'billing'" in message and "protectPublished" in message
    assert "nothing was changed" in message and "allow_destroy: true" in message
    assert not org.flow(billing["flowId"]).get("deleted")
    assert consumed(stack.gc, main["flowId"]) == {billing["flowId"]}  # not cut

    # main-ivr allowed too (deployed: the journal records it); then Ann publishes it in Architect.
    main = {**main, **stack.provider.update(main["flowId"], main, {**main_props(), ALLOW_DESTROY: True}).outs}
    org.publish_as_user(main["flowId"], transfers(MAIN, (BILLING,), note="ann"), "Ann Architect")
    with pytest.raises(FlowProviderError, match="changed outside this stack"):  # conflictPolicy fail
        stack.provider.delete(billing["flowId"], billing)
    assert "ann" in org.config(main["flowId"]) and not org.flow(billing["flowId"]).get("deleted")

    _protected(monkeypatch, "overwrite")  # overwrite: the cut replaces Ann's version, audited
    stack.provider.delete(billing["flowId"], billing)
    assert org.flow(billing["flowId"]).get("deleted") and consumed(stack.gc, main["flowId"]) == set()
    cut = [m for m in recorder.mutations if m.action == "update" and m.flow_id == main["flowId"]][-1]
    assert cut.replaced is not None and cut.replaced["by_name"] == "Ann Architect"


def test_a_holder_does_not_rename_aside_a_protected_target_whose_type_changes(
    stack: Stack, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    main = stack.create(main_props())
    billing = stack.create(billing_props(main["flowId"]))
    _protected(monkeypatch)
    news = main_props()
    news[BY_NAME_KEY] = {"billing": {"name": BILLING, "type": "SECURECALL"}}
    with pytest.raises(FlowProviderError) as refused:  # main's update runs before billing's check
        stack.provider.update(main["flowId"], main, news)
    assert "'billing'" in str(refused.value) and "protectPublished" in str(refused.value)
    (only,) = org.by_name(BILLING)
    assert only["id"] == billing["flowId"] and only["type"] == "INBOUNDCALL"  # not renamed aside
    news[BY_NAME_KEY]["billing"][ALLOW_DESTROY] = "true"  # the definition allows it: goes ahead
    stack.provider.update(main["flowId"], main, news)
    assert [f["type"] for f in org.by_name(BILLING)] == ["SECURECALL"]
