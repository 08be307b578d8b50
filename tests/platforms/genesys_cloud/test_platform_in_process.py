"""GenesysCloudPlatform against the emulator's app mounted in this process (`emu`: the real routes,
store and fault injection behind a requests transport adapter; `org` reads the emulator's state):
every decision of the platform, with the real requestor, auth, retries and proxy underneath, on a
virtual clock. Faults go through the emulator's admin controls (`set_faults` with a path prefix and,
where the platform's answer matters, its body); a race is made to happen at an exact request with
the adapter's `before` hooks. The emulator process tests (timing, real sockets) are in
test_platform_emulator.py."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from emulator.testing import InProcessEmulator
from provider.errors import (
    ArchitectError,
    ConfigurationError,
    ConflictError,
    ForbiddenError,
    JobFailedError,
    LockedError,
    ValidationError,
)
from provider.platforms.base import LiveFlow, Platform
from provider.platforms.genesys_cloud import GenesysCloudPlatform
from provider.platforms.genesys_cloud.platform import EXTRA_ARCHY_SHA
from provider.platforms.http.recorder import ListRecorder
from tests.platforms.genesys_cloud.conftest import Org, archy_text, document

Make = Callable[..., tuple[GenesysCloudPlatform, ListRecorder]]
Exchange = tuple[str, str, int | None]


def paths(calls: list[Exchange]) -> list[str]:
    return [f"{m} {p.split('/api/v2', 1)[-1]}" for m, p, _ in calls]


def api_calls(emu: InProcessEmulator) -> list[Exchange]:
    return [e for e in emu.log if e[1] != "/oauth/token"]


def writes(emu: InProcessEmulator) -> list[Exchange]:
    return [e for e in api_calls(emu) if e[0] != "GET"]


def jobs(emu: InProcessEmulator) -> list[str]:
    """The import jobs registered, by the upload paths and polls that name them, in order."""
    ids: list[str] = []
    for _, path, _ in emu.log:
        if path.startswith(("/_upload/", "/api/v2/flows/jobs/")):
            job = path.rsplit("/", 1)[1]
            if job not in ids:
                ids.append(job)
    return ids


def registrations(emu: InProcessEmulator) -> int:
    return sum(1 for m, p, _ in emu.log if (m, p) == ("POST", "/api/v2/flows/jobs"))


def fail_next(emu: InProcessEmulator, method: str, path: str, *, count: int = 1, **fault: object) -> None:
    """The next `count` requests of `method` on paths starting with `path` meet `fault` (an error
    status with its body, or a dropped connection before/after the request is applied)."""
    if "status" in fault:
        fault = {"error_rate": 1.0, "statuses": [fault.pop("status")], **fault}
    elif "drop_mode" in fault:
        fault = {"drop_rate": 1.0, **fault}
    emu.admin.set_faults(methods=[method], paths=[path], max_faults=count, **fault)


def test_is_a_platform_with_fail_and_overwrite_only(platform: GenesysCloudPlatform) -> None:
    assert isinstance(platform, Platform)
    assert platform.name == "genesys-cloud"
    assert platform.conflict_policies == frozenset({"fail", "overwrite"})


# ---------------------------------------------------------------------------------------------- validate


def test_validate_reports_every_platform_rule_at_once(platform: GenesysCloudPlatform) -> None:
    doc = document("Main IVR", state="archived").model_copy(
        update={"archy": archy_text("Other Name", kind="workflow")}
    )
    problems = platform.validate(doc)
    assert [(p.field, p.rule) for p in problems] == [
        ("lifecycle_state", "genesys.flow.lifecycle.archived.unsupported"),
        ("type", "genesys.flow.archy.type.mismatch"),
        ("name", "genesys.flow.archy.name.mismatch"),
    ]
    assert all(p.flow == "Main IVR" for p in problems)


def test_validate_refuses_blocks_missing_and_unparseable_archy(platform: GenesysCloudPlatform) -> None:
    blocks = document("A1").model_copy(update={"archy": None, "blocks": ()})
    assert [p.rule for p in platform.validate(blocks)] == [
        "genesys.flow.blocks.unsupported",
        "genesys.flow.archy.required",
    ]
    broken = document("A1").model_copy(update={"archy": "inboundCall: [oops"})
    (problem,) = platform.validate(broken)
    assert problem.field == "archy" and "not valid YAML" in problem.message


def test_invalid_document_sends_nothing(platform: GenesysCloudPlatform, emu: InProcessEmulator) -> None:
    with pytest.raises(ValidationError) as info:
        platform.create(document("A1", state="archived"), {})
    assert "archived" in str(info.value)
    assert emu.log == []


# ---------------------------------------------------------------------------------------------- create


def test_create_deploys_through_one_job_and_records_pointers(
    make_platform: Make, emu: InProcessEmulator, org: Org
) -> None:
    platform, recorder = make_platform()
    live = platform.create(document("Main IVR"), {})
    (flow,) = org.by_name("Main IVR")
    assert live.id == flow["id"]
    assert live.lifecycle_state == "published"
    assert live.revision == "published=1.0;checkedIn=1.0"
    assert live.extra[EXTRA_ARCHY_SHA]
    (job,) = jobs(emu)
    assert paths(api_calls(emu)) == [
        "GET /flows",  # the run's listing of the type (shared by every create of the process)
        "POST /flows/jobs",
        "PUT /_upload/" + job,
        "GET /flows/jobs/" + job,  # Success (polling a job that takes time: test_platform_emulator.py)
    ]  # no read back (the job's answer and a new flow's 1.0), no consumed flows (the text names none)
    (event,) = recorder.mutations
    assert (event.action, event.outcome, event.version_after) == ("create", "success", "1.0")


def test_create_never_adopts_an_existing_flow(
    platform: GenesysCloudPlatform, emu: InProcessEmulator, org: Org
) -> None:
    org.seed(archy_text("main ivr"))
    with pytest.raises(ConflictError) as info:
        platform.create(document("Main IVR"), {})
    assert "archctl import --stack dev" in str(info.value)
    assert info.value.code == "architect.flow.already.exists"
    assert writes(emu) == []


def test_create_lookup_is_exact_although_the_list_filter_is_not(
    platform: GenesysCloudPlatform, org: Org
) -> None:
    org.seed(archy_text("Main IVR Backup"))
    org.seed(archy_text("Main IVR", kind="workflow"))  # same name, another type
    live = platform.create(document("Main IVR"), {})
    assert live.type == "INBOUNDCALL" and len(org.by_name("Main IVR")) == 2


def test_create_draft_is_deactivated_after_its_job(
    platform: GenesysCloudPlatform, emu: InProcessEmulator
) -> None:
    live = platform.create(document("Draft One", state="draft"), {})
    assert live.lifecycle_state == "draft"
    assert live.revision == "published=;checkedIn=1.0"
    assert ("POST", "/api/v2/flows/actions/deactivate", 200) in emu.log


def test_create_returns_the_consumed_flows_of_the_new_version(
    platform: GenesysCloudPlatform, emu: InProcessEmulator
) -> None:
    module = platform.create(document("Greeting", kind="commonModule", type="COMMONMODULE"), {})
    emu.admin.gc_dependency_rebuilding(True)  # dependency tracking answers 206 twice first
    asked: list[str] = []

    def rebuilt_after_two(method: str, path: str) -> None:
        if path.startswith("/api/v2/architect/dependencytracking/"):
            asked.append(path)
            if len(asked) == 3:
                emu.admin.gc_dependency_rebuilding(False)

    emu.adapter.before.append(rebuilt_after_two)
    live = platform.create(document("Main IVR", uses=("Greeting",)), {"greeting": module.id})
    assert live.references == (module.id,)
    assert [s for _, p, s in emu.log if p.startswith("/api/v2/architect/")][-3:] == [206, 206, 200]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v2/flows/jobs"),  # registration answer lost: a second job is registered
        ("PUT", "/_upload/"),  # upload answer lost: the retry is refused, the job tells
        ("GET", "/api/v2/flows/jobs/"),  # status answer lost: polled again
    ],
)
def test_lost_answers_during_create_never_duplicate(
    platform: GenesysCloudPlatform, emu: InProcessEmulator, org: Org, method: str, path: str
) -> None:
    fail_next(emu, method, path, drop_mode="after")
    live = platform.create(document("Main IVR"), {})
    assert emu.admin.stats()["dropped"] == 1
    (flow,) = org.by_name("Main IVR")
    assert live.id == flow["id"] and len(org.versions(flow["id"])) == 1


def test_create_whose_job_answers_are_all_lost_is_resolved_by_the_lookup(
    platform: GenesysCloudPlatform, emu: InProcessEmulator, org: Org
) -> None:
    fail_next(emu, "GET", "/api/v2/flows/jobs/", drop_mode="after", count=50)
    live = platform.create(document("Main IVR"), {})
    (flow,) = org.by_name("Main IVR")
    assert live.id == flow["id"]
    assert [s for m, p, s in emu.log if p.startswith("/api/v2/flows/jobs/")] == [None] * 4


def test_job_throttled_inside_the_platform_is_run_again(make_platform: Make, emu: InProcessEmulator) -> None:
    platform, recorder = make_platform()
    emu.admin.gc_job_faults(1, "Archy failed: HTTP 429 Too Many Requests (exit code: 107)")
    live = platform.create(document("Main IVR"), {})
    assert live.lifecycle_state == "published"
    assert [e.outcome for e in recorder.mutations] == ["success"]
    assert registrations(emu) == 2


def test_job_failure_quotes_the_platform_messages(
    platform: GenesysCloudPlatform, emu: InProcessEmulator
) -> None:
    emu.admin.gc_job_faults(1, "Referenced flow 'Ghost' does not exist")
    with pytest.raises(JobFailedError) as info:
        platform.create(document("Main IVR"), {})
    assert "Referenced flow 'Ghost' does not exist" in str(info.value)


def test_a_429_in_a_flow_name_is_not_throttling(
    platform: GenesysCloudPlatform, emu: InProcessEmulator
) -> None:
    emu.admin.gc_job_faults(
        1, "Flow 'Queue 429' references flows that cannot be used: 'Ghost' does not exist."
    )
    with pytest.raises(JobFailedError, match="Queue 429"):
        platform.create(document("Main IVR"), {})
    assert registrations(emu) == 1  # failed once, not run again


def test_job_429_failures_are_bounded(platform: GenesysCloudPlatform, emu: InProcessEmulator) -> None:
    emu.admin.gc_job_faults(5, "exit code: 107")
    with pytest.raises(JobFailedError):
        platform.create(document("Main IVR"), {})
    assert registrations(emu) == 3


# ---------------------------------------------------------------------------------------------- read


def test_read_is_one_get_and_gone_is_none(
    platform: GenesysCloudPlatform, emu: InProcessEmulator, org: Org
) -> None:
    flow = org.seed(archy_text("Main IVR"))
    live = platform.read(flow["id"])
    assert live is not None and live.content is None and live.changed_by == "Ann Architect"
    assert len(api_calls(emu)) == 1
    org.delete(flow["id"])
    assert platform.read(flow["id"]) is None
    assert platform.read("no-such-id") is None


def test_fetch_content_exports_the_yaml(platform: GenesysCloudPlatform, org: Org) -> None:
    text = archy_text("Main IVR")
    flow = org.seed(text)
    assert platform.fetch_content(flow["id"]) == text
    assert platform.fetch_content(flow["id"], "1.0") == text


def test_find_and_list(platform: GenesysCloudPlatform, org: Org) -> None:
    org.seed(archy_text("Main IVR"))
    org.seed(archy_text("Main IVR 2"))
    found = platform.find("MAIN ivr", "INBOUNDCALL")
    assert found is not None and found.name == "Main IVR"
    assert sorted(f.name for f in platform.list_flows()) == ["Main IVR", "Main IVR 2"]


# ---------------------------------------------------------------------------------------------- update


def deployed(platform: GenesysCloudPlatform, name: str = "Main IVR", **kwargs: object) -> LiveFlow:
    return platform.create(document(name, **kwargs), {})  # type: ignore[arg-type]


def test_unchanged_update_is_one_get_and_no_write(
    platform: GenesysCloudPlatform, emu: InProcessEmulator
) -> None:
    base = deployed(platform)
    emu.adapter.log.clear()
    live = platform.update(base.id, document("Main IVR"), {}, base=base, policy="fail")
    assert live.revision == base.revision and live.references == base.references
    assert paths(api_calls(emu)) == [f"GET /flows/{base.id}"]


def test_content_update_is_one_job(platform: GenesysCloudPlatform, emu: InProcessEmulator) -> None:
    base = deployed(platform)
    emu.adapter.log.clear()
    live = platform.update(base.id, document("Main IVR", note="v2"), {}, base=base, policy="fail")
    assert live.id == base.id and live.revision == "published=2.0;checkedIn=2.0"
    assert paths(writes(emu)) == ["POST /flows/jobs", f"PUT /_upload/{jobs(emu)[-1]}"]


def test_out_of_band_publish_fails_under_fail_naming_versions_and_who(
    make_platform: Make, emu: InProcessEmulator, org: Org
) -> None:
    platform, recorder = make_platform()
    base = deployed(platform)
    org.publish_as_user(base.id, archy_text("Main IVR", note="edited in Architect"), "Ann Architect")
    emu.adapter.log.clear()
    with pytest.raises(ConflictError) as info:
        platform.update(base.id, document("Main IVR", note="ours"), {}, base=base, policy="fail")
    message = str(info.value)
    assert "published=1.0;checkedIn=1.0" in message and "published=2.0;checkedIn=2.0" in message
    assert "Ann Architect" in message
    assert writes(emu) == []
    assert recorder.conflicts[-1].resolution == "failed"
    assert recorder.mutations[-1].outcome == "failure"


def test_out_of_band_publish_is_overwritten_and_recorded_under_overwrite(
    make_platform: Make, org: Org
) -> None:
    platform, recorder = make_platform()
    base = deployed(platform)
    org.publish_as_user(base.id, archy_text("Main IVR", note="edited"), "Ann Architect")
    live = platform.update(base.id, document("Main IVR", note="ours"), {}, base=base, policy="overwrite")
    assert live.revision == "published=3.0;checkedIn=3.0"
    assert org.config(base.id) == archy_text("Main IVR", note="ours")
    assert recorder.conflicts[-1].resolution == "overwritten"


def test_merge_is_refused_before_any_call(platform: GenesysCloudPlatform, emu: InProcessEmulator) -> None:
    base = deployed(platform)
    emu.adapter.log.clear()
    with pytest.raises(ConfigurationError, match="opaque YAML"):
        platform.update(base.id, document("Main IVR"), {}, base=base, policy="merge")
    assert emu.log == []


def test_lock_of_a_ui_user_is_refused_naming_the_holder(
    platform: GenesysCloudPlatform, emu: InProcessEmulator, org: Org
) -> None:
    base = deployed(platform)
    org.lock_as_user(base.id, "Bob Builder")
    emu.adapter.log.clear()
    with pytest.raises(LockedError) as info:
        platform.update(base.id, document("Main IVR", note="v2"), {}, base=base, policy="fail")
    assert info.value.holder == "user Bob Builder"
    assert "forceUnlock" in str(info.value)
    assert writes(emu) == []


def test_force_unlock_unlocks_first_and_audits_it(make_platform: Make, org: Org) -> None:
    platform, recorder = make_platform("admin", force_unlock=True)
    base = deployed(platform)
    org.lock_as_user(base.id, "Bob Builder")
    live = platform.update(base.id, document("Main IVR", note="v2"), {}, base=base, policy="fail")
    assert live.revision == "published=2.0;checkedIn=2.0"
    assert [(e.action, e.outcome) for e in recorder.mutations] == [
        ("create", "success"),
        ("unlock", "success"),
        ("update", "success"),
    ]
    assert not org.locked(base.id)


def test_force_unlock_without_the_permission_says_so(make_platform: Make, org: Org) -> None:
    platform, recorder = make_platform("rw", force_unlock=True)
    base = deployed(platform)
    org.lock_as_user(base.id, "Bob Builder")
    with pytest.raises(ForbiddenError, match="architect:flow:unlock"):
        platform.update(base.id, document("Main IVR", note="v2"), {}, base=base, policy="fail")
    assert ("unlock", "failure") in [(e.action, e.outcome) for e in recorder.mutations]


def test_lock_taken_between_check_and_job_fails_naming_the_holder(
    platform: GenesysCloudPlatform, emu: InProcessEmulator, org: Org
) -> None:
    base = deployed(platform)

    def lock_then_upload(method: str, path: str) -> None:
        if path.startswith("/_upload/") and not org.locked(base.id):
            org.lock_as_user(base.id, "Carol")

    emu.adapter.before.append(lock_then_upload)
    with pytest.raises(LockedError, match="user Carol"):
        platform.update(base.id, document("Main IVR", note="v2"), {}, base=base, policy="fail")


def test_rename_in_place_keeps_the_id(
    platform: GenesysCloudPlatform, emu: InProcessEmulator, org: Org
) -> None:
    base = deployed(platform)
    emu.adapter.log.clear()
    live = platform.update(base.id, document("Main IVR Renamed"), {}, base=base, policy="fail")
    assert live.id == base.id and live.name == "Main IVR Renamed"
    assert len(org.live()) == 1
    assert not org.locked(base.id)
    assert live.lifecycle_state == "published"
    assert paths(writes(emu))[:3] == [
        "POST /flows/actions/checkout",
        f"PUT /flows/{base.id}",
        "POST /flows/actions/checkin",
    ]
    assert org.config(base.id) == archy_text("Main IVR Renamed")


def test_rename_failing_halfway_leaves_nothing_locked(
    platform: GenesysCloudPlatform, emu: InProcessEmulator, org: Org
) -> None:
    base = deployed(platform)
    body = {"code": "architect.flow.validate.failed", "message": "invalid", "status": 400}
    fail_next(emu, "PUT", f"/api/v2/flows/{base.id}", status=400, body=body)
    with pytest.raises(ValidationError):
        platform.update(base.id, document("Main IVR Renamed"), {}, base=base, policy="fail")
    assert not org.locked(base.id) and org.flow(base.id)["name"] == "Main IVR"


def test_rename_onto_an_existing_name_is_refused_and_released(
    platform: GenesysCloudPlatform, org: Org
) -> None:
    base = deployed(platform)
    org.seed(archy_text("Taken"))
    with pytest.raises(ConflictError):
        platform.update(base.id, document("Taken"), {}, base=base, policy="fail")
    assert not org.locked(base.id)


def test_draft_and_publish_transitions(platform: GenesysCloudPlatform, emu: InProcessEmulator) -> None:
    base = deployed(platform)
    draft = platform.update(base.id, document("Main IVR", state="draft"), {}, base=base, policy="fail")
    assert draft.lifecycle_state == "draft"
    again = platform.update(base.id, document("Main IVR"), {}, base=draft, policy="fail")
    assert again.lifecycle_state == "published"
    assert ("POST", "/api/v2/flows/actions/publish", 200) in emu.log


# ---------------------------------------------------------------------------------------------- delete


def test_delete_and_already_gone(make_platform: Make, org: Org) -> None:
    platform, recorder = make_platform()
    base = deployed(platform)
    platform.delete(base.id, name="Main IVR")
    assert org.flow(base.id)["deleted"]
    platform.delete(base.id, name="Main IVR")  # 410: already gone is success
    platform.delete("never-existed")
    assert [e.outcome for e in recorder.mutations if e.action == "delete"] == ["success"] * 3


def test_delete_of_a_flow_in_use_names_the_consumers(platform: GenesysCloudPlatform, org: Org) -> None:
    module = deployed(platform, "Greeting", kind="commonModule", type="COMMONMODULE")
    deployed(platform, "Main IVR", uses=("Greeting",))
    with pytest.raises(ConflictError) as info:
        platform.delete(module.id, name="Greeting")
    assert "in use by: Main IVR" in str(info.value)
    assert [d.entityName for d in info.value.consumers] == ["Main IVR"]
    assert not org.flow(module.id)["deleted"]


def test_delete_waits_while_its_consumers_are_deleted_in_the_same_run(
    platform: GenesysCloudPlatform, emu: InProcessEmulator, org: Org
) -> None:
    module = deployed(platform, "Greeting", kind="commonModule", type="COMMONMODULE")
    ivr = deployed(platform, "Main IVR", uses=("Greeting",))
    platform.delete(ivr.id, name="Main IVR")
    # The platform still answers "in use" for a moment (its dependency data lags the delete).
    body = {
        "message": "in use",
        "code": "architect.flow.cannot.delete.used.in.flows",
        "status": 409,
        "details": [{"errorCode": "used.in.flow", "entityId": ivr.id, "entityName": "Main IVR"}],
    }
    fail_next(emu, "DELETE", f"/api/v2/flows/{module.id}", status=409, body=body, count=2)
    platform.delete(module.id, name="Greeting")
    assert [s for m, _, s in emu.log if m == "DELETE"][-3:] == [409, 409, 200]
    assert org.flow(module.id)["deleted"]


def test_delete_locked_by_someone_else_names_the_holder(make_platform: Make, org: Org) -> None:
    platform, _ = make_platform()
    base = deployed(platform)
    org.lock_as_user(base.id, "Bob Builder")
    with pytest.raises(LockedError, match="user Bob Builder"):
        platform.delete(base.id, name="Main IVR")
    admin, recorder = make_platform("admin", force_unlock=True)
    admin.delete(base.id, name="Main IVR")
    assert org.flow(base.id)["deleted"]
    assert [e.action for e in recorder.mutations] == ["unlock", "delete"]


def test_consumers_reads_published_and_checked_in(platform: GenesysCloudPlatform) -> None:
    module = deployed(platform, "Greeting", kind="commonModule", type="COMMONMODULE")
    ivr = deployed(platform, "Main IVR", uses=("Greeting",))
    (ref,) = platform.consumers(module.id)
    assert (ref.id, ref.name, ref.type) == (ivr.id, "Main IVR", "INBOUNDCALL")


@pytest.mark.parametrize("action", ["checkout", "checkin"])
def test_rename_with_a_lost_action_answer_completes_once(
    platform: GenesysCloudPlatform, emu: InProcessEmulator, org: Org, action: str
) -> None:
    base = deployed(platform)
    fail_next(emu, "POST", f"/api/v2/flows/actions/{action}", drop_mode="after")
    live = platform.update(base.id, document("Main IVR Renamed"), {}, base=base, policy="fail")
    assert emu.admin.stats()["dropped"] == 1
    assert live.id == base.id and live.name == "Main IVR Renamed"
    assert not org.locked(base.id)
    assert len(org.by_name("Main IVR Renamed")) == 1 and org.by_name("Main IVR") == []


def test_upload_that_never_reached_its_job_gets_a_fresh_job(
    platform: GenesysCloudPlatform, emu: InProcessEmulator, org: Org
) -> None:
    fail_next(emu, "PUT", "/_upload/", drop_mode="before", count=4)  # every attempt of the first upload
    live = platform.create(document("Main IVR"), {})
    assert [org.job_status(job) for job in jobs(emu)] == ["Registered", "Success"]
    (flow,) = org.by_name("Main IVR")
    assert live.id == flow["id"] and len(org.versions(flow["id"])) == 1


def test_overwrite_restores_our_content_even_when_our_text_did_not_change(
    platform: GenesysCloudPlatform, org: Org
) -> None:
    base = deployed(platform)
    org.publish_as_user(base.id, archy_text("Main IVR", note="edited in Architect"), "Ann Architect")
    live = platform.update(base.id, document("Main IVR"), {}, base=base, policy="overwrite")
    assert org.config(base.id) == archy_text("Main IVR")
    assert live.revision == "published=3.0;checkedIn=3.0"


def test_job_that_never_ends_times_out_and_is_audited(make_platform: Make, emu: InProcessEmulator) -> None:
    platform, recorder = make_platform(job_timeout_s=20.0)
    base = deployed(platform)
    emu.admin.gc_set_async_delay(600)  # real seconds; the platform waits 20 virtual ones
    with pytest.raises(ArchitectError) as info:
        platform.update(base.id, document("Main IVR", note="v2"), {}, base=base, policy="fail")
    assert info.value.code == "job.timeout" and "Started" in str(info.value)
    assert (recorder.mutations[-1].action, recorder.mutations[-1].outcome) == ("update", "failure")
