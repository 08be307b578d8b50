"""Review of issue 22's minimum of calls: a revision derived from a job's answer (not read back) is
recorded only after a job that succeeded at its first attempt, and the rule "a live revision other
than the derived one, still this client's write, is ours" holds in the three places that compare
revisions: an update's check, a refresh, and a cycle's cut. On the in-process emulator."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from emulator.genesys.render import client_actor
from emulator.testing import InProcessEmulator
from provider.deploy import adoption, cycles
from provider.deploy.inputs import ARCHY_KEY, slim
from provider.deploy.resource import FlowProvider
from provider.errors import ConflictError
from provider.governance.audit import AuditLog
from provider.governance.intents import IntentJournal
from provider.platforms.base import STEP_DEACTIVATION_PENDING, LiveFlow, write_step
from provider.platforms.genesys_cloud import GenesysCloudPlatform
from provider.platforms.genesys_cloud.versions import EXTRA_INFERRED
from provider.platforms.http.recorder import ListRecorder
from tests.platforms.genesys_cloud.conftest import ORG, Org, archy_text, document

Make = Callable[..., tuple[GenesysCloudPlatform, ListRecorder]]
THROTTLED = "Archy failed: HTTP 429 Too Many Requests (exit code: 107)"
OWN = "dev-rw"  # the client of `make_platform()`


def checked_in_by_the_failed_job(emu: InProcessEmulator, org: Org, name: str) -> list[str]:
    """A throttled job that checked a version in before it failed (what the platform may do): when
    the rerun registers, a version by our client is already there. The flow's id, once written."""
    written: list[str] = []

    def before(method: str, path: str) -> None:
        if method != "POST" or not path.endswith("/api/v2/flows/jobs"):
            return
        registered = sum(1 for m, p, _ in emu.log if m == "POST" and p.endswith("/api/v2/flows/jobs"))
        if registered != 1 or written:
            return  # only before the rerun
        actor = client_actor(OWN)
        found = org.by_name(name)
        flow = found[0] if found else emu.write(org.gc.create_flow, ORG, actor, "INBOUNDCALL", name, None)
        emu.write(org.gc.publish_as, ORG, flow["id"], actor, archy_text(name, note="half-way"))
        written.append(flow["id"])

    emu.adapter.before.append(before)
    return written


def test_a_create_whose_job_is_rerun_records_the_platforms_revision(
    make_platform: Make, emu: InProcessEmulator, org: Org
) -> None:
    platform, _ = make_platform()
    emu.admin.gc_job_faults(1, THROTTLED)
    written = checked_in_by_the_failed_job(emu, org, "Main IVR")
    live = platform.create(document("Main IVR"), {})
    assert written == [live.id]  # the failed job's version is there: the rerun wrote 2.0
    read = platform.read(live.id)
    assert read is not None and live.revision == read.revision == "published=2.0;checkedIn=2.0"
    assert EXTRA_INFERRED not in live.extra  # read back, not derived


def test_an_update_whose_job_is_rerun_records_and_journals_the_platforms_revision(
    make_platform: Make, emu: InProcessEmulator, org: Org
) -> None:
    """A draft: the revision journaled before its deactivation is the platform's too."""
    platform, _ = make_platform()
    created = platform.create(document("Main IVR"), {})  # 1.0
    emu.admin.gc_job_faults(1, THROTTLED)
    emu.log.clear()
    checked_in_by_the_failed_job(emu, org, "Main IVR")  # 2.0 by the failed job, 3.0 by the rerun
    steps: list[tuple[str, str, str]] = []
    token = write_step.set(lambda step, flow_id, revision: steps.append((step, flow_id, revision)))
    try:
        draft = document("Main IVR", note="v2", state="draft")
        updated = platform.update(created.id, draft, {}, base=created, policy="fail")
    finally:
        write_step.reset(token)
    assert steps == [(STEP_DEACTIVATION_PENDING, created.id, "published=3.0;checkedIn=3.0")]
    read = platform.read(created.id)
    assert read is not None and updated.revision == read.revision == "published=;checkedIn=3.0"
    assert EXTRA_INFERRED not in updated.extra


def platform_numbered_otherwise(org: Org, emu: InProcessEmulator, name: str, *, by: str = OWN) -> LiveFlow:
    """A flow at 3.0 (`by` wrote 2.0 and 3.0) whose state recorded 2.0, derived by an update."""
    actor = client_actor(by)
    flow = emu.write(org.gc.create_flow, ORG, actor, "INBOUNDCALL", name, None)
    for note in ("one", "two", "three"):
        emu.write(org.gc.publish_as, ORG, flow["id"], actor, archy_text(name, note=note))
    extra = {EXTRA_INFERRED: "update", "archySha256": "0" * 64}
    return LiveFlow(
        flow["id"], name, "INBOUNDCALL", "", "published", "published=2.0;checkedIn=2.0", extra=extra
    )


def test_an_update_from_a_derived_revision_numbered_otherwise_is_not_a_conflict(
    platform: GenesysCloudPlatform, emu: InProcessEmulator, org: Org
) -> None:
    base = platform_numbered_otherwise(org, emu, "Main IVR")
    updated = platform.update(base.id, document("Main IVR", note="v4"), {}, base=base, policy="fail")
    assert updated.revision == "published=4.0;checkedIn=4.0"
    # Without the derivation, or written by another client, it is someone else's change.
    theirs = platform_numbered_otherwise(org, emu, "Other IVR", by="dev-ro")
    with pytest.raises(ConflictError, match="changed outside this stack"):
        platform.update(theirs.id, document("Other IVR", note="v4"), {}, base=theirs, policy="fail")
    mine = platform_numbered_otherwise(org, emu, "Third IVR")
    as_read = dataclasses.replace(mine, extra={k: v for k, v in mine.extra.items() if k != EXTRA_INFERRED})
    with pytest.raises(ConflictError, match="changed outside this stack"):
        platform.update(mine.id, document("Third IVR", note="v4"), {}, base=as_read, policy="fail")


def props_of(base: LiveFlow, **more: Any) -> dict[str, Any]:
    """The state's outputs of `base` (what a refresh gets)."""
    return {
        "name": base.name,
        "type": base.type,
        "flowKey": "main",
        "version": base.revision,
        ARCHY_KEY: archy_text(base.name),
        **{k: v for k, v in base.extra.items()},
        **more,
    }


def test_a_refresh_takes_our_own_derived_write_for_ours(
    platform: GenesysCloudPlatform, emu: InProcessEmulator, org: Org
) -> None:
    base = platform_numbered_otherwise(org, emu, "Main IVR")
    props = props_of(base)
    flow = platform.read_listed(base.id, "INBOUNDCALL")
    assert flow is not None and flow.revision != base.revision
    mark = len(emu.log)
    result = FlowProvider._read_archy(platform, "main", flow, props)
    assert result.outs == slim(props) and result.inputs is None  # the state stands
    assert not [p for _, p, _ in emu.log[mark:] if "/export/" in p]  # no export
    # Recorded as read (not derived): the same pointers are someone else's change, exported.
    del props[EXTRA_INFERRED]
    result = FlowProvider._read_archy(platform, "main", flow, props)
    assert result.inputs is not None and "three" in str(result.inputs[ARCHY_KEY])


def test_a_cut_from_a_derived_revision_numbered_otherwise_is_not_a_conflict(
    platform: GenesysCloudPlatform, emu: InProcessEmulator, org: Org, tmp_path: Path
) -> None:
    base = platform_numbered_otherwise(org, emu, "Main IVR")
    with pytest.raises(ConflictError):  # the extras are what tells
        platform.publish_stub(base.id, base_revision=base.revision, policy="fail")
    # The deploy layer's cut: the owner's write as the journal recorded it (derived by an update).
    journal = IntentJournal(AuditLog(tmp_path / "audit.jsonl", "dev"))
    intent = journal.begin("update", flow_key="main", flow_type="INBOUNDCALL", flow_name="Main IVR")
    adoption.finish_success(journal, intent, base, document("Main IVR"), {})
    owner = journal.owner_of(base.id)
    assert owner is not None and owner.revision_inferred == "update"
    cycles._cut(platform, journal, "used", owner, "fail")
    assert org.flow(base.id)["publishedVersion"]["id"] == "4.0"
