"""GenesysCloudPlatform against the emulator process's real-platform routes (`emulator` fixture of
tests/conftest.py: one process per session, reset before each test): each bullet of the issue,
with faults, locks and out-of-band edits made through the emulator's admin controls."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from emulator.testing import DEMO_CLIENTS, EmulatorProcess
from provider.domain.document import FlowDocument
from provider.errors import (
    ArchitectError,
    ConflictError,
    ForbiddenError,
    JobFailedError,
    LockedError,
    ValidationError,
)
from provider.platforms.genesys_cloud import GenesysCloudPlatform
from provider.platforms.http.recorder import ListRecorder
from provider.platforms.http.retry import RetryPolicy
from provider.platforms.http.settings import ConnectionSettings
from tests.platforms.genesys_cloud.conftest import archy_text, document

ORG = "dev"
Make = Callable[..., tuple[GenesysCloudPlatform, ListRecorder]]


@pytest.fixture
def make(emulator: EmulatorProcess) -> Make:
    def build(client: str = "dev-rw", **kwargs: Any) -> tuple[GenesysCloudPlatform, ListRecorder]:
        settings = ConnectionSettings.resolve(
            api_url=emulator.url, client_id=client, client_secret=DEMO_CLIENTS[client], env={}
        )
        recorder = ListRecorder()
        kwargs.setdefault("retry", RetryPolicy(max_attempts=8, base_delay=0.05, max_delay=1.0))
        kwargs.setdefault("poll_initial_s", 0.1)
        kwargs.setdefault("poll_max_s", 1.0)
        return GenesysCloudPlatform(settings, recorder=recorder, stack="gc-dev", **kwargs), recorder

    return build


@pytest.fixture
def gc(make: Make) -> GenesysCloudPlatform:
    return make()[0]


def writes(emulator: EmulatorProcess) -> int:
    return int(emulator.admin.stats()["writes"])


def live_names(platform: GenesysCloudPlatform) -> list[str]:
    return sorted(f.name for f in platform.list_flows())


def raw_lock(platform: GenesysCloudPlatform, flow_id: str) -> tuple[Any, Any]:
    flow = platform._api.get_flow(flow_id)
    assert flow is not None
    return flow.lockedUser, flow.lockedClient


def test_lifecycle_end_to_end_keeps_one_flow_per_name(gc: GenesysCloudPlatform) -> None:
    module = gc.create(document("Greeting", kind="commonModule", type="COMMONMODULE"), {})
    main = gc.create(document("Main IVR", uses=("Greeting",)), {"greeting": module.id})
    assert main.references == (module.id,)
    assert main.lifecycle_state == "published" and main.revision == "published=1.0;checkedIn=1.0"

    updated = gc.update(
        main.id, document("Main IVR", uses=("Greeting",), note="v2"), {}, base=main, policy="fail"
    )
    assert (
        updated.id == main.id
        and updated.attributes["description"] == "v2"
        and updated.revision != main.revision
    )

    renamed = gc.update(
        main.id, document("Main IVR Renamed", uses=("Greeting",), note="v2"), {}, base=updated, policy="fail"
    )
    assert renamed.id == main.id and renamed.name == "Main IVR Renamed"
    assert live_names(gc) == ["Greeting", "Main IVR Renamed"]  # no orphan, no second flow
    assert gc.fetch_content(main.id) == archy_text("Main IVR Renamed", uses=("Greeting",), note="v2")
    assert raw_lock(gc, main.id) == (None, None)

    draft = gc.update(
        main.id,
        document("Main IVR Renamed", uses=("Greeting",), note="v2", state="draft"),
        {},
        base=renamed,
        policy="fail",
    )
    assert draft.lifecycle_state == "draft" and draft.revision.startswith("published=;")
    read = gc.read(main.id)
    assert read is not None and read.revision == draft.revision and read.content is None


def test_existing_flow_is_never_adopted(gc: GenesysCloudPlatform, emulator: EmulatorProcess) -> None:
    gc.create(document("Main IVR"), {})
    before = writes(emulator)
    with pytest.raises(ConflictError, match="archctl import --stack gc-dev"):
        gc.create(document("MAIN ivr").model_copy(update={"archy": archy_text("MAIN ivr")}), {})
    assert writes(emulator) == before


def test_draft_create_is_checked_in_not_published(gc: GenesysCloudPlatform) -> None:
    live = gc.create(document("Draft Flow", state="draft"), {})
    assert live.lifecycle_state == "draft"
    assert live.extra.get("checkedInVersion") and "publishedVersion" not in live.extra


def test_out_of_band_publish_conflicts_under_fail_and_proceeds_under_overwrite(
    make: Make, emulator: EmulatorProcess
) -> None:
    gc, recorder = make()
    base = gc.create(document("Main IVR"), {})
    emulator.admin.gc_publish_as_user(
        ORG, base.id, archy_text("Main IVR", note="from Architect"), "Alice Architect"
    )
    before = writes(emulator)
    with pytest.raises(ConflictError) as info:
        gc.update(base.id, document("Main IVR", note="ours"), {}, base=base, policy="fail")
    message = str(info.value)
    assert "Alice Architect" in message and base.revision in message and "published=2.0" in message
    assert writes(emulator) == before
    assert recorder.conflicts[-1].resolution == "failed"

    live = gc.update(base.id, document("Main IVR", note="ours"), {}, base=base, policy="overwrite")
    assert gc.fetch_content(base.id) == archy_text("Main IVR", note="ours")
    assert live.revision != base.revision and recorder.conflicts[-1].resolution == "overwritten"


def test_ui_lock_is_refused_naming_the_holder_and_force_unlock_passes_audited(
    make: Make, emulator: EmulatorProcess
) -> None:
    gc, _ = make()
    base = gc.create(document("Main IVR"), {})
    emulator.admin.gc_lock_as_user(ORG, base.id, "Bob Builder")
    with pytest.raises(LockedError) as info:
        gc.update(base.id, document("Main IVR", note="v2"), {}, base=base, policy="fail")
    assert "Bob Builder" in str(info.value) and "forceUnlock" in str(info.value)

    rw_forced, _ = make("dev-rw", force_unlock=True)
    with pytest.raises(ForbiddenError, match="architect:flow:unlock"):
        rw_forced.update(base.id, document("Main IVR", note="v2"), {}, base=base, policy="fail")

    admin, recorder = make("dev-admin", force_unlock=True)
    live = admin.update(base.id, document("Main IVR", note="v2"), {}, base=base, policy="fail")
    assert live.attributes["description"] == "v2"
    assert [(e.action, e.outcome) for e in recorder.mutations] == [
        ("unlock", "success"),
        ("update", "success"),
    ]
    assert raw_lock(admin, base.id) == (None, None)


def test_rename_failing_halfway_leaves_nothing_locked(
    gc: GenesysCloudPlatform, emulator: EmulatorProcess
) -> None:
    base = gc.create(document("Main IVR"), {})
    emulator.admin.set_faults(error_rate=1.0, statuses=[400], methods=["PUT"])
    with pytest.raises(ValidationError):
        gc.update(base.id, document("Main IVR Renamed"), {}, base=base, policy="fail")
    emulator.admin.clear_faults()
    assert raw_lock(gc, base.id) == (None, None)
    assert live_names(gc) == ["Main IVR"]


@pytest.mark.slow
def test_dropped_connections_after_commit_never_duplicate(make: Make, emulator: EmulatorProcess) -> None:
    gc, recorder = make()
    emulator.admin.set_faults(drop_rate=0.3, drop_mode="after", seed=11, methods=["POST", "PUT", "GET"])
    names = [f"Flow {i:02d}" for i in range(8)]
    created = [gc.create(document(name), {}) for name in names]
    emulator.admin.clear_faults()
    assert emulator.admin.stats()["dropped"] > 0
    assert live_names(gc) == names
    assert len({c.id for c in created}) == len(names)
    assert [e.outcome for e in recorder.mutations] == ["success"] * len(names)


@pytest.mark.slow
def test_429_storm_fails_no_deploy(make: Make, emulator: EmulatorProcess) -> None:
    # Injected 429s carry `Retry-After: 1`; the pacer is off here because it rightly treats a 429 as
    # "this window is spent" and would wait for the emulator's 60 s window (the next test paces).
    gc, recorder = make(pacing=False)
    emulator.admin.set_faults(error_rate=0.3, statuses=[429], seed=5, max_faults=8)
    bases = [gc.create(document(f"Storm {i}"), {}) for i in range(3)]
    for base in bases:
        gc.update(base.id, document(base.name, note="v2"), {}, base=base, policy="fail")
    assert emulator.admin.stats()["rate_limited"] > 0
    emulator.admin.clear_faults()
    assert [e.outcome for e in recorder.mutations] == ["success"] * 6
    assert live_names(gc) == ["Storm 0", "Storm 1", "Storm 2"]


@pytest.mark.slow
def test_low_rate_limit_is_paced_not_failed(make: Make, emulator: EmulatorProcess) -> None:
    gc, recorder = make()
    emulator.admin.set_rate_limit(12, window_seconds=1)
    for i in range(4):
        gc.create(document(f"Paced {i}"), {})
    assert [e.outcome for e in recorder.mutations] == ["success"] * 4


@pytest.mark.slow
def test_job_throttled_inside_the_platform_is_rerun(make: Make, emulator: EmulatorProcess) -> None:
    gc, _ = make()
    emulator.admin.gc_job_faults(1, "Archy failed: too many requests (HTTP 429), exit code: 107")
    assert gc.create(document("Main IVR"), {}).lifecycle_state == "published"


def test_job_failure_quotes_its_messages(gc: GenesysCloudPlatform) -> None:
    doc = document("Main IVR", uses=("No Such Module",))
    with pytest.raises(JobFailedError) as info:
        gc.create(doc, {})
    assert "No Such Module" in str(info.value)
    assert live_names(gc) == []


def test_delete_of_an_in_use_flow_names_the_consumer(
    gc: GenesysCloudPlatform, emulator: EmulatorProcess
) -> None:
    module = gc.create(document("Greeting", kind="commonModule", type="COMMONMODULE"), {})
    main = gc.create(document("Main IVR", uses=("Greeting",)), {})
    assert [c.name for c in gc.consumers(module.id)] == ["Main IVR"]
    with pytest.raises(ConflictError, match="in use by: Main IVR"):
        gc.delete(module.id, name="Greeting")
    gc.delete(main.id, name="Main IVR")
    gc.delete(module.id, name="Greeting")
    gc.delete(module.id, name="Greeting")  # already gone
    assert live_names(gc) == []
    assert gc.read(module.id) is None


def test_delete_of_a_ui_locked_flow_names_the_holder(make: Make, emulator: EmulatorProcess) -> None:
    gc, _ = make()
    base = gc.create(document("Main IVR"), {})
    emulator.admin.gc_lock_as_user(ORG, base.id, "Bob Builder")
    with pytest.raises(LockedError, match="Bob Builder"):
        gc.delete(base.id, name="Main IVR")
    admin, recorder = make("dev-admin", force_unlock=True)
    admin.delete(base.id, name="Main IVR")
    assert [e.action for e in recorder.mutations] == ["unlock", "delete"]


def test_dependency_rebuilding_206_is_waited_for(make: Make, emulator: EmulatorProcess) -> None:
    gc, recorder = make()
    module = gc.create(document("Greeting", kind="commonModule", type="COMMONMODULE"), {})
    emulator.admin.gc_dependency_rebuilding(True)
    stop = threading.Event()

    def end_rebuild_after_a_206() -> None:
        while not stop.is_set():
            if any(r.status == 206 for r in recorder.requests):
                emulator.admin.gc_dependency_rebuilding(False)
                return
            stop.wait(0.02)

    watcher = threading.Thread(target=end_rebuild_after_a_206, daemon=True)
    watcher.start()
    try:
        main = gc.create(document("Main IVR", uses=("Greeting",)), {"greeting": module.id})
    finally:
        stop.set()
        watcher.join(timeout=10)
    assert main.references == (module.id,)
    assert any(r.status == 206 for r in recorder.requests)


def test_slow_platform_is_polled_with_backoff(make: Make, emulator: EmulatorProcess) -> None:
    gc, recorder = make(poll_initial_s=0.1, poll_max_s=0.4)
    emulator.admin.gc_set_async_delay(1.0)
    live = gc.create(document("Main IVR"), {})
    polls = [r for r in recorder.requests if r.path_template == "/api/v2/flows/jobs/{jobId}"]
    # 1 s of work: 0.1 + 0.16 + 0.256 + 0.4 + 0.4 … — a handful of polls, never one per 15 s nor per 0.1 s.
    assert 3 <= len(polls) <= 8
    assert live.lifecycle_state == "published"


def test_read_only_client_cannot_deploy(make: Make) -> None:
    ro, _ = make("dev-ro")
    with pytest.raises(ForbiddenError) as info:
        ro.create(document("Main IVR"), {})
    # the platform's message names the permission; the hint says where a Genesys Cloud client gets it
    assert info.value.code == "missing.permissions"
    assert "missing the following permission(s): [architect:job:create]" in info.value.message
    assert "on Genesys Cloud a role with that permission" in info.value.message


def test_every_call_is_counted_by_the_recorder(make: Make, emulator: EmulatorProcess) -> None:
    emulator.admin.reset()
    gc, recorder = make()
    gc.create(document("Main IVR"), {})
    counted = [
        r
        for r in recorder.requests
        if r.path_template != "/oauth/token" and not r.path_template.startswith("PUT {")
    ]
    served = sum(r["count"] for r in emulator.admin.stats()["requests"] if r["path"].startswith("/api/v2/"))
    assert len(counted) == served


@pytest.mark.slow
@pytest.mark.parametrize("seed", [3, 7, 21, 42, 99])
def test_rename_and_update_under_dropped_answers_leave_one_unlocked_flow(
    make: Make, emulator: EmulatorProcess, seed: int
) -> None:
    gc, recorder = make()
    base = gc.create(document("Main IVR"), {})
    emulator.admin.set_faults(
        drop_rate=0.5, drop_mode="after", seed=seed, methods=["POST", "PUT"], max_faults=4
    )
    renamed = gc.update(base.id, document("Main IVR Renamed"), {}, base=base, policy="fail")
    updated = gc.update(base.id, document("Main IVR Renamed", note="v3"), {}, base=renamed, policy="fail")
    emulator.admin.clear_faults()
    assert emulator.admin.stats()["dropped"] > 0
    assert updated.id == base.id and live_names(gc) == ["Main IVR Renamed"]
    assert raw_lock(gc, base.id) == (None, None)
    assert [e.outcome for e in recorder.mutations] == ["success"] * 3


def test_expired_upload_url_fails_clearly_and_creates_nothing(
    gc: GenesysCloudPlatform, emulator: EmulatorProcess
) -> None:
    emulator.admin.gc_set_upload_ttl(0)
    with pytest.raises(ArchitectError) as info:
        gc.create(document("Main IVR"), {})
    assert info.value.code == "upload.refused" and "expired" in str(info.value)
    assert live_names(gc) == []


def test_drift_content_of_any_version_through_an_export_job(gc: GenesysCloudPlatform) -> None:
    base = gc.create(document("Main IVR"), {})
    gc.update(base.id, document("Main IVR", note="v2"), {}, base=base, policy="fail")
    assert gc.fetch_content(base.id, "1.0") == archy_text("Main IVR")
    assert gc.fetch_content(base.id) == archy_text("Main IVR", note="v2")


def _transfer(name: str, target: str) -> FlowDocument:
    """An inbound call flow whose only action transfers to `target` (by name, any type)."""
    body = {
        "name": name,
        "startUpRef": "./tasks/task[Main]",
        "tasks": [
            {"task": {"name": "Main", "actions": [{"transferToFlow": {"targetFlow": {"name": target}}}]}}
        ],
    }
    return FlowDocument(
        key=name.lower().replace(" ", "-"),
        name=name,
        type="INBOUNDCALL",  # type: ignore[arg-type]
        lifecycle_state="published",  # type: ignore[arg-type]
        archy=yaml.safe_dump({"inboundCall": body}, sort_keys=False),
        references=("billing",),
    )


def test_type_change_of_a_transfer_target_renames_the_old_flow_aside_once(
    make: Make, emulator: EmulatorProcess
) -> None:
    gc, recorder = make()
    old = gc.create(document("Billing"), {})
    mains = [gc.create(_transfer(f"Main {i}", "Billing"), {"billing": old.id}) for i in range(3)]
    assert all(m.references == (old.id,) for m in mains)
    # A foreign in-queue flow of another name, and the replacement: same name, another type.
    new = gc.create(document("Billing", kind="inqueueCall", type="INQUEUECALL"), {})

    # The dependents update in parallel (as the engine runs them): each binds to the new flow.
    results: dict[int, Any] = {}

    def update(i: int) -> None:
        results[i] = gc.update(
            mains[i].id,
            _transfer(f"Main {i}", "Billing"),
            {"billing": new.id},
            base=mains[i],
            policy="fail",
            previous_ids={"billing": old.id},
        )

    threads = [threading.Thread(target=update, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [0, 1, 2]
    assert all(r.references == (new.id,) for r in results.values())
    renamed = gc.read(old.id)
    assert renamed is not None and renamed.name == f"Billing (replaced {old.id[:8]})"
    assert renamed.type == "INBOUNDCALL" and renamed.extra.get("lockedBy") is None
    asides = [e for e in recorder.mutations if e.flow_id == old.id and e.action == "update"]
    assert len(asides) == 1 and asides[0].outcome == "success"
    gc.delete(old.id, name="Billing")  # no longer used: nothing refuses it
    assert gc.read(old.id) is None


def test_an_unchanged_reference_never_renames_a_same_named_flow(make: Make) -> None:
    gc, recorder = make()
    ours = gc.create(document("Billing", kind="inqueueCall", type="INQUEUECALL"), {})
    foreign = gc.create(document("Billing"), {})  # someone else's inbound call flow of that name
    main = gc.create(_transfer("Main", "Billing"), {"billing": ours.id})
    gc.update(
        main.id,
        _transfer("Main", "Billing"),
        {"billing": ours.id},
        base=main,
        policy="fail",
        previous_ids={"billing": ours.id},
    )
    left = gc.read(foreign.id)
    assert left is not None and left.name == "Billing"
    assert not [e for e in recorder.mutations if e.flow_id == foreign.id and e.action == "update"]


def test_set_aside_before_a_create_renames_only_the_same_named_flow_of_another_type(make: Make) -> None:
    gc, recorder = make()
    old = gc.create(document("Billing"), {})
    other = gc.create(document("Sales"), {})
    replacement = document("Billing", kind="inqueueCall", type="INQUEUECALL")
    assert not gc.set_aside(other.id, replacement)  # another name
    assert not gc.set_aside(old.id, document("Billing", note="v2"))  # the same type: an update
    assert gc.set_aside(old.id, replacement)
    assert not gc.set_aside(old.id, replacement)  # once
    renamed = gc.read(old.id)
    assert renamed is not None and renamed.name == f"Billing (replaced {old.id[:8]})"
    assert renamed.lifecycle_state == "published" and renamed.extra.get("lockedBy") is None
    new = gc.create(replacement, {})  # no name clash with the old flow's binding any more
    main = gc.create(_transfer("Main", "Billing"), {"billing": new.id})
    assert main.references == (new.id,)
    assert [e.flow_id for e in recorder.mutations if e.action == "update"] == [old.id]


def test_a_lost_job_registration_over_a_socket_finishes_a_draft_update_in_the_same_run(
    make: Make, emulator: EmulatorProcess
) -> None:
    """The connection of `POST /api/v2/flows/jobs` drops after the server registered the job (a real
    socket, jobs of half a second): the update finishes in the same run, with one job uploaded to."""
    gc, recorder = make()
    base = gc.create(document("Main IVR", state="draft"), {})
    emulator.admin.gc_set_job_duration(0.5)
    emulator.admin.set_faults(
        drop_rate=1.0, drop_mode="after", methods=["POST"], paths=["/api/v2/flows/jobs"], max_faults=1
    )
    live = gc.update(base.id, document("Main IVR", state="draft", note="v2"), {}, base=base, policy="fail")
    stats = emulator.admin.stats()
    uploads = sum(
        r["count"] for r in stats["requests"] if r["method"] == "PUT" and r["path"].startswith("/_upload/")
    )
    assert stats["dropped"] == 1 and uploads == 2  # the create's and the update's: one each
    assert live.lifecycle_state == "draft" and live_names(gc) == ["Main IVR"]
    assert [(e.action, e.outcome) for e in recorder.mutations] == [
        ("create", "success"),
        ("update", "success"),
    ]
