"""Archy YAML jobs (register -> presigned upload -> Registered/Started/Success|Failure), export jobs
and dependency tracking (contract sections 2, 4 and 5)."""

from __future__ import annotations

import io
import zipfile

import pytest
import requests
from PureCloudPlatformClientV2 import models as sdk_models

from emulator.genesys.settings import GenesysSettings
from emulator.testing import EmulatorProcess

from ._gc import DEPS, FLOWS, Gc, archy, assert_gc_error, calls_module, sdk_body, transfers_to, unique


def _failure_text(job: dict) -> str:
    assert job["status"] == "Failure", job
    assert job["messages"] and all(m["type"] == "Error" for m in job["messages"])
    return " ".join(m["text"] for m in job["messages"])


def test_job_creates_then_updates_by_type_and_name(emulator: EmulatorProcess) -> None:
    gc = Gc(emulator.url)
    job = gc.register_job()
    assert set(job) == {"id", "presignedUrl", "headers", "selfUri"}
    assert gc.job(job["id"])["status"] == "Registered"
    text = archy("inboundCall", "Main Line")
    gc.ok(gc.upload(job, text))
    done = gc.wait_job(job["id"])
    assert done["status"] == "Success" and done["command"] == "Publish" and done["messages"] == []
    flow = gc.flow(done["flow"]["id"])
    assert flow["name"] == "Main Line" and flow["type"] == "INBOUNDCALL"
    assert flow["publishedVersion"]["id"] == "1.0" and "lockedClient" not in flow
    assert flow["description"] == "made by a test"
    # Same type and name (case-insensitive): the same flow, a new version.
    again = gc.deploy_ok(archy("inboundCall", "MAIN LINE"))
    assert again["id"] == flow["id"] and again["publishedVersion"]["id"] == "2.0"
    # Another type with the same name is another flow; a new name is a new flow.
    assert gc.deploy_ok(archy("inqueueCall", "Main Line"))["id"] != flow["id"]
    assert gc.deploy_ok(archy("inboundCall", "Main Line Renamed"))["id"] != flow["id"]
    # A request body built with the SDK model is accepted.
    registered = gc.ok(
        gc.post(f"{FLOWS}/jobs", json=sdk_body("RegisterArchitectJobRequest", create_stubs=False)),
        "RegisterArchitectJobResponse",
    )
    assert registered["id"]


def test_job_fails_when_someone_else_holds_the_lock(emulator: EmulatorProcess) -> None:
    gc = Gc(emulator.url)
    flow = gc.deploy_ok(archy("inboundCall", "Locked Line"))
    emulator.admin.gc_lock_as_user("dev", flow["id"], "Alice Architect")
    text = _failure_text(gc.deploy(archy("inboundCall", "Locked Line")))
    assert "Locked Line" in text and "--forceUnlock" in text
    assert gc.flow(flow["id"])["publishedVersion"]["id"] == "1.0"
    # The client's own lock does not stop its job, and the job releases it.
    emulator.admin.gc_unlock("dev", flow["id"])
    gc.ok(gc.action("checkout", flow["id"]))
    after = gc.deploy_ok(archy("inboundCall", "Locked Line"))
    assert after["publishedVersion"]["id"] == "2.0" and "lockedClient" not in after


def test_job_references_missing_unpublished_and_stubs(emulator: EmulatorProcess) -> None:
    gc = Gc(emulator.url)
    caller = archy("inboundCall", "Caller", body=calls_module("Greeting") + transfers_to("Billing"))
    text = _failure_text(gc.deploy(caller))
    assert "'Greeting'" in text and "'Billing'" in text
    assert gc.ok(gc.get(FLOWS), "FlowEntityListing")["total"] == 0
    # An existing but unpublished module is refused too, even with createStubs.
    gc.create("Greeting", "COMMONMODULE")
    assert "'Greeting' (COMMONMODULE) has no published version" in _failure_text(gc.deploy(caller, True))
    emulator.admin.reset()
    flow = gc.deploy_ok(caller, create_stubs=True)
    names = {f["name"]: f for f in gc.ok(gc.get(FLOWS), "FlowEntityListing")["entities"]}
    assert set(names) == {"Caller", "Greeting", "Billing"}
    assert (
        names["Greeting"]["type"] == "COMMONMODULE" and names["Greeting"]["publishedVersion"]["id"] == "1.0"
    )
    consumed = gc.ok(
        gc.get(
            f"{DEPS}/consumedresources",
            params={"id": flow["id"], "version": "1.0", "objectType": "INBOUNDCALLFLOW"},
        ),
        "ConsumedResourcesEntityListing",
    )
    assert {(d["name"], d["type"]) for d in consumed["entities"]} == {
        ("Greeting", "COMMONMODULEFLOW"),
        ("Billing", "INBOUNDCALLFLOW"),
    }


def test_job_checks_bot_and_in_queue_references_but_not_settings(emulator: EmulatorProcess) -> None:
    gc = Gc(emulator.url)
    body = (
        "  settingsActionDefaults:\n    transferToFlowSecure:\n      targetFlow:\n        name: Not Ref\n"
        "  actions:\n"
        "    - callBotFlow:\n        botFlow:\n          Helper Bot:\n            ver_latestPublished: {}\n"
        "    - transferToAcd:\n        overrideInQueueFlow:\n          name: Queue Music\n"
    )
    front = archy("inboundShortMessage", "Front", body=body)
    text = _failure_text(gc.deploy(front))
    assert "'Helper Bot' (bot flow) does not exist" in text
    assert "'Queue Music' (in-queue flow) does not exist" in text and "Not Ref" not in text
    # A bot another team built (seeded by the admin) and our in-queue flow: the job succeeds.
    bot = emulator.admin.gc_seed_flow("dev", archy("botFlow", "Helper Bot"))
    assert bot["type"] == "BOT" and bot["publishedVersion"]["id"] == "1.0"
    hold = gc.deploy_ok(archy("inqueueShortMessage", "Queue Music"))
    flow = gc.deploy_ok(front)
    consumed = gc.ok(
        gc.get(
            f"{DEPS}/consumedresources",
            params={"id": flow["id"], "version": "1.0", "objectType": "INBOUNDSHORTMESSAGEFLOW"},
        ),
        "ConsumedResourcesEntityListing",
    )
    assert {(d["id"], d["type"]) for d in consumed["entities"]} == {
        (bot["id"], "BOTFLOW"),
        (hold["id"], "INQUEUESHORTMESSAGEFLOW"),
    }


def test_find_references_reads_every_flow_action() -> None:
    from emulator.genesys.domain import find_references

    tree = {
        "settingsActionDefaults": {"callBotFlow": {"botFlow": {"No": {}}}},
        "a": [
            {"callDigitalBotFlow": {"digitalBotFlow": {"Digi": {}}}},
            {"transferToAcd": {"overrideInQueueFlow": {"name": "Hold"}}},
            {"transferToFlowSecure": {"targetFlow": {"name": "Pay"}}},
        ],
    }
    assert [(r.kind, r.name) for r in find_references(tree)] == [
        ("digitalBot", "Digi"),
        ("inqueue", "Hold"),
        ("transferSecure", "Pay"),
    ]


@pytest.mark.slow
def test_job_rejects_bad_yaml(emulator: EmulatorProcess) -> None:
    gc = Gc(emulator.url)
    emulator.admin.gc_set_async_delay(0)  # each job completes before its upload is answered
    bad = {
        "inboundCall: [unclosed": "not valid YAML",
        "just a string": "one top-level key",
        "a: 1\nb: 2\n": "exactly one top-level key",
        "notAFlow:\n  name: x\n": "Unknown flow type key",
        "inQueueCall:\n  name: x\n": "Archy writes 'inqueueCall'",
        "inboundCall:\n  description: no name\n": "name",
        "inboundCall:\n  name: a/b\n": "'/'",
        "inboundCall: &x\n  name: x\nb: *x\n": "aliases",
        "inboundCall:\n  name: x\n---\nbot:\n  name: y\n": "not valid YAML",
        "[" * 5000: "",
    }
    for text, expected in bad.items():
        assert expected in _failure_text(gc.deploy(text)), text[:40]
    assert gc.ok(gc.get(FLOWS), "FlowEntityListing")["total"] == 0


def test_upload_demands_the_returned_headers_and_expires(emulator: EmulatorProcess) -> None:
    gc = Gc(emulator.url)
    job = gc.register_job()
    text = archy("inboundCall", unique())
    assert gc.upload(job, text, headers={}).status_code == 403
    assert (
        gc.upload(job, text, headers={**job["headers"], "x-emulator-upload-signature": "wrong"}).status_code
        == 403
    )
    wrong_type = {**job["headers"], "Content-Type": "text/plain"}
    assert gc.upload(job, text, headers=wrong_type).status_code == 403
    assert (
        requests.put(
            job["presignedUrl"].split("?")[0], data=text, headers=job["headers"], timeout=10
        ).status_code
        == 403
    )
    assert gc.job(job["id"])["status"] == "Registered"
    gc.ok(gc.upload(job, text))
    assert gc.upload(job, text).status_code == 403  # one upload per URL
    emulator.admin.gc_set_upload_ttl(0)
    expired = gc.register_job()
    assert gc.upload(expired, text).status_code == 403
    assert gc.job(expired["id"])["status"] == "Registered"
    assert_gc_error(gc.get(f"{FLOWS}/jobs/not-a-job"), 404, "not.found")


def test_injected_job_faults_change_nothing(emulator: EmulatorProcess) -> None:
    gc = Gc(emulator.url)
    message = "Archy failed ... exit code: 107 ... could not find the flow with id 1234"
    emulator.admin.gc_job_faults(1, message)
    assert _failure_text(gc.deploy(archy("inboundCall", "Faulty"))) == message
    assert gc.ok(gc.get(FLOWS), "FlowEntityListing")["total"] == 0
    assert gc.deploy(archy("inboundCall", "Faulty"))["status"] == "Success"


@pytest.mark.slow
def test_export_returns_the_uploaded_text_verbatim_or_a_zip(emulator: EmulatorProcess) -> None:
    gc = Gc(emulator.url)
    first_text = archy("inboundCall", "Exported") + "  # a comment kept verbatim\n\n"
    first = gc.deploy_ok(first_text)
    second_text = archy("commonModule", "Exported Module")
    gc.deploy_ok(second_text)
    one = gc.export({"id": first["id"]})
    assert one.status_code == 200 and one.content.decode("utf-8") == first_text
    both = gc.export({"id": first["id"]}, {"name": "Exported Module", "type": "COMMONMODULE"})
    with zipfile.ZipFile(io.BytesIO(both.content)) as archive:
        assert sorted(archive.read(n).decode() for n in archive.namelist()) == sorted(
            [first_text, second_text]
        )
    # An older version by id.
    gc.deploy_ok(archy("inboundCall", "Exported") + "  # v2\n")
    assert gc.export({"id": first["id"], "version": "1.0"}).content.decode() == first_text
    reference = sdk_models.ArchitectFlowReference()
    reference.id, reference.version = first["id"], "1.0"
    details = sdk_models.ExportDetails()
    details.flow, details.export_type, details.file_name = reference, "Yaml", "first_v1"
    registered = gc.ok(
        gc.post(f"{FLOWS}/export/jobs", json=sdk_body("RegisterArchitectExportJob", flows=[details])),
        "RegisterArchitectExportJobResponse",
    )
    assert registered["totalFlows"] == 1
    body = sdk_body("RegisterArchitectExportJob", flows=[])
    assert_gc_error(gc.post(f"{FLOWS}/export/jobs", json=body), 400, "invalid.value")


def test_dependency_tracking_and_in_use_refusals(emulator: EmulatorProcess) -> None:
    gc = Gc(emulator.url)
    module = gc.deploy_ok(archy("commonModule", "Shared Module"))
    caller = gc.deploy_ok(archy("inboundCall", "Module Caller", body=calls_module("Shared Module")))
    params = {"id": module["id"], "objectType": "COMMONMODULEFLOW"}
    consuming = gc.ok(gc.get(f"{DEPS}/consumingresources", params=params), "ConsumingResourcesEntityListing")
    assert [(d["id"], d["type"], d["version"]) for d in consuming["entities"]] == [
        (caller["id"], "INBOUNDCALLFLOW", "1.0")
    ]
    published = gc.get(f"{DEPS}/consumingresources", params={**params, "flowFilter": "published"})
    assert gc.ok(published, "ConsumingResourcesEntityListing")["total"] == 1
    assert_gc_error(
        gc.get(f"{DEPS}/consumingresources", params={**params, "flowFilter": "draft"}), 400, "invalid.value"
    )
    assert_gc_error(
        gc.get(f"{DEPS}/consumedresources", params=params),
        400,
        "architect.dependency.object.version.not.specified",
    )
    wrong_type = {"id": module["id"], "objectType": "INBOUNDCALLFLOW", "version": "1.0"}
    assert_gc_error(
        gc.get(f"{DEPS}/consumedresources", params=wrong_type), 404, "architect.dependency.object.not.found"
    )
    # Delete and deactivate are refused while a published flow uses the module.
    gc.ok(gc.action("checkout", module["id"]))
    body = assert_gc_error(
        gc.delete(f"{FLOWS}/{module['id']}"), 409, "architect.flow.cannot.delete.used.in.flows"
    )
    assert [(d["entityId"], d["entityName"]) for d in body["details"]] == [(caller["id"], "Module Caller")]
    body = assert_gc_error(
        gc.action("deactivate", module["id"]), 409, "architect.flow.cannot.deactivate.used.in.flows"
    )
    assert body["details"][0]["entityId"] == caller["id"]
    # Once the caller is deactivated, the module can be deactivated (checked-in use still blocks delete).
    gc.ok(gc.action("deactivate", caller["id"]), "Flow")
    gc.ok(gc.action("deactivate", module["id"]), "Flow")
    assert_gc_error(gc.delete(f"{FLOWS}/{module['id']}"), 409, "architect.flow.cannot.delete.used.in.flows")
    # Publishing a version whose dependency has no published version is refused.
    assert_gc_error(
        gc.action("publish", caller["id"]), 409, "architect.flow.cannot.publish.missing.dependencies"
    )
    gc.ok(gc.delete(f"{FLOWS}/{caller['id']}"))
    gc.ok(gc.delete(f"{FLOWS}/{module['id']}"))
    assert_gc_error(gc.get(f"{DEPS}/consumingresources", params=params), 410, "architect.flow.deleted")
    unknown = {**params, "id": "00000000-0000-0000-0000-000000000000"}
    assert_gc_error(gc.get(f"{DEPS}/consumingresources", params=unknown), 404, "architect.flow.not.found")
    assert_gc_error(
        gc.get(f"{DEPS}/consumingresources", params={**params, "objectType": "QUEUE"}),
        400,
        "architect.dependency.object.invalid.type",
    )
    # Dependency tracking while "being rebuilt": 206 with a listing the SDK parses.
    other = gc.deploy_ok(archy("commonModule", "Another"))
    emulator.admin.gc_dependency_rebuilding(True)
    rebuilding = gc.get(
        f"{DEPS}/consumingresources", params={"id": other["id"], "objectType": "COMMONMODULEFLOW"}
    )
    assert rebuilding.status_code == 206
    gc.ok(rebuilding, "ConsumingResourcesEntityListing", status=206)
    consumed = gc.get(
        f"{DEPS}/consumedresources",
        params={"id": other["id"], "objectType": "COMMONMODULEFLOW", "version": "1.0"},
    )
    gc.ok(consumed, "ConsumedResourcesEntityListing", status=206)
    emulator.admin.gc_dependency_rebuilding(False)


def test_job_duration_is_fixed_or_uniform_and_only_import_jobs_take_it(emulator: EmulatorProcess) -> None:
    settings = GenesysSettings()
    assert settings.job_delay() == settings.async_delay  # unset: the async delay
    settings.set_job_duration(3.0, 3.0)
    assert {settings.job_delay() for _ in range(5)} == {3.0}
    settings.set_job_duration(2.0, 6.0, seed=7)
    draws = [settings.job_delay() for _ in range(200)]
    assert all(2.0 <= d <= 6.0 for d in draws) and max(draws) - min(draws) > 3.0
    settings.reset()
    assert settings.job_duration is None

    # Through the admin API: a job far longer than the async delay stays Started.
    emulator.admin.gc_set_job_duration(600)
    gc = Gc(emulator.url)
    job = gc.register_job()
    gc.ok(gc.upload(job, archy("inboundCall", unique("slow"))))
    assert gc.job(job["id"])["status"] in ("Registered", "Started")
    bad = emulator.admin.session.put(
        f"{emulator.url}/_emulator/genesys/job-duration",
        json={"min_seconds": 5.0, "max_seconds": 1.0},
        timeout=10,
    )
    assert bad.status_code == 400 and "max_seconds" in bad.text
