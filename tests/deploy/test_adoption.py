"""provider.deploy.adoption: what a create that got no answer, or hit an existing flow, may take over."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from provider.deploy import adoption
from provider.deploy.inputs import DUPLICATE_CODES
from provider.domain.document import FlowDocument
from provider.domain.models import Block, FlowType, LifecycleState
from provider.governance.audit import AuditLog
from provider.governance.intents import IntentJournal
from provider.platforms.base import FlowRef, LiveFlow


def live(name: str = "Main", description: str = "", content: Any = None, id_: str = "id-1") -> LiveFlow:
    return LiveFlow(id_, name, "INBOUNDCALL", description, "published", "1", content=content)


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
