"""The org-objects check against the emulator's app in process: the demo set passes in its org with
one listing per object type; a missing and an ambiguous name are one problem each (flow, Archy path,
type, name, stack) with zero writes; 200 flows cost the same few calls; a client without a type's
view permission gets one problem naming it and the rest runs; the stack setting (`warn`, `off`), the
offline mode and refused credentials (the gate, provider/deploy/org_objects.py)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from emulator.testing import DEMO_CLIENTS, InProcessEmulator
from provider.deploy import config as stack_config
from provider.deploy import org_objects
from provider.domain.loading import PreparedSet
from provider.ops import ci_summary, org_gate
from provider.platforms.genesys_cloud import GenesysCloudPlatform
from provider.platforms.genesys_cloud.loading import prepare_archy
from provider.platforms.genesys_cloud.org_check import RULE_AMBIGUOUS, RULE_MISSING, RULE_PERMISSION, check
from provider.platforms.http.pool import ClientPool
from provider.platforms.http.settings import ConnectionSettings
from tests.domain.test_archy_corpus import CORPUS, STACK

PROJECT = Path(__file__).resolve().parents[3]
FLOWS = PROJECT / "flows" / "genesys-cloud"


def _subs(stack: str, **changes: str) -> dict[str, str]:
    raw = yaml.safe_load((PROJECT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {**raw["genesys-flows:substitutions"], **changes}


def _config(emu: InProcessEmulator, client: str = "dev-rw", **values: str) -> stack_config.StackConfig:
    raw = {
        "platform": "genesys-cloud",
        "apiUrl": emu.url,
        "clientId": client,
        "clientSecret": DEMO_CLIENTS.get(client, "s"),
        **values,
    }
    return stack_config.parse("gc-dev", raw)


def _writes(emu: InProcessEmulator) -> list[tuple[str, str]]:
    return [(m, p) for m, p, *_ in emu.log if m != "GET" and p != "/oauth/token"]


def test_the_demo_set_passes_in_its_org_with_one_listing_per_object_type(
    emu: InProcessEmulator, pool: ClientPool
) -> None:
    prepared = prepare_archy(FLOWS, _subs("gc-dev"))
    verdict = org_objects.gate(_config(emu), prepared, pool=pool, env={})
    assert verdict.error is None and verdict.warning is None and verdict.result is not None
    assert verdict.result.checked == 2  # the schedule group and the queue
    assert verdict.result.calls == 3  # the probe, one listing each
    assert [p for m, p, *_ in emu.log if m == "GET"] == [
        "/api/v2/flows",
        "/api/v2/routing/queues",
        "/api/v2/architect/schedulegroups",
    ]
    assert _writes(emu) == []


def test_a_missing_and_an_ambiguous_name_are_one_problem_each_with_zero_writes(
    emu: InProcessEmulator, pool: ClientPool
) -> None:
    emu.admin.gc_add_org_object("dev", "scheduleGroup", "acme hours dev")  # a second, differing in case
    prepared = prepare_archy(FLOWS, _subs("gc-dev", support_queue="Premium Support"))
    verdict = org_objects.gate(_config(emu), prepared, pool=pool, env={})
    assert verdict.result is not None and verdict.error is not None
    problems = {(p.flow, p.rule): p for p in verdict.result.problems}
    assert set(problems) == {("support-line", RULE_MISSING), ("business-hours", RULE_AMBIGUOUS)}
    missing = problems[("support-line", RULE_MISSING)]
    assert missing.field.endswith("transferToAcd.targetQueue.lit.name")
    assert "the queue 'Premium Support' does not exist in the org of stack gc-dev" in missing.message
    assert (
        "schedule group 'Acme Hours DEV' is ambiguous" in problems[("business-hours", RULE_AMBIGUOUS)].message
    )
    # One message: every problem with flow and path, and nothing was changed.
    assert (
        "flow 'support-line': field 'inboundCall." in verdict.error and "nothing was changed" in verdict.error
    )
    assert _writes(emu) == []


def test_two_hundred_flows_cost_the_same_few_listing_calls(
    emu: InProcessEmulator, make_platform: object
) -> None:
    for i in range(150):
        emu.admin.gc_add_org_object("dev", "queue", f"Queue {i:03}")
    emu.admin.gc_add_org_object("dev", "dataAction", "Lookups/Find Account")
    flows = {
        f"flow-{i}": yaml.safe_dump(
            {
                "inboundCall": {
                    "name": f"Flow {i}",
                    "tasks": [
                        {
                            "task": {
                                "actions": [
                                    {
                                        "transferToAcd": {
                                            "targetQueue": {"lit": {"name": f"Queue {i % 150:03}"}}
                                        }
                                    },
                                    {
                                        "callData": {
                                            "category": {"Lookups": {"dataAction": {"Find Account": {}}}}
                                        }
                                    },
                                ]
                            }
                        }
                    ],
                }
            }
        )
        for i in range(200)
    }
    platform, _ = make_platform()  # type: ignore[operator]
    result = check(platform.requestor, flows, org="gc-dev")
    assert result.problems == [] and result.checked == 400
    # The probe, 2 pages of queues (151 at 100 a page), 1 of data actions.
    assert result.calls == 4
    assert len([e for e in emu.log if e[0] == "GET"]) == 4


@pytest.fixture(scope="module")
def narrow_emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessEmulator]:
    folder = Path(tmp_path_factory.mktemp("narrow"))
    shutil.copy(PROJECT / "emulator" / "default_config.yaml", folder / "config.yaml")
    config = yaml.safe_load((folder / "config.yaml").read_text())
    config["organizations"]["dev"]["clients"]["dev-noqueue"] = {
        "secret": "s",
        "scopes": ["architect:flow:read"],
        "permissions": ["architect:flow:view", "architect:scheduleGroup:view"],
    }
    config["organizations"]["dev"]["clients"]["dev-noflows"] = {
        "secret": "s",
        "scopes": ["architect:flow:read"],
        "permissions": ["routing:queue:view"],
    }
    (folder / "config.yaml").write_text(yaml.safe_dump(config))
    with InProcessEmulator(
        folder / "a.db", url="http://narrow.test", config_path=folder / "config.yaml"
    ) as e:
        yield e


def test_a_client_without_the_queue_view_permission_gets_one_problem_and_the_rest_runs(
    narrow_emu: InProcessEmulator,
) -> None:
    pool = ClientPool()
    narrow_emu.mount(pool.session(narrow_emu.url))
    settings = ConnectionSettings.resolve(
        api_url=narrow_emu.url, client_id="dev-noqueue", client_secret="s", env={}
    )
    platform = GenesysCloudPlatform(settings, pacing=False, pool=pool)
    texts = {
        k: d.archy  # type: ignore[attr-defined]
        for k, d in prepare_archy(FLOWS, _subs("gc-dev", schedule_group="Nowhere")).definitions.items()
    }
    result = check(platform.requestor, texts, org="gc-dev")
    rules = sorted((p.rule, p.flow) for p in result.problems)
    assert rules == [(RULE_MISSING, "business-hours"), (RULE_PERMISSION, "support-line")]
    refused = next(p for p in result.problems if p.rule == RULE_PERMISSION)
    assert (
        "lacks the permission routing:queue:view" in refused.message and "1 queue name(s)" in refused.message
    )


def test_a_client_without_the_flow_view_permission_fails_with_one_message(
    narrow_emu: InProcessEmulator,
) -> None:
    pool = ClientPool()
    narrow_emu.mount(pool.session(narrow_emu.url))
    verdict = org_objects.gate(
        _config(narrow_emu, "dev-noflows"), prepare_archy(FLOWS, _subs("gc-dev")), pool=pool, env={}
    )
    assert verdict.result is None and verdict.error is not None
    assert verdict.error.startswith("stack gc-dev: the org could not be checked before any change")
    assert "architect:flow:view" in verdict.error and "\n" not in verdict.error


def test_warn_proceeds_off_and_offline_make_no_call(emu: InProcessEmulator, pool: ClientPool) -> None:
    prepared: PreparedSet = prepare_archy(FLOWS, _subs("gc-dev", support_queue="Premium Support"))
    warned = org_objects.gate(_config(emu, orgObjects="warn"), prepared, pool=pool, env={})
    assert warned.error is None and warned.warning and "Premium Support" in warned.warning
    emu.adapter.log.clear()
    off = org_objects.gate(_config(emu, orgObjects="off"), prepared, pool=pool, env={})
    assert off == org_objects.Verdict()
    offline = org_objects.gate(_config(emu), prepared, pool=pool, env={org_objects.OFFLINE_ENV: "1"})
    assert offline.error is None and offline.note and "not checked" in offline.note
    assert emu.log == []


def test_refused_credentials_are_one_message_without_the_secret(
    emu: InProcessEmulator, pool: ClientPool
) -> None:
    prepared = prepare_archy(FLOWS, _subs("gc-dev"))
    config = stack_config.parse(
        "gc-dev",
        {
            "platform": "genesys-cloud",
            "apiUrl": emu.url,
            "clientId": "dev-rw",
            "clientSecret": "wrong-secret-123",
        },
    )
    verdict = org_objects.gate(config, prepared, pool=pool, env={})
    assert verdict.error and verdict.result is None
    assert verdict.error.startswith("stack gc-dev: the org could not be checked before any change")
    assert "wrong-secret-123" not in verdict.error and "GENESYS_FLOWS_OFFLINE=1" in verdict.error


def test_a_bad_org_objects_setting_is_named() -> None:
    with pytest.raises(stack_config.StackConfigError) as failure:
        stack_config.parse("gc-dev", {"orgObjects": "sometimes"})
    assert "genesys-flows:orgObjects is 'sometimes'; use one of fail, warn, off" in str(failure.value)


def test_the_corpus_schedule_is_checked_and_a_shape_not_read_is_a_note(
    emu: InProcessEmulator, pool: ClientPool
) -> None:
    """The real `evaluateSchedule.evaluationType.schedule.selectedSchedule` shape (the
    webmessaging-chatbot blueprint) is checked in the org; a covered key in a shape the derivation
    does not read is said ("not checked"), never dropped."""
    settings = ConnectionSettings.resolve(
        api_url=emu.url, client_id="dev-rw", client_secret=DEMO_CLIENTS["dev-rw"], env={}
    )
    platform = GenesysCloudPlatform(settings, pacing=False, pool=pool)
    archy = prepare_archy(CORPUS, STACK).definitions["hours-webmessage-flow"].archy  # type: ignore[attr-defined]
    odd = "inboundCall: {tasks: [{task: {actions: [{transferToAcd: {targetQueue: Sales}}]}}]}"
    result = check(platform.requestor, {"hours": archy, "odd": odd}, org="gc-dev")
    missing = sorted((p.rule, p.flow, p.message) for p in result.problems)
    assert missing == [
        (RULE_MISSING, "hours", f"the {what} does not exist in the org of stack gc-dev")
        for what in ("queue 'chat11'", "queue 'corpus acd queue name'", "schedule 'corpus schedule name'")
    ]
    assert result.unchecked == [
        "flow 'odd': inboundCall.tasks[0].task.actions[0].transferToAcd.targetQueue:"
        " the queue is in a shape this check does not read"
    ]
    emu.admin.gc_add_org_object("dev", "schedule", "corpus schedule name")
    again = check(platform.requestor, {"hours": archy}, org="gc-dev")
    assert [p.message for p in again.problems if "schedule" in p.message] == []


def test_the_ci_summary_carries_the_org_object_problems_of_a_validation(
    emu: InProcessEmulator, pool: ClientPool
) -> None:
    """scripts/ci-preview writes `archctl validate --stack`'s problems to the pull request's summary
    (the document `validate --json` prints: `org_gate.to_json` of the gate's verdict)."""
    prepared = prepare_archy(FLOWS, _subs("gc-dev", support_queue="Premium Support"))
    verdict = org_objects.gate(_config(emu), prepared, pool=pool, env={})
    doc = {"ok": False, "problems": [], "org_objects": org_gate.to_json(verdict)}
    text = ci_summary.validate_section("gc-dev", doc)
    lines = text.splitlines()
    assert lines[0] == "### Stack `gc-dev`: 1 org object(s) the flows name missing or ambiguous in its org"
    assert lines[2] == "not deployable (orgObjects: fail); read-only, 3 call(s)."
    (bullet,) = [line for line in lines if line.startswith("- ")]
    assert (
        bullet.startswith("- `support-line` `inboundCall.")
        and "transferToAcd.targetQueue.lit.name`" in bullet
    )
    assert bullet.endswith(
        "the queue 'Premium Support' does not exist in the org of stack gc-dev (org.object.missing)"
    )
    # All well: no section at all. The org not reachable (validate's exit 2): said, not dropped.
    clean = org_objects.gate(_config(emu), prepare_archy(FLOWS, _subs("gc-dev")), pool=pool, env={})
    assert (
        ci_summary.validate_section("gc-dev", {"problems": [], "org_objects": org_gate.to_json(clean)}) == ""
    )
    down = {"error": {"kind": "connection", "message": "stack gc-dev: the org could not be checked"}}
    assert ci_summary.validate_section("gc-dev", down).splitlines()[:4] == [
        "### Stack `gc-dev`: not validated (connection)",
        "",
        "```",
        "stack gc-dev: the org could not be checked",
    ]
