"""Issue 22, the minimum of API calls on genesys-cloud, counted on the in-process emulator's wire
log: one listing per type shared by every create of the process, no read after a job (the version
it wrote derived, and equal to what a read shows), a refresh answered from that listing, and the
org read through export jobs of many flows."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from emulator.testing import InProcessEmulator
from provider.errors import ConflictError
from provider.platforms.base import LiveFlow
from provider.platforms.genesys_cloud import GenesysCloudPlatform
from provider.platforms.genesys_cloud import org as gc_org
from provider.platforms.genesys_cloud.versions import EXTRA_INFERRED
from provider.platforms.genesys_cloud.wire import EntityRef, Flow, FlowVersion
from provider.platforms.http.recorder import ListRecorder
from tests.platforms.genesys_cloud.conftest import ORG, Org, archy_text, document

Make = Callable[..., tuple[GenesysCloudPlatform, ListRecorder]]


def calls(emu: InProcessEmulator, since: int = 0) -> list[str]:
    """The rate-limited calls (no token, no presigned upload or download), as "METHOD /path"."""
    return [f"{m} {p.split('/api/v2', 1)[-1]}" for m, p, _ in emu.log[since:] if p.startswith("/api/v2/")]


def test_creates_share_one_listing_and_no_write_is_read_back(
    make_platform: Make, emu: InProcessEmulator
) -> None:
    platform, _ = make_platform()
    created = [platform.create(document(f"Flow {i}"), {}) for i in range(4)]
    seen = calls(emu)
    assert seen.count("GET /flows") == 1  # the listing of INBOUNDCALL, before the first create
    assert seen.count("POST /flows/jobs") == 4
    assert not [c for c in seen if c.startswith("GET /flows/") and not c.startswith("GET /flows/jobs/")]
    assert not [c for c in seen if "dependencytracking" in c]  # the texts name no other flow

    mark = len(emu.log)
    updated = platform.update(
        created[0].id, document("Flow 0", note="v2"), {}, base=created[0], policy="fail"
    )
    assert [c.rsplit("/", 1)[0] if "/jobs/" in c else c for c in calls(emu, mark)] == [
        f"GET /flows/{created[0].id}",  # the version pointers (no lost update)
        "POST /flows/jobs",
        "GET /flows/jobs",  # its status (the job is done at once here)
    ]
    # What was derived is what the platform holds.
    for flow in (*created[1:], updated):
        read = platform.read(flow.id)
        assert read is not None and read.revision == flow.revision
    assert (created[1].extra[EXTRA_INFERRED], updated.extra[EXTRA_INFERRED]) == ("create", "update")
    assert updated.revision == "published=2.0;checkedIn=2.0"


def test_a_name_in_the_listing_is_looked_up_exactly_before_anything_is_decided(
    make_platform: Make, emu: InProcessEmulator
) -> None:
    """The listing shows a flow that was deleted since: the exact look-up finds nothing, the create
    goes on (a flow that is really there is refused: test_existing_flow_is_never_adopted)."""
    ours, _ = make_platform()
    old = ours.create(document("Reused Name"), {})
    later, _ = make_platform()
    assert later.listing.named("Reused Name", "INBOUNDCALL") is not None  # the run's listing
    ours.delete(old.id, name="Reused Name")
    mark = len(emu.log)
    new = later.create(document("Reused Name"), {})
    assert new.id != old.id
    assert calls(emu, mark)[:2] == ["GET /flows", "POST /flows/jobs"]  # the exact look-up, the job


def test_refresh_reads_the_listing_once_and_sees_an_architect_publish(
    make_platform: Make, emu: InProcessEmulator, org: Org
) -> None:
    writer, _ = make_platform()
    flows = [writer.create(document(f"Flow {i}"), {}) for i in range(3)]
    emu.admin.gc_publish_as_user(ORG, flows[1].id, archy_text("Flow 1", note="theirs"), "Alice Architect")
    refresher, _ = make_platform()  # the next run's provider process
    mark = len(emu.log)
    read = [refresher.read_listed(f.id, "INBOUNDCALL") for f in flows]
    assert calls(emu, mark) == ["GET /flows"]
    assert [r.revision if r else None for r in read] == [
        flows[0].revision,
        "published=2.0;checkedIn=2.0",
        flows[2].revision,
    ]
    assert read[1] is not None and read[1].changed_by == "Alice Architect"


def test_the_org_is_read_through_one_export_job_per_hundred_flows(
    make_platform: Make, emu: InProcessEmulator
) -> None:
    platform, _ = make_platform()
    for i in range(5):
        platform.create(document(f"Flow {i}", note=f"n{i}"), {})
    mark = len(emu.log)
    progress: list[tuple[int, int]] = []
    read = gc_org.read_flows(platform, lambda i, n, _name: progress.append((i, n)))
    assert calls(emu, mark).count("POST /flows/export/jobs") == 1
    assert progress == [(i, 5) for i in range(1, 6)]
    for flow in read:
        assert flow.archy == platform.fetch_content(flow.live.id)
        assert f"n{flow.live.name[-1]}" in flow.archy


def test_a_flow_gone_before_its_export_is_its_own_error_the_batch_is_read(
    make_platform: Make, emu: InProcessEmulator
) -> None:
    """One job for the batch fails (a flow deleted between the listing and the export): the batch is
    exported one flow at a time, and only the missing flow carries an error."""
    platform, _ = make_platform()
    for i in range(3):
        platform.create(document(f"Flow {i}"), {})
    listed = list(platform.list_flows())
    ghost = LiveFlow(
        id="0" * 8 + "-0000-4000-8000-" + "0" * 12,
        name="Gone",
        type="INBOUNDCALL",
        lifecycle_state="published",
        revision="published=1.0;checkedIn=1.0",
        extra={"publishedVersion": "1.0"},
    )
    platform.list_flows = lambda: iter([*listed, ghost])  # type: ignore[method-assign]
    mark = len(emu.log)
    read = {f.live.name: f for f in gc_org.read_flows(platform)}
    assert calls(emu, mark).count("POST /flows/export/jobs") == 1 + 4  # the batch, then each alone
    assert read["Gone"].archy is None and "not found" in (read["Gone"].error or "")
    assert all(read[f"Flow {i}"].archy for i in range(3))


def test_a_derived_version_the_platform_numbered_otherwise_is_still_our_own(
    platform: GenesysCloudPlatform,
) -> None:
    """The state recorded 2.0 (derived after our job); the platform says 3.0 (a version number was
    skipped). Checked in and published by this client: ours, no conflict. The same pointers from a
    user's publish, or after a derived create, are someone else's change: refused under fail."""
    ours = EntityRef(id=platform.settings.client_id)
    v3 = FlowVersion(id="3.0", createdByClient=ours)
    live = Flow(id="f1", name="Flow", type="INBOUNDCALL", publishedVersion=v3, checkedInVersion=v3)
    base = LiveFlow(
        id="f1",
        name="Flow",
        type="INBOUNDCALL",
        lifecycle_state="published",
        revision="published=2.0;checkedIn=2.0",
        extra={EXTRA_INFERRED: "update"},
    )
    assert platform._check_revision(live, base, "fail", "Flow") is False
    theirs = FlowVersion(id="3.0", createdBy=EntityRef(name="Alice Architect"))
    by_user = live.model_copy(update={"publishedVersion": theirs, "checkedInVersion": theirs})
    with pytest.raises(ConflictError):
        platform._check_revision(by_user, base, "fail", "Flow")
    created = dataclasses.replace(base, extra={EXTRA_INFERRED: "create"})
    with pytest.raises(ConflictError):
        platform._check_revision(live, created, "fail", "Flow")
