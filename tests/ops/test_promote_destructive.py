"""`archctl promote` lists the destructive changes among its gates (issue 24): a published flow of
the target that the definitions delete or unpublish, with the flows that use it; a draft's
deletion, a new flow and a published flow that stays are not destructive (no engine, no org)."""

from __future__ import annotations

from typing import Any

from provider.domain import snapshot as snap
from provider.errors import ArchitectError
from provider.ops import promote
from provider.platforms.base import FlowRef


class _Platform:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def consumers(self, flow_id: str) -> list[FlowRef]:
        self.asked.append(flow_id)
        return [FlowRef("id-main", "Main IVR")] if flow_id == "id-vip" else []


def _doc(name: str, state: str) -> dict[str, Any]:
    return {"name": name, "lifecycle_state": state}


def test_destructive_changes_are_named_with_their_users() -> None:
    live = snap.Snapshot(
        flows={
            "vip-line": _doc("VIP Line", "published"),
            "holiday": _doc("Holiday", "published"),
            "old-draft": _doc("Old", "draft"),
            "main-ivr": _doc("Main IVR", "published"),
        },
        ids={"vip-line": "id-vip", "holiday": "id-hol", "old-draft": "id-old", "main-ivr": "id-main"},
    )
    desired = {
        "holiday": _doc("Holiday", "draft"),
        "main-ivr": _doc("Main IVR", "published"),
        "new-flow": _doc("New", "published"),
    }
    platform = _Platform()
    lines = promote.destructive_changes(live, desired, set(live.flows) | set(desired), platform)  # type: ignore[arg-type]
    assert lines == [
        "holiday: UNPUBLISH a live flow used by no other flow",
        "vip-line: DELETE published flow 'VIP Line', used by Main IVR",
    ]
    assert sorted(platform.asked) == ["id-hol", "id-vip"]  # only for the destructive ones

    class Unreachable:  # the org's dependency tracking fails: the promotion's plan is still listed
        def consumers(self, flow_id: str) -> list[FlowRef]:
            raise ArchitectError("connection refused")

    assert promote.destructive_changes(live, desired, set(live.flows), Unreachable()) == [
        "holiday: UNPUBLISH a live flow (users not looked up)",
        "vip-line: DELETE published flow 'VIP Line', users not looked up",
    ]

    report = promote.PromoteReport("staging", "prod", plan_changes={"delete": 1}, destructive=lines)
    assert "destructive changes in prod:\n  ⚠ holiday: UNPUBLISH" in report.render_plan()
    assert report.to_json()["plan"]["destructive"] == lines
