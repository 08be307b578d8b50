"""End to end on platform genesys-cloud: the real Pulumi engine (Automation API, local file backend)
running the program and the dynamic provider on the gc-dev stack against the real emulator process
(its real-platform routes: Archy jobs, version pointers, locks). Calls are counted by the emulator."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi import automation as auto

from emulator.testing import DEMO_CLIENTS, EmulatorProcess
from provider import platforms
from provider.deploy.sdk_patches import backend_repair
from provider.ops.engine import tools_bin
from tests.resilience.test_interruptions import wait_for
from tests.support.bad_archy import BAD_INPUTS, ENGINE_CASES
from tests.support.engine import Meter, engine_env, flow_ids, make_project, open_stack, raw_export, summary
from tests.support.gc_org import live_flows

pytestmark = pytest.mark.engine

STACK = "gc-dev"
NS = "genesys-flows"
ORG = "dev"
JOBS = "/api/v2/flows/jobs"
SECRET = DEMO_CLIENTS["dev-rw"]
#: What a preview asks the org: the org-objects check's reads only (the token, one GET of the flows,
#: one listing per object type the sample set names: its queue and its schedule group).
ORG_CHECK = {
    ("POST", "/oauth/token"),
    ("GET", "/api/v2/flows"),
    ("GET", "/api/v2/routing/queues"),
    ("GET", "/api/v2/architect/schedulegroups"),
}


def _only_the_org_check(calls: Any) -> bool:
    return calls.writes == 0 and set(calls.by_route) <= ORG_CHECK and calls.count("GET", "/api/v2/flows") == 1


def _flows_dir(project: Path) -> Path:
    return project / "flows" / "genesys-cloud"


def _substitutions(project: Path) -> dict[str, str]:
    config = yaml.safe_load((project / "stacks" / f"Pulumi.{STACK}.yaml").read_text())["config"]
    return {str(k): str(v) for k, v in config[f"{NS}:substitutions"].items()}


def _prepared(project: Path) -> dict[str, Any]:
    prepared = platforms.kind("genesys-cloud").prepare(_flows_dir(project), _substitutions(project))
    assert prepared.ok, prepared.problems
    return prepared.definitions


def _audit(root: Path) -> list[dict[str, Any]]:
    """The mutation entries of the audit trail (without the write-ahead intents around them)."""
    path = root / "audit" / "audit.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [e for e in lines if e.get("event") == "mutation"]


def _changes(result: auto.UpResult | auto.RefreshResult) -> dict[str, int]:
    return {str(getattr(k, "value", k)): v for k, v in (result.summary.resource_changes or {}).items()}


def _jobs(calls: Any) -> int:
    return int(calls.count("POST", JOBS))


def _deployed(tmp_path: Path, emulator: EmulatorProcess) -> tuple[Path, auto.Stack, dict[str, str]]:
    project = make_project(tmp_path)
    stack = open_stack(project, tmp_path, emulator.url, STACK)
    up = stack.up()
    assert up.summary.result == "succeeded"
    return project, stack, flow_ids(up)


def _edit_archy(project: Path, key: str, old: str, new: str) -> None:
    path = _flows_dir(project) / f"{key}.archy.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_preview_up_in_order_no_change_one_job_destroy(tmp_path: Path, emulator: EmulatorProcess) -> None:
    project = make_project(tmp_path)
    stack = open_stack(project, tmp_path, emulator.url, STACK)
    definitions = _prepared(project)
    assert len(definitions) == 7

    # preview: a create per flow (and the stack); the org is asked nothing but the org-objects check.
    with Meter(emulator) as meter:
        preview = stack.preview()
    assert summary(preview) == {"create": len(definitions) + 1}
    assert _only_the_org_check(meter.result), meter.result.by_route

    # up: every flow's job after the jobs of the flows it references.
    with Meter(emulator) as meter:
        up = stack.up()
    assert up.summary.resource_changes == {"create": len(definitions) + 1}
    calls = meter.result
    assert calls.rate_limited == 0
    assert _jobs(calls) == len(definitions)
    # The jobs' write-log entries carry no flow id: the audit trail (one line per confirmed create,
    # written when the platform answered) gives the order.
    ids = flow_ids(up)
    created = [
        e["flow_id"] for e in _audit(tmp_path) if e["action"] == "create" and e["outcome"] == "success"
    ]
    assert sorted(created) == sorted(ids.values())
    position = {flow_id: i for i, flow_id in enumerate(created)}
    for key, definition in definitions.items():
        for ref in definition.references:
            assert position[ids[ref]] < position[ids[key]], (ref, key)

    # no-change preview: no call about the flows, only the org-objects check's reads.
    with Meter(emulator) as meter:
        preview = stack.preview()
    assert summary(preview) == {}
    assert _only_the_org_check(meter.result), meter.result.by_route

    # one content change = one job; the preview shows the text itself.
    _edit_archy(project, "billing-line", "Welcome to billing.", "Welcome to billing, again.")
    preview = stack.preview(diff=True)
    assert summary(preview) == {"update": 1}
    assert "Welcome to billing, again." in preview.stdout
    with Meter(emulator) as meter:
        up = stack.up()
    assert up.summary.resource_changes == {"update": 1, "same": len(definitions)}
    assert _jobs(meter.result) == 1

    # the client secret is nowhere in plaintext in the state.
    assert SECRET not in raw_export(project, tmp_path, STACK)

    # destroy: dependents first, and the org is empty after.
    with Meter(emulator) as meter:
        stack.destroy()
    deletes = [e for e in meter.result.write_log if e["method"] == "DELETE" and e["status"] < 300]
    gone_at = {e["flow_id"]: e["seq"] for e in deletes}
    assert set(gone_at) == set(ids.values())
    for key, definition in definitions.items():
        for ref in definition.references:
            assert gone_at[ids[key]] < gone_at[ids[ref]], (key, ref)
    assert meter.result.rate_limited == 0


def test_architect_publish_seen_by_refresh_refused_under_fail_restored_under_overwrite_then_a_ui_lock(
    tmp_path: Path, emulator: EmulatorProcess
) -> None:
    """One deployed set, two scenarios: an Architect publish, then a flow locked in the UI."""
    project, stack, ids = _deployed(tmp_path, emulator)
    ours = (_flows_dir(project) / "billing-line.archy.yaml").read_text()
    theirs = _prepared(project)["billing-line"].archy.replace("Welcome to billing.", "Billing is closed.")
    emulator.admin.gc_publish_as_user(ORG, ids["billing-line"], theirs, user_name="Alice Architect")

    # refresh: the pointers moved, so the live text is exported and shown.
    with Meter(emulator) as meter:
        refresh = stack.refresh()
    assert _changes(refresh).get("update") == 1
    # One listing per flow type (no GET per flow), and one export job (the only "write":
    # registering it) for the moved one.
    types = {str(d.type) for d in _prepared(project).values()}
    assert meter.result.count("GET", "/api/v2/flows") == len(types)
    assert meter.result.count("GET", "/api/v2/flows/{flowId}") == 0
    assert [e["path"] for e in meter.result.write_log] == ["/api/v2/flows/export/jobs"]
    preview = stack.preview(diff=True)
    assert summary(preview) == {"update": 1}
    assert "Billing is closed." in preview.stdout

    # `make deploy` (up --refresh) under `fail`: refused, naming who changed it; nothing written.
    with Meter(emulator) as meter, pytest.raises(auto.CommandError) as failed:
        stack.up(refresh=True)
    assert "Alice Architect" in str(failed.value)
    # nothing written: at most the refresh's export job of the moved flow was registered
    assert {e["path"] for e in meter.result.write_log} <= {"/api/v2/flows/export/jobs"}

    # up under `overwrite`: the definition is deployed again.
    stack.set_config(f"{NS}:conflictPolicy", auto.ConfigValue("overwrite"))
    with Meter(emulator) as meter:
        up = stack.up()
    assert _changes(up).get("update") == 1
    assert _jobs(meter.result) == 1
    assert "Welcome to billing." in ours
    # The audit trail names whose work the overwrite replaced, beside the state's base.
    (update,) = [e for e in _audit(tmp_path) if e.get("event") == "mutation" and "replaced" in e]
    replaced = update["replaced"]
    assert (update["action"], update["flow_id"], update["version_before"]) == (
        "update",
        ids["billing-line"],
        "1.0",
    )
    assert (replaced["version"], replaced["by_name"], replaced["base_version"]) == (
        "2.0",
        "Alice Architect",
        "1.0",
    )
    with Meter(emulator) as meter:
        assert summary(stack.preview()) == {}
    assert _only_the_org_check(meter.result), meter.result.by_route

    # -- a flow locked in the UI: refused naming the holder (policy `fail` again), then forceUnlock
    stack.set_config(f"{NS}:conflictPolicy", auto.ConfigValue("fail"))
    emulator.admin.gc_lock_as_user(ORG, ids["support-line"], "Bob Builder", saved_seconds_ago=120)
    _edit_archy(project, "support-line", "Press 1", "Press one")

    with Meter(emulator) as meter, pytest.raises(auto.CommandError) as failed:
        stack.up()
    assert "Bob Builder" in str(failed.value)
    assert _jobs(meter.result) == 0

    # forceUnlock (with a client allowed to unlock): unlocked, audited, deployed.
    stack.set_config(f"{NS}:forceUnlock", auto.ConfigValue("true"))
    stack.set_config(f"{NS}:clientId", auto.ConfigValue("dev-admin"))
    stack.set_config(f"{NS}:clientSecret", auto.ConfigValue(DEMO_CLIENTS["dev-admin"], secret=True))
    up = stack.up()
    assert _changes(up).get("update") == 1
    unlocks = [e for e in _audit(tmp_path) if e["action"] == "unlock"]
    assert unlocks and unlocks[-1]["outcome"] == "success" and unlocks[-1]["flow_id"] == ids["support-line"]
    holder = unlocks[-1]["replaced"]  # whose lock was broken, and since when (their saved copy)
    assert (holder["holder_kind"], holder["holder_name"]) == ("user", "Bob Builder")
    assert holder["lock_age_s"] >= 120


def test_bad_archy_fails_preview_naming_flow_field_rule_with_zero_calls(
    tmp_path: Path, emulator: EmulatorProcess
) -> None:
    # Every case of BAD_INPUTS is refused by the same pre-check without the engine
    # (tests/deploy/test_program_genesys_cloud.py); the engine runs several together, once.
    project = make_project(tmp_path)
    stack = open_stack(project, tmp_path, emulator.url, STACK)
    for case in ENGINE_CASES:
        BAD_INPUTS[case][0](_flows_dir(project))
    with Meter(emulator) as meter, pytest.raises(auto.CommandError) as failed:
        stack.preview()
    assert meter.result.total == 0
    for case in ENGINE_CASES:
        _, flow, field, rule = BAD_INPUTS[case]
        lines = [line for line in str(failed.value).splitlines() if f"flow '{flow}'" in line and rule in line]
        assert lines and field in lines[0], (case, str(failed.value))


def _live_names(emulator: EmulatorProcess) -> list[str]:
    return sorted(f["name"] for f in live_flows(emulator.url))


def test_rename_keeps_the_id_and_type_change_replaces(tmp_path: Path, emulator: EmulatorProcess) -> None:
    project, stack, ids = _deployed(tmp_path, emulator)

    # rename: in place, the same id, no orphan.
    _edit_archy(project, "vip-line", "name: VIP Line", "name: Gold Line")
    up = stack.up()
    assert _changes(up).get("update") == 1
    assert flow_ids(up)["vip-line"] == ids["vip-line"]
    names = _live_names(emulator)
    assert any(n.startswith("Gold Line") for n in names)
    assert not any(n.startswith("VIP Line") for n in names)

    # type change of a flow nothing uses: replaced (a new flow of the new type; the old one deleted).
    _edit_archy(project, "vip-line", "inboundCall:", "inqueueCall:")
    assert summary(stack.preview()).get("replace") == 1
    up = stack.up()
    assert up.summary.result == "succeeded"
    assert flow_ids(up)["vip-line"] != ids["vip-line"]
    assert len(_live_names(emulator)) == len(ids)  # the old flow is gone


def _consumed(emulator: EmulatorProcess, flow_id: str) -> list[str]:
    """The flow ids the flow's published version uses (the platform's dependency tracking)."""
    import requests

    from emulator.testing import get_token

    headers = {"Authorization": f"Bearer {get_token(emulator.url, 'dev-rw', SECRET)}"}
    flow = requests.get(f"{emulator.url}/api/v2/flows/{flow_id}", headers=headers, timeout=10).json()
    response = requests.get(
        f"{emulator.url}/api/v2/architect/dependencytracking/consumedresources",
        params={"id": flow_id, "version": flow["publishedVersion"]["id"], "objectType": "INBOUNDCALLFLOW"},
        headers=headers,
        timeout=10,
    )
    response.raise_for_status()
    return sorted(e["id"] for e in response.json()["entities"])


def test_type_change_of_a_used_flow_replaces_it_and_its_dependents_follow(
    tmp_path: Path, emulator: EmulatorProcess
) -> None:
    project, stack, ids = _deployed(tmp_path, emulator)
    assert ids["billing-line"] in _consumed(emulator, ids["main-ivr"])

    # billing-line (which main-ivr transfers to, by name) becomes an in-queue flow, and a new flow
    # that transfers to it comes in the same run: a new flow of the new type, main-ivr's job and the
    # new flow's bind their transfers to it, the old flow is deleted: nothing in use fails.
    _edit_archy(project, "billing-line", "inboundCall:", "inqueueCall:")
    overflow = (_flows_dir(project) / "vip-line.archy.yaml").read_text()
    overflow = overflow.replace("VIP Line", "Billing Overflow").replace("Main IVR", "Billing Line")
    (_flows_dir(project) / "billing-overflow.archy.yaml").write_text(overflow)
    (_flows_dir(project) / "billing-overflow.yaml").write_text(
        "archy: billing-overflow.archy.yaml\nlifecycle_state: published\n"
    )
    assert summary(stack.preview()) == {"replace": 1, "update": 1, "create": 1}
    with Meter(emulator) as meter:
        up = stack.up()
    assert up.summary.result == "succeeded"
    calls = meter.result
    new_ids = flow_ids(up)
    assert new_ids["billing-line"] != ids["billing-line"]
    assert new_ids["main-ivr"] == ids["main-ivr"]
    consumed = _consumed(emulator, ids["main-ivr"])
    assert new_ids["billing-line"] in consumed and ids["billing-line"] not in consumed
    assert _consumed(emulator, new_ids["billing-overflow"]) == [new_ids["billing-line"]]
    assert not any(status == 409 for (_m, _p, status) in calls.by_status)
    assert _jobs(calls) == 3  # the new billing-line's, billing-overflow's and main-ivr's
    names = _live_names(emulator)
    assert len(names) == len(ids) + 1  # the old flow is gone, no orphan under another name
    assert not any("replaced" in n for n in names)
    # the old flow was renamed aside (audited) before main-ivr's job, then deleted.
    old_entries = [e for e in _audit(tmp_path) if e.get("flow_id") == ids["billing-line"]]
    assert [(e["action"], e["outcome"]) for e in old_entries[-2:]] == [
        ("update", "success"),
        ("delete", "success"),
    ]
    assert summary(stack.preview()) == {}

    # and back: the in-queue flow becomes an inbound call flow again (the other order of types).
    _edit_archy(project, "billing-line", "inqueueCall:", "inboundCall:")
    up = stack.up()
    back = flow_ids(up)["billing-line"]
    assert back not in (ids["billing-line"], new_ids["billing-line"])
    consumed = _consumed(emulator, ids["main-ivr"])
    assert back in consumed and new_ids["billing-line"] not in consumed
    assert _consumed(emulator, new_ids["billing-overflow"]) == [back]
    assert len(_live_names(emulator)) == len(ids) + 1


def test_low_rate_limit_and_short_tokens_zero_429s_and_no_secret_in_logs(
    tmp_path: Path, emulator: EmulatorProcess
) -> None:
    # 20 requests per 10 s and 5-second tokens: the deploy paces itself and renews its token.
    emulator.admin.set_rate_limit(20, window_seconds=10)
    emulator.admin.set_token_lifetime(5)
    project = make_project(tmp_path)
    stack = open_stack(project, tmp_path, emulator.url, STACK)
    with Meter(emulator) as meter:
        up = stack.up()
    assert up.summary.resource_changes == {"create": 8}
    assert meter.result.rate_limited == 0
    assert meter.result.total > 20  # more than one window's worth: pacing was exercised
    # the client secret: not in the state, the engine's output, the metrics or the audit trail.
    assert SECRET not in raw_export(project, tmp_path, STACK)
    assert SECRET not in up.stdout + up.stderr
    for path in (tmp_path / "metrics", tmp_path / "audit"):
        for file in path.rglob("*"):
            if file.is_file():
                assert SECRET not in file.read_text(errors="replace"), file


def _route_count(emulator: EmulatorProcess, method: str, path: str) -> int:
    stats = emulator.admin.stats()["requests"]
    return sum(r["count"] for r in stats if r["method"] == method and r["path"] == path)


def _kill_session(sid: int) -> None:
    """kill -9 of every process of the session `sid` (the CLI started with `start_new_session`, and
    its plugins: the engine puts each in a process group of its own, in the same session)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:  # after ")": state, ppid, pgrp, session
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(stat.parent.name), signal.SIGKILL)


def test_a_draft_update_killed_between_job_and_deactivation_is_deactivated_by_the_next_up(
    tmp_path: Path, emulator: EmulatorProcess
) -> None:
    project, stack, ids = _deployed(tmp_path, emulator)
    holiday = ids["holiday-line"]
    _edit_archy(project, "holiday-line", "tts: Happy holidays.", "tts: Happy holidays, again.")
    emulator.admin.gc_set_job_duration(5)  # real jobs take seconds: the kill lands while one runs
    jobs = _route_count(emulator, "POST", JOBS)
    journal = tmp_path / "audit" / "audit.jsonl"
    steps = journal.read_text().count('"intent_step"')  # the draft's create journaled its own
    env = {**engine_env(tmp_path), "PULUMI_SKIP_CHECKPOINTS": "true"}
    cli = subprocess.Popen(
        [str(tools_bin() / "pulumi"), "up", "--yes", "--skip-preview", "--stack", STACK],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the CLI, the language host, the provider
    )
    try:
        wait_for(lambda: _route_count(emulator, "POST", JOBS) > jobs, "the job's registration")
        # From here no POST lands (dropped before it is applied): the deactivation cannot happen.
        emulator.admin.set_faults(drop_rate=1.0, drop_mode="before", methods=["POST"])
        wait_for(lambda: journal.read_text().count('"intent_step"') > steps, "the update's journaled step")
    finally:
        _kill_session(cli.pid)  # kill -9 of the CLI and its plugins (the provider too), mid-run
        cli.wait()
    emulator.admin.clear_faults()
    emulator.admin.gc_set_job_duration(0.2)
    live = {f["id"]: f for f in live_flows(emulator.url)}
    assert live[holiday].get("publishedVersion") is not None  # the draft is live, for now

    # One `make deploy`-equivalent run (backend repair, then up) under conflictPolicy fail.
    backend_repair.repair(STACK, tmp_path / "backend" / ".pulumi")
    with Meter(emulator) as meter:
        up = stack.up()
    assert up.summary.result == "succeeded"
    live = {f["id"]: f for f in live_flows(emulator.url)}
    assert live[holiday].get("publishedVersion") is None  # a draft again, checked in
    assert _jobs(meter.result) == 0  # its content was already deployed by the killed run
    entries = [json.loads(line) for line in journal.read_text().splitlines() if line.strip()]
    killed = [e["intent_id"] for e in entries if e.get("event") == "intent_step"][steps]
    closed = [e for e in entries if e.get("event") == "intent_outcome" and e.get("intent_id") == killed]
    assert closed and closed[-1]["outcome"] == "success"  # closed by the recovery
    assert summary(stack.preview()) == {}
