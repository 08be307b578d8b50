"""A lost answer to `POST /api/v2/flows/jobs` (the connection dropped after the server registered the
job, the in-process emulator's path-scoped fault) is resolved in the same run: the job it registered
never gets a file (its presigned URL was in the lost answer) and stays `Registered`; a new job is
registered, the only one uploaded to; the write finishes, one flow, one new version. When every
answer is lost, nothing was written and the error says so, unambiguously (no look-ups, no intent
left for a later run)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from emulator.testing import InProcessEmulator
from provider.deploy import write_ahead
from provider.deploy.inputs import FlowProviderError
from provider.deploy.provider_errors import Attempt
from provider.errors import TransportError
from provider.governance.audit import AuditLog, read
from provider.governance.intents import IntentJournal
from provider.platforms.genesys_cloud import GenesysCloudPlatform
from provider.platforms.http.recorder import ListRecorder
from tests.platforms.genesys_cloud.conftest import ORG, Org, document

Make = Callable[..., tuple[GenesysCloudPlatform, ListRecorder]]
JOBS = "/api/v2/flows/jobs"


def _lose_registration_answers(emu: InProcessEmulator, count: int = 1) -> None:
    """The next `count` registrations are applied by the server, then their connection drops."""
    emu.admin.set_faults(drop_rate=1.0, drop_mode="after", methods=["POST"], paths=[JOBS], max_faults=count)


def _jobs(emu: InProcessEmulator) -> list[str]:
    """Every import job the org's store holds, by status, oldest first."""
    conn = emu.runtime.genesys.store.conn()
    return [s for (s,) in conn.execute("SELECT status FROM gc_jobs WHERE org = ? ORDER BY rowid", (ORG,))]


@pytest.mark.usefixtures("slow_jobs")
def test_a_lost_registration_on_a_draft_update_with_a_slow_job_finishes_in_the_same_run(
    make_platform: Make, emu: InProcessEmulator, org: Org
) -> None:
    gc, recorder = make_platform()
    base = gc.create(document("Main", state="draft", note="v1"), {})
    polls = [s for m, p, s in emu.log if m == "GET" and p.startswith(JOBS + "/")]
    assert len(polls) >= 2  # the job was still running when first polled: it takes JOB_S seconds
    emu.adapter.log.clear()
    _lose_registration_answers(emu)

    live = gc.update(base.id, document("Main", state="draft", note="v2"), {}, base=base, policy="fail")

    assert emu.admin.stats()["dropped"] == 1
    posts = [s for m, p, s in emu.log if (m, p) == ("POST", JOBS)]
    uploads = [s for m, p, s in emu.log if m == "PUT" and p.startswith("/_upload/")]
    assert posts == [None, 200] and uploads == [200]
    assert _jobs(emu) == ["Success", "Registered", "Success"]  # the lost one never ran
    (flow,) = org.by_name("Main")
    assert live.id == flow["id"] == base.id and live.lifecycle_state == "draft"
    assert "publishedVersion" not in org.flow(base.id)  # the draft is not left live
    assert [v["id"] for v in org.versions(base.id)] == ["2.0", "1.0"]
    assert [(e.action, e.outcome) for e in recorder.mutations] == [
        ("create", "success"),
        ("update", "success"),
    ]


def test_a_lost_registration_on_a_create_makes_one_flow(
    platform: GenesysCloudPlatform, emu: InProcessEmulator, org: Org
) -> None:
    _lose_registration_answers(emu)
    live = platform.create(document("Main IVR"), {})
    (flow,) = org.by_name("Main IVR")
    assert live.id == flow["id"] and len(org.versions(flow["id"])) == 1
    assert _jobs(emu) == ["Registered", "Success"]


def test_every_registration_answer_lost_fails_unambiguously_with_nothing_written(
    make_platform: Make, emu: InProcessEmulator, org: Org, tmp_path: Path
) -> None:
    platform, _ = make_platform()
    journal = IntentJournal(AuditLog(tmp_path / "audit.jsonl", "dev"))
    _lose_registration_answers(emu, count=50)
    definition = document("Main IVR")
    with (
        pytest.raises(FlowProviderError, match="no file was uploaded, nothing was written"),
        write_ahead.recorded(journal, Attempt("create", "main-ivr", ""), definition, {}) as write,
    ):
        write.succeeded(platform.create(definition, {}))
    assert org.by_name("Main IVR") == [] and set(_jobs(emu)) == {"Registered"}
    outcomes = [e["outcome"] for e in read(journal.audit.path).entries if e.get("event") == "intent_outcome"]
    assert outcomes == ["failure"]  # not `unknown`: no later run has anything to resolve
    with pytest.raises(TransportError) as info:
        platform.create(definition, {})
    assert info.value.ambiguous is False
