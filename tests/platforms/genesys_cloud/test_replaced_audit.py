"""The audit trail names whose work a write replaced: a forced unlock records the holder (a UI user
or another OAuth client, as the flow names it) and the lock's age (from the holder's saved working
copy); an overwrite records the live version it replaced and who published it, beside the state's
base. Through the platform against the in-process emulator, into a real audit file, and back out
through `archctl audit`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from emulator.genesys import flows as emu_flows
from emulator.genesys.render import user_actor
from provider.cli import logs
from provider.errors import ConflictError, ForbiddenError
from provider.governance.audit import AuditLog, read
from provider.platforms.genesys_cloud import GenesysCloudPlatform
from provider.platforms.http.recorder import ListRecorder, MutationEvent
from tests.platforms.genesys_cloud.conftest import ORG, Org, VirtualClock, archy_text, document

Make = Callable[..., tuple[GenesysCloudPlatform, ListRecorder]]


def _entries(tmp_path: Path, events: list[MutationEvent]) -> list[dict[str, object]]:
    """The events as the audit file holds them (written, then read back from disk)."""
    trail = AuditLog(tmp_path / "audit.jsonl", "dev")
    for event in events:
        trail.record(event, flow_key="main-ivr")
    trail.close()
    return read(tmp_path / "audit.jsonl").entries


def test_a_forced_unlock_names_the_user_and_the_age_of_the_lock(
    make_platform: Make, org: Org, tmp_path: Path, clock: VirtualClock, slow_jobs: None
) -> None:
    # The emulator and the platform on one virtual wall clock (`slow_jobs`): the age is exact.
    epoch = emu_flows.time.time() - clock.now
    platform, recorder = make_platform("admin", force_unlock=True, wall_clock=lambda: epoch + clock.now)
    base = platform.create(document("Main IVR"), {})
    org.lock_as_user(base.id, "Bob Builder", saved_seconds_ago=300)
    platform.update(base.id, document("Main IVR", note="v2"), {}, base=base, policy="fail")

    unlock = next(e for e in recorder.mutations if e.action == "unlock")
    entries = _entries(tmp_path, recorder.mutations)
    assert [(e["action"], "replaced" in e) for e in entries] == [
        ("create", False),
        ("unlock", True),
        ("update", False),
    ]
    entry = entries[1]
    replaced = entry["replaced"]
    assert isinstance(replaced, dict) and replaced == unlock.replaced
    bob = user_actor(ORG, "Bob Builder")
    assert (replaced["what"], replaced["holder_kind"], replaced["holder_name"], replaced["holder_id"]) == (
        "lock",
        "user",
        "Bob Builder",
        bob["id"],
    )
    # saved 300 s before the unlock (no time passes on the virtual clock between the two), to the
    # millisecond the platform dates a saved copy in (`dateSaved`, epoch ms)
    assert 300.0 <= float(replaced["lock_age_s"]) <= 300.001
    assert str(replaced["lock_since"]).endswith("Z")
    assert logs._replaced(replaced) == "lock of user Bob Builder (held ≥ 300 s)"


def test_the_lock_of_another_oauth_client_without_a_saved_copy_has_no_known_age(
    make_platform: Make, org: Org
) -> None:
    rw, _ = make_platform("rw")
    admin, recorder = make_platform("admin", force_unlock=True)
    base = rw.create(document("Main IVR"), {})
    rw._api.action("checkout", base.id)  # the other client's lock, nothing saved
    admin.update(base.id, document("Main IVR", note="v2"), {}, base=base, policy="fail")
    (unlock,) = [e for e in recorder.mutations if e.action == "unlock"]
    assert unlock.outcome == "success" and unlock.replaced is not None
    assert {k: unlock.replaced[k] for k in ("holder_kind", "holder_id", "lock_age_s")} == {
        "holder_kind": "client",
        "holder_id": f"{ORG}-rw",
        "lock_age_s": None,
    }
    assert logs._replaced(dict(unlock.replaced)) == f"lock of client {ORG}-rw (age unknown)"


def test_force_unlock_without_the_permission_names_it_and_still_records_the_holder(
    make_platform: Make, org: Org
) -> None:
    platform, recorder = make_platform("rw", force_unlock=True)
    base = platform.create(document("Main IVR"), {})
    org.lock_as_user(base.id, "Bob Builder")
    with pytest.raises(ForbiddenError, match="forceUnlock needs the permission architect:flow:unlock"):
        platform.update(base.id, document("Main IVR", note="v2"), {}, base=base, policy="fail")
    (unlock,) = [e for e in recorder.mutations if e.action == "unlock"]
    assert unlock.outcome == "failure" and unlock.replaced is not None
    assert unlock.replaced["holder_name"] == "Bob Builder" and org.locked(base.id)


def test_an_overwrite_records_the_version_replaced_and_its_publisher_beside_the_base(
    make_platform: Make, org: Org, tmp_path: Path
) -> None:
    platform, recorder = make_platform()
    base = platform.create(document("Main IVR"), {})
    org.publish_as_user(base.id, archy_text("Main IVR", note="theirs"), "Ann Architect")
    platform.update(base.id, document("Main IVR", note="ours"), {}, base=base, policy="overwrite")

    update = recorder.mutations[-1]
    assert (update.action, update.outcome, update.version_before, update.version_after) == (
        "update",
        "success",
        "1.0",
        "3.0",
    )
    entry = _entries(tmp_path, [update])[0]
    assert entry["replaced"] == {
        "what": "version",
        "version": "2.0",
        "revision": "published=2.0;checkedIn=2.0",
        "by_kind": "user",
        "by_id": user_actor(ORG, "Ann Architect")["id"],
        "by_name": "Ann Architect",
        "base_version": "1.0",
        "base_revision": "published=1.0;checkedIn=1.0",
    }
    assert logs._replaced(entry["replaced"]) == "2.0 of user Ann Architect (base 1.0)"
    assert json.dumps(entry).count("demo-secret") == 0


def test_nothing_is_replaced_by_a_refused_conflict_or_a_plain_update(make_platform: Make, org: Org) -> None:
    platform, recorder = make_platform()
    base = platform.create(document("Main IVR"), {})
    second = platform.update(base.id, document("Main IVR", note="v2"), {}, base=base, policy="fail")
    org.publish_as_user(base.id, archy_text("Main IVR", note="theirs"), "Ann Architect")
    with pytest.raises(ConflictError):
        platform.update(base.id, document("Main IVR", note="v3"), {}, base=second, policy="fail")
    assert [(e.action, e.outcome, e.replaced) for e in recorder.mutations] == [
        ("create", "success", None),
        ("update", "success", None),
        ("update", "failure", None),
    ]


def test_a_recovery_deactivation_is_audited_with_the_version_it_took_down(
    make_platform: Make, org: Org, tmp_path: Path
) -> None:
    """The recovery of a draft a killed write left published (adoption.complete_deactivation) is a
    write of its own: an `update` entry naming the published version taken down."""
    platform, recorder = make_platform()
    flow = platform.create(document("Main IVR"), {})  # published, as a killed draft's job leaves it
    after = platform.deactivate(flow.id)
    assert after is not None and after.lifecycle_state == "draft"
    update = recorder.mutations[-1]
    assert (update.action, update.outcome, update.version_before, update.version_after) == (
        "update",
        "success",
        "1.0",
        "1.0",
    )
    entry = _entries(tmp_path, [update])[0]
    replaced = entry["replaced"]
    assert isinstance(replaced, dict)
    assert (replaced["what"], replaced["version"], replaced["by_kind"], replaced["by_id"]) == (
        "version",
        "1.0",
        "client",
        f"{ORG}-rw",
    )
    assert logs._replaced(replaced) == f"1.0 of client {ORG}-rw (taken down)"
    assert platform.deactivate(flow.id) is not None and recorder.mutations[-1] is update  # no-op: no entry
