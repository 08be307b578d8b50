"""kill -9 at every step of a draft's create and of a draft's update, with Archy jobs that take
seconds, then ONE later deploy under `conflictPolicy: fail` converges and the draft is never left
published.

Platform level, against the in-process emulator: the kill is a BaseException raised right after the
step (the write-ahead intent and any step the journal recorded stay; a killed process writes no
outcome), and the recovery runs the provider's path (`adoption.create` / `adoption.own_base`, then
the write under `write_ahead.recorded`) in a fresh platform and journal, as the next process would.
The emulator runs on the test's virtual clock (conftest's `slow_jobs`): a job takes JOB_S seconds
of that clock, so the killed run's job may still be running when the
recovery starts (`gap` 0) or be long done (`gap` 60), and nothing really waits. The one engine test
with a real kill -9 of the CLI is tests/resilience/test_kill_phases.py::test_gc_kill_9_mid_draft_job."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from emulator.genesys import flows as emu_flows
from provider.deploy import adoption, write_ahead
from provider.deploy.provider_errors import Attempt
from provider.domain import archy_text
from provider.domain.document import FlowDocument
from provider.governance import intents
from provider.governance.audit import AuditLog
from provider.governance.intents import IntentJournal
from provider.platforms.base import LiveFlow
from provider.platforms.genesys_cloud import GenesysCloudPlatform
from provider.platforms.genesys_cloud._proxy import GenesysCloudProxy
from provider.platforms.http.recorder import ListRecorder
from tests.platforms.genesys_cloud.conftest import Org, VirtualClock, document

Make = Callable[..., tuple[GenesysCloudPlatform, ListRecorder]]
KEY = "main"
STEPS = ["registered", "uploaded", "job_done", "deactivation_pending", "deactivated"]


class Killed(BaseException):
    """kill -9 of the provider, as far as its own code can tell."""


def _kill_after(mp: pytest.MonkeyPatch, step: str) -> None:
    """Raise `Killed` right after `step` of the job and lifecycle (what was done stays done)."""

    def after(cls: Any, name: str, when: Callable[..., bool] = lambda *a, **k: True) -> None:
        real = getattr(cls, name)

        def killing(self: Any, *args: Any, **kwargs: Any) -> Any:
            out = real(self, *args, **kwargs)
            if when(out, *args):
                raise Killed
            return out

        mp.setattr(cls, name, killing)

    if step == "registered":
        after(GenesysCloudProxy, "register_job")
    elif step == "uploaded":
        after(GenesysCloudProxy, "upload")
    elif step == "job_done":
        after(GenesysCloudProxy, "get_job", lambda out, *a: out.status == "Success")
    elif step == "deactivation_pending":
        after(IntentJournal, "step")
    else:
        after(GenesysCloudProxy, "action", lambda out, name, *a: name == "deactivate")
    mp.setattr(write_ahead.Write, "finish", lambda self, outcome: None)  # no outcome after a kill


def _create(gc: GenesysCloudPlatform, journal: IntentJournal, doc: FlowDocument) -> LiveFlow:
    """The provider's create (resource.FlowProvider.create without the engine)."""
    with write_ahead.recorded(journal, Attempt("create", KEY), doc, {}) as write:
        flow, adopted = adoption.create(gc, journal, write.intent, doc, {})
        if adopted:
            write.finish("failure")
        else:
            write.succeeded(flow)
    return flow


def _update(gc: GenesysCloudPlatform, journal: IntentJournal, state: LiveFlow, doc: FlowDocument) -> LiveFlow:
    """The provider's update under policy fail (resource.FlowProvider.update without the engine)."""
    base = adoption.own_base(gc, journal, KEY, state, doc, {})
    with write_ahead.recorded(journal, Attempt("update", KEY, state.id, base.revision, "fail"), doc, {}) as w:
        flow = gc.update(state.id, doc, {}, base=base, policy="fail")
        w.succeeded(flow)
    return flow


def _next_process(make_platform: Make, audit: Path) -> tuple[GenesysCloudPlatform, IntentJournal]:
    intents._indexes.clear()  # a new provider process reads the journal afresh
    return make_platform()[0], IntentJournal(AuditLog(audit, "dev"))


def _assert_converged(org: Org, gc: GenesysCloudPlatform, journal: IntentJournal, flow: LiveFlow) -> None:
    """One flow of that name, a draft holding v2, nothing locked, no intent left open, and a further
    deploy writes nothing."""
    (only,) = org.by_name("Main")
    assert only["id"] == flow.id and flow.lifecycle_state == "draft"
    assert "publishedVersion" not in org.flow(flow.id) and not org.locked(flow.id)
    assert archy_text.canonical(org.config(flow.id)) == archy_text.canonical(str(V2.archy))
    assert (
        journal.pending_step(flow_id=flow.id) is None and journal.interrupted_update(flow_id=flow.id) is None
    )
    jobs = org.emu.runtime.genesys.store.conn().execute("SELECT COUNT(*) FROM gc_jobs").fetchone()[0]
    again = _update(gc, journal, flow, V2)
    assert again.revision == flow.revision
    assert org.emu.runtime.genesys.store.conn().execute("SELECT COUNT(*) FROM gc_jobs").fetchone()[0] == jobs


def _left(org: Org) -> tuple[str, str]:
    """What the killed run left: the flow's lifecycle ("none", "draft", "published") and the
    newest import job's status ("none", "Registered", "Started", "Success"), as the next request
    would see them (due work settled on the virtual clock)."""
    org.emu.write(org.gc.settle, emu_flows.time.time())
    flows = org.by_name("Main")
    lifecycle = "none" if not flows else "published" if "publishedVersion" in flows[0] else "draft"
    row = (
        org.emu.runtime.genesys.store.conn()
        .execute("SELECT status FROM gc_jobs WHERE kind = 'import' ORDER BY rowid DESC LIMIT 1")
        .fetchone()
    )
    return lifecycle, row[0] if row else "none"


#: What each kill leaves when the next deploy starts (at once; 60 s later), for a create / an update.
LEFT: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "registered": (("none", "Registered"), ("none", "Registered")),
    "uploaded": (("none", "Started"), ("published", "Success")),  # the job runs on without us
    "job_done": (("published", "Success"), ("published", "Success")),  # a job always publishes
    "deactivation_pending": (("published", "Success"), ("published", "Success")),
    "deactivated": (("draft", "Success"), ("draft", "Success")),
}


V1 = document("Main", state="draft", note="v1").model_copy(update={"description": "v1"})
V2 = document("Main", state="draft", note="v2").model_copy(update={"description": "v2"})


@pytest.mark.usefixtures("slow_jobs")
@pytest.mark.parametrize("gap", [0.0, 60.0])
@pytest.mark.parametrize("step", STEPS)
def test_a_draft_create_killed_at_any_step_converges_in_one_deploy(
    make_platform: Make, org: Org, clock: VirtualClock, tmp_path: Path, step: str, gap: float
) -> None:
    gc, _ = make_platform()
    audit = tmp_path / "audit.jsonl"
    with pytest.MonkeyPatch.context() as mp:
        _kill_after(mp, step)
        with pytest.raises(Killed):
            _create(gc, IntentJournal(AuditLog(audit, "dev")), V2)
    clock.sleep(gap)  # the next deploy starts at once, or after the killed job is long done
    assert _left(org) == LEFT[step][gap > 0]

    gc2, journal = _next_process(make_platform, audit)
    flow = _create(gc2, journal, V2)  # the state never recorded the flow: the engine creates again
    _assert_converged(org, gc2, journal, flow)


@pytest.mark.usefixtures("slow_jobs")
@pytest.mark.parametrize("gap", [0.0, 60.0])
@pytest.mark.parametrize("step", STEPS)
def test_a_draft_update_killed_at_any_step_converges_in_one_deploy_under_fail(
    make_platform: Make, org: Org, clock: VirtualClock, tmp_path: Path, step: str, gap: float
) -> None:
    gc, _ = make_platform()
    audit = tmp_path / "audit.jsonl"
    state = _create(gc, IntentJournal(AuditLog(audit, "dev")), V1)  # what the state records
    with pytest.MonkeyPatch.context() as mp:
        _kill_after(mp, step)
        with pytest.raises(Killed):
            _update(gc, IntentJournal(AuditLog(audit, "dev")), state, V2)
    clock.sleep(gap)
    lifecycle, job = LEFT[step][gap > 0]
    assert _left(org) == ("draft" if lifecycle == "none" else lifecycle, job)  # v1's draft before the job

    gc2, journal = _next_process(make_platform, audit)
    flow = _update(gc2, journal, state, V2)  # the state still holds v1's revision: no conflict
    _assert_converged(org, gc2, journal, flow)
