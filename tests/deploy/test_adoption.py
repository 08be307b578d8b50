"""provider.deploy.adoption: what a create that got no answer, or hit an existing flow, may take over."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from provider.deploy import adoption
from provider.deploy.inputs import DUPLICATE_CODES
from provider.domain.blocks import Block
from provider.domain.document import FlowDocument
from provider.domain.fields import FlowType, LifecycleState
from provider.governance.audit import AuditLog
from provider.governance.intents import IntentJournal
from provider.platforms.base import FlowRef, LiveFlow


def live(name: str = "Main", description: str = "", content: Any = None, id_: str = "id-1") -> LiveFlow:
    return LiveFlow(
        id_, name, "INBOUNDCALL", "published", "1", content=content, attributes={"description": description}
    )


class OnePlatform:
    """A platform whose org holds one flow (or none); records updates."""

    name = "fake"
    conflict_policies = frozenset({"overwrite"})

    def __init__(self, flow: LiveFlow | None) -> None:
        self.flow = flow
        self.updates: list[str] = []

    def find(self, name: str, type: str) -> LiveFlow | None:
        return self.flow

    def read(self, flow_id: str) -> LiveFlow | None:
        return self.flow

    def update(self, flow_id: str, document: FlowDocument, ids: Mapping[str, str], **_: Any) -> LiveFlow:
        self.updates.append(flow_id)
        assert self.flow is not None
        return self.flow

    def list_flows(self) -> Iterator[LiveFlow]:
        return iter([self.flow] if self.flow else [])

    def consumers(self, flow_id: str) -> list[FlowRef]:
        return []

    def set_aside(self, flow_id: str, document: FlowDocument) -> bool:
        return False


def doc(**kw: Any) -> FlowDocument:
    base: dict[str, Any] = {"key": "main", "name": "Main", "lifecycle_state": LifecycleState.PUBLISHED}
    return FlowDocument(**{**base, **kw})


@pytest.fixture(autouse=True)
def no_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(adoption, "LOOKUP_BACKOFF_S", ())


def test_after_an_unanswered_create_only_what_we_sent_is_ours():
    sent = doc(description="ours", blocks=(Block(id="root", type="menu"),))
    ours = live(description="ours", content=[{"id": "root", "type": "menu"}])
    assert adoption.look_up_after_unknown(OnePlatform(ours), sent, {}) is ours  # type: ignore[arg-type]
    for foreign in (
        live(description="someone else's", content=[{"id": "root", "type": "menu"}]),
        live(description="ours", content=[{"id": "other", "type": "menu"}]),
    ):
        assert adoption.look_up_after_unknown(OnePlatform(foreign), sent, {}) is None  # type: ignore[arg-type]
    assert adoption.look_up_after_unknown(OnePlatform(None), sent, {}) is None  # type: ignore[arg-type]


def test_a_duplicate_is_adopted_only_with_this_stacks_open_intent(tmp_path: Path):
    journal = IntentJournal(AuditLog(tmp_path / "audit.jsonl", "dev"))
    document = doc(type=FlowType.INBOUNDCALL)
    platform = OnePlatform(live())
    running = journal.begin("create", flow_key="main", flow_type="INBOUNDCALL", flow_name="Main")
    assert adoption.adopt_after_duplicate(platform, journal, running, document, {}) is None  # type: ignore[arg-type]
    assert platform.updates == []
    journal.finish(running, "unknown")  # the interrupted create of an earlier run
    again = journal.begin("create", flow_key="main", flow_type="INBOUNDCALL", flow_name="Main")
    adopted = adoption.adopt_after_duplicate(platform, journal, again, document, {})  # type: ignore[arg-type]
    assert adopted is not None and adopted.id == "id-1" and platform.updates == ["id-1"]


def test_both_platforms_duplicate_codes_lead_to_adoption():
    assert {"architect.flow.name.duplicate", "architect.flow.already.exists"} == DUPLICATE_CODES


# -- the base of an update after a run killed before its state was written ----------------------------


class Counting(OnePlatform):
    def __init__(self, flow: LiveFlow | None) -> None:
        super().__init__(flow)
        self.reads = 0

    def read(self, flow_id: str) -> LiveFlow | None:
        self.reads += 1
        return self.flow


def at(revision: str, description: str = "v2") -> LiveFlow:
    return LiveFlow(
        "id-1", "Main", "INBOUNDCALL", "published", revision, attributes={"description": description}
    )


def updated(journal: IntentJournal, revision: str, document: FlowDocument) -> None:
    intent = journal.begin(
        "update", flow_key="main", flow_type="INBOUNDCALL", flow_name="Main", flow_id="id-1"
    )
    adoption.finish_success(journal, intent, at(revision), document, {})


def test_the_live_flow_at_this_stacks_last_recorded_write_is_the_base(tmp_path: Path):
    journal = IntentJournal(AuditLog(tmp_path / "audit.jsonl", "dev"))
    document = doc(description="v2")
    stale = at("1", description="v1")  # the state: the version before the killed run
    updated(journal, "2", document)
    platform = Counting(at("2"))
    assert adoption.own_base(platform, journal, "main", stale, document, {}) is platform.flow  # type: ignore[arg-type]
    # someone else wrote after us: the state's base stays (the conflict policy decides)
    platform = Counting(at("3"))
    assert adoption.own_base(platform, journal, "main", stale, document, {}) is stale  # type: ignore[arg-type]
    # the state is current: not one call
    platform = Counting(at("2"))
    assert adoption.own_base(platform, journal, "main", at("2"), document, {}) == at("2")  # type: ignore[arg-type]
    assert platform.reads == 0
    # another key's write (or another stack's) proves nothing
    other = IntentJournal(AuditLog(tmp_path / "audit.jsonl", "prod"))
    assert adoption.own_base(Counting(at("2")), other, "main", stale, document, {}) is stale  # type: ignore[arg-type]
    assert adoption.own_base(Counting(at("2")), journal, "other", stale, document, {}) is stale  # type: ignore[arg-type]


def test_the_journal_is_read_from_the_file_a_killed_process_wrote(tmp_path: Path):
    path = tmp_path / "audit.jsonl"
    document = doc(description="v2")
    updated(IntentJournal(AuditLog(path, "dev")), "2", document)
    from provider.governance import intents

    intents._indexes.clear()  # a new provider process
    journal = IntentJournal(AuditLog(path, "dev"))
    write = journal.last_write(flow_key="main", flow_id="id-1")
    assert write is not None and write.revision == "2" and write.digest == adoption.digest(document, {})
    deleted = journal.begin(
        "delete", flow_key="main", flow_type="INBOUNDCALL", flow_name="Main", flow_id="id-1"
    )
    journal.finish(deleted, "success", flow_id="id-1")
    assert journal.last_write(flow_key="main", flow_id="id-1") is None


def test_after_an_interrupted_update_only_what_it_sent_is_this_stacks(tmp_path: Path):
    journal = IntentJournal(AuditLog(tmp_path / "audit.jsonl", "dev"))
    document = doc(description="v2")
    stale = at("1", description="v1")
    intent = journal.begin(
        "update", flow_key="main", flow_type="INBOUNDCALL", flow_name="Main", flow_id="id-1"
    )
    assert journal.interrupted_update(flow_id="id-1") == intent.id
    platform = Counting(at("2", description="v2"))  # what the killed update sent
    assert adoption.own_base(platform, journal, "main", stale, document, {}) is platform.flow  # type: ignore[arg-type]
    foreign = Counting(at("2", description="someone else's"))
    assert adoption.own_base(foreign, journal, "main", stale, document, {}) is stale  # type: ignore[arg-type]
    journal.finish(intent, "failure", flow_id="id-1")  # answered: nothing was applied
    assert journal.interrupted_update(flow_id="id-1") is None


def test_recovery_takes_a_last_write_the_platform_numbered_otherwise_for_ours() -> None:
    """A run killed after an update whose revision was derived (no read after the job), where the
    platform numbered the version otherwise: the recovery's "this stack's own last write" follows the
    same rule as a refresh and an update (`RecordedWrites`), a derived create's does not."""
    from provider.deploy.adoption import _is_last_write
    from provider.governance.intents import Write
    from provider.platforms.base import LiveFlow
    from provider.platforms.genesys_cloud.versions import EXTRA_INFERRED, EXTRA_OWN_CHECKIN, own_write

    class Recorded:  # the genesys-cloud rule, without a connection
        def is_recorded_write(self, live: LiveFlow, base: LiveFlow) -> bool:
            ours = live.extra.get(EXTRA_OWN_CHECKIN) == "true"
            return own_write(live.revision, ours, base.revision, base.extra.get(EXTRA_INFERRED))

    def live(ours: bool) -> LiveFlow:
        extra = {EXTRA_OWN_CHECKIN: "true"} if ours else {}
        return LiveFlow(
            "f1", "Main", "inboundcall", "", "published", "published=3.0;checkedIn=3.0", extra=extra
        )

    def last(inferred: str | None) -> Write:
        return Write("i1", "main", "f1", "published=2.0;checkedIn=2.0", None, revision_inferred=inferred)

    platform: Any = Recorded()
    assert _is_last_write(platform, live(ours=True), last("update"))
    assert not _is_last_write(platform, live(ours=False), last("update"))  # someone else's 3.0
    assert not _is_last_write(platform, live(ours=True), last("create"))  # a create's guess is not trusted
    assert not _is_last_write(platform, live(ours=True), last(None))  # read back: 2.0 is what we wrote
    assert not _is_last_write(object(), live(ours=True), last("update"))  # a platform without the rule
