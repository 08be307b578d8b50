"""End to end: the real Pulumi engine (Automation API, local file backend in a temp dir) running the
project's program and dynamic provider against the real emulator. API calls are counted with the
emulator's statistics."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from emulator.testing import DEMO_CLIENTS, EmulatorProcess
from provider.domain.loading import prepare
from provider.ops.stacks import NAMESPACE
from tests.support.bad_definitions import BAD_SETS, bad_flow
from tests.support.engine import (
    FLOW,
    FLOWS,
    Meter,
    Org,
    flow_ids,
    make_project,
    open_stack,
    raw_export,
    read_flow,
    summary,
)
from tests.support.project import write_flow

pytestmark = pytest.mark.engine

SECRET = DEMO_CLIENTS["dev-rw"]
SAMPLE_KEYS = sorted(
    p.stem for p in (Path(__file__).resolve().parents[2] / "flows").iterdir() if p.suffix == ".yaml"
)


def _dev_substitutions(project: Path) -> dict[str, str]:
    import yaml

    config = yaml.safe_load((project / "stacks" / "Pulumi.dev.yaml").read_text())["config"]
    return {str(k): str(v) for k, v in config[f"{NAMESPACE}:substitutions"].items()}


def _references(project: Path) -> dict[str, list[str]]:
    prepared = prepare(project / "flows", _dev_substitutions(project))
    assert prepared.ok, prepared.problems
    return {key: list(d.references) for key, d in prepared.definitions.items()}


def _positions(write_log: list[dict[str, Any]], method: str) -> dict[str, int]:
    return {w["flow_id"]: w["seq"] for w in write_log if w["method"] == method and w["status"] < 300}


# ------------------------------------------------------------------ 1, 2, 3, 9, 12: the whole life


def test_preview_up_no_changes_destroy_and_no_secret_anywhere(tmp_path: Path, emulator: EmulatorProcess):
    project = make_project(tmp_path)
    stack = open_stack(project, tmp_path, emulator.url)
    refs = _references(project)
    assert len(refs) >= 6

    # 1. preview: one create per flow (plus the stack), and not a single API call.
    with Meter(emulator) as meter:
        preview = stack.preview()
    assert summary(preview) == {"create": len(refs) + 1}
    assert meter.result.total == 0

    # 2. up: everything created, dependencies first.
    with Meter(emulator) as meter:
        up = stack.up()
    assert up.summary.result == "succeeded"
    assert up.summary.resource_changes == {"create": len(refs) + 1}
    calls = meter.result
    assert calls.count("POST", FLOWS) == len(refs)
    assert calls.writes == len(refs)
    assert calls.count("PATCH") == calls.count("DELETE") == 0
    ids = flow_ids(up)
    assert sorted(ids) == sorted(refs)
    created_at = _positions(calls.write_log, "POST")
    for key, deps in refs.items():
        for dep in deps:
            assert created_at[ids[dep]] < created_at[ids[key]], f"{dep} must be created before {key}"
    org = Org(emulator.url)
    for key, flow_id in ids.items():
        live = org.flow(flow_id)
        assert live["_version"] == 1
        assert up.outputs["flows"].value[key]["version"] == {
            "current": "1",
            "published": None,
            "checkedIn": None,
        }
        assert sorted(live["references"]) == sorted(ids[d] for d in refs[key])
    # Block references arrive as ids.
    main = org.flow(ids["main-ivr"])
    menu = next(b for b in main["blocks"] if b["id"] == "main-menu")
    assert {c.get("reference") for c in menu["children"]} == {ids["billing-menu"], ids["support-menu"], None}
    assert "Acme Telecom" in main["description"]  # the dev stack's substitutions

    # The Flow outputs.
    state = stack.export_stack().deployment or {}
    flows = [r for r in state["resources"] if r["type"].endswith("architect:Flow")]
    outs = next(r["outputs"] for r in flows if r["urn"].endswith("::main-ivr"))
    assert outs["flowId"] == ids["main-ivr"]
    assert outs["version"] == 1
    assert outs["lifecycleState"] == "published"
    assert outs["selfUri"] == f"{FLOWS}/{ids['main-ivr']}"
    assert outs["dateModified"]

    # 3. nothing changed: the engine agrees, without a single API call.
    with Meter(emulator) as meter:
        stack.preview(expect_no_changes=True)
    assert meter.result.total == 0
    again = stack.up()
    assert again.summary.resource_changes == {"same": len(refs) + 1}

    # 12. the client secret is nowhere in plaintext: state, outputs, engine output, logs, files.
    exported = raw_export(project, tmp_path)
    assert json.loads(exported)["deployment"]["resources"]
    assert SECRET not in exported
    assert SECRET not in up.stdout + up.stderr + again.stdout + again.stderr
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.stat().st_size < 50_000_000:
            assert SECRET.encode() not in path.read_bytes(), f"the client secret is in {path}"
    assert SECRET not in emulator.stdout() + emulator.stderr()
    # ...but the program did get it: the stack config holds it encrypted.
    assert stack.get_config(f"{NAMESPACE}:clientSecret").secret

    # 9. destroy: dependents before dependencies, no 409, nothing left.
    with Meter(emulator) as meter:
        destroy = stack.destroy()
    assert destroy.summary.result == "succeeded"
    calls = meter.result
    assert calls.count("DELETE") == len(refs)
    assert not any(status == 409 for (_m, _p, status) in calls.by_status)
    deleted_at = _positions(calls.write_log, "DELETE")
    for key, deps in refs.items():
        for dep in deps:
            assert deleted_at[ids[key]] < deleted_at[ids[dep]], f"{key} must be deleted before {dep}"
    assert org.live_flows() == []
    assert (stack.export_stack().deployment or {}).get("resources") in (None, [])


# ------------------------------------------------------------- 4, 5, 6: updates, conflicts, drift


def _set_block_type(definition: dict[str, Any], block_id: str, block_type: str) -> None:
    stack = list(definition.get("blocks") or [])
    while stack:
        block = stack.pop()
        if block["id"] == block_id:
            block["type"] = block_type
            return
        stack.extend(block.get("children") or [])
    raise AssertionError(f"no block {block_id}")


def _deployed(tmp_path: Path, emulator: EmulatorProcess) -> tuple[Path, auto.Stack, dict[str, str], Org]:
    """The sample set deployed: project, stack, flow ids by key, and another client of the org."""
    project = make_project(tmp_path)
    stack = open_stack(project, tmp_path, emulator.url)
    return project, stack, flow_ids(stack.up()), Org(emulator.url)


# Each test below deploys the sample set once and runs several scenarios on it, one after the other,
# each on flows the others leave alone or after the stack converged again (one `up` of the set
# instead of one per scenario).


def test_one_changed_block_is_one_update_and_someone_elses_change_of_another_field_is_merged(
    tmp_path: Path, emulator: EmulatorProcess
):
    project, stack, ids, org = _deployed(tmp_path, emulator)
    support = read_flow(project, "support-menu")
    _set_block_type(support, "outage-check", "outageLookup")
    write_flow(project, "support-menu", support)
    with Meter(emulator) as meter:
        preview = stack.preview(diff=True)
    assert summary(preview) == {"update": 1}
    assert meter.result.total == 0
    assert "support-menu" in preview.stdout
    # The block itself shows (old inputs against new: the outputs hold only the tree's sha256).
    assert "outageLookup" in preview.stdout
    with Meter(emulator) as meter:
        up = stack.up()
    assert up.summary.resource_changes is not None and up.summary.resource_changes.get("update") == 1
    calls = meter.result
    assert calls.count("PATCH") == 1 and calls.writes == 1
    assert [w["flow_id"] for w in calls.write_log] == [ids["support-menu"]]
    live = org.flow(ids["support-menu"])
    assert live["_version"] == 2
    assert any(b["type"] == "outageLookup" for b in live["blocks"])
    stack.preview(expect_no_changes=True)
    # -- someone else's change of another field (main-ivr's description) is merged with ours
    theirs = org.patch(ids["main-ivr"], description="Edited in Architect by the night shift")
    main = read_flow(project, "main-ivr")
    _set_block_type(main, "disconnect", "disconnectWithSurvey")
    write_flow(project, "main-ivr", main)
    with Meter(emulator) as meter:
        stack.up()
    live = org.flow(ids["main-ivr"])
    assert live["description"] == theirs["description"]
    assert any(b["type"] == "disconnectWithSurvey" for b in live["blocks"])
    assert meter.result.by_status[("PATCH", FLOW, 409)] == 1
    assert meter.result.by_status[("PATCH", FLOW, 200)] == 1
    stack.preview(expect_no_changes=True)


def test_someone_elses_change_of_the_same_field_fails_then_refresh_shows_drift_and_up_restores(
    tmp_path: Path, emulator: EmulatorProcess
):
    project, stack, ids, org = _deployed(tmp_path, emulator)
    their_blocks = [*org.flow(ids["main-ivr"])["blocks"], {"id": "their-block", "type": "playAudio"}]
    org.patch(ids["main-ivr"], blocks=their_blocks)
    main = read_flow(project, "main-ivr")
    _set_block_type(main, "disconnect", "disconnectPolitely")
    write_flow(project, "main-ivr", main)
    with pytest.raises(auto.CommandError) as failure:
        stack.up()
    message = str(failure.value)
    assert "main-ivr" in message and "blocks" in message and "someone else changed" in message
    assert org.flow(ids["main-ivr"])["blocks"] == their_blocks
    # -- refresh shows their drift (no write); the next up restores the definition
    # (their blocks are still live: the failed up changed nothing) and now their description too
    org.patch(ids["main-ivr"], description="Edited in Architect by the night shift")
    with Meter(emulator) as meter:
        refresh = stack.refresh()
    assert meter.result.writes == 0
    assert refresh.summary.resource_changes == {"same": len(ids), "update": 1}
    assert summary(stack.preview()) == {"update": 1}
    with Meter(emulator) as meter:
        stack.up()
    assert meter.result.count("PATCH") == 1
    restored = org.flow(ids["main-ivr"])
    assert not any(b["id"] == "their-block" for b in restored["blocks"])
    assert "Acme Telecom" in restored["description"]  # the definition's, not the night shift's
    stack.preview(expect_no_changes=True)


def test_a_flow_deleted_out_of_band_is_recreated_and_a_forbidden_transition_fails_the_preview(
    tmp_path: Path, emulator: EmulatorProcess
):
    project, stack, ids, _org = _deployed(tmp_path, emulator)
    _org.session.delete(f"{emulator.url}{FLOWS}/{ids['web-chat']}", timeout=10).raise_for_status()
    refresh = stack.refresh()
    assert (
        refresh.summary.resource_changes is not None and refresh.summary.resource_changes.get("delete") == 1
    )
    up = stack.up()
    assert up.summary.resource_changes is not None and up.summary.resource_changes.get("create") == 1
    assert flow_ids(up)["web-chat"] != ids["web-chat"]
    # -- a forbidden lifecycle transition fails the preview, with no API call
    after_hours = read_flow(project, "after-hours")
    write_flow(project, "after-hours", {**after_hours, "lifecycle_state": "archived"})
    stack.up()
    write_flow(project, "after-hours", {**after_hours, "lifecycle_state": "published"})
    with Meter(emulator) as meter, pytest.raises(auto.CommandError) as failure:
        stack.preview()
    assert meter.result.total == 0
    message = str(failure.value)
    assert "after-hours" in message and "lifecycle_state" in message
    assert "architect.flow.lifecycle.transition.invalid" in message


# ------------------------------------------------------------------ 7: rename and type change


def test_rename_is_an_update_and_type_change_a_replacement(tmp_path: Path, emulator: EmulatorProcess):
    project = make_project(tmp_path)
    stack = open_stack(project, tmp_path, emulator.url)
    ids = flow_ids(stack.up())
    org = Org(emulator.url)
    count = len(org.live_flows())

    support = read_flow(project, "support-menu")
    write_flow(project, "support-menu", {**support, "name": "Tech Support Menu v2"})
    assert summary(stack.preview()) == {"update": 1}
    with Meter(emulator) as meter:
        up = stack.up()
    assert meter.result.count("PATCH") == 1 and meter.result.writes == 1
    assert flow_ids(up)["support-menu"] == ids["support-menu"]
    assert org.flow(ids["support-menu"])["name"] == "Tech Support Menu v2"
    assert len(org.live_flows()) == count

    # payment-handler becomes a WORKFLOW: a new flow; billing-menu (which uses it) follows the new id.
    handler = read_flow(project, "payment-handler")
    write_flow(project, "payment-handler", {**handler, "type": "WORKFLOW"})
    preview = stack.preview()
    assert summary(preview) == {"replace": 1, "update": 1}
    with Meter(emulator) as meter:
        up = stack.up()
    calls = meter.result
    new_ids = flow_ids(up)
    assert new_ids["payment-handler"] != ids["payment-handler"]
    assert calls.count("POST", FLOWS) == 1 and calls.count("DELETE") == 1
    assert not any(status == 409 for (_m, _p, status) in calls.by_status)
    billing = org.flow(ids["billing-menu"])
    assert new_ids["payment-handler"] in billing["references"]
    assert ids["payment-handler"] not in billing["references"]
    assert org.get(ids["payment-handler"]).status_code == 410
    assert org.flow(new_ids["payment-handler"])["type"] == "WORKFLOW"
    assert len(org.live_flows()) == count
    stack.preview(expect_no_changes=True)


# ------------------------------------------------------------------------ 8: bad definitions


#: The provider's state-dependent check is the one class of error the program's pre-check cannot
#: decide: its own engine case. Every case the pre-check decides is checked without the engine in
#: tests/deploy/test_program.py, and the engine sees one of each class (the reference graph, a flow's
#: rules, the definition files, the platform's rules) together in test_all_problems_are_reported_at_once.
ENGINE_CASES = ["bad-lifecycle-transition"]


@pytest.mark.parametrize("case", ENGINE_CASES)
def test_bad_definitions_fail_the_preview_with_no_api_call(
    case: str, tmp_path: Path, emulator: EmulatorProcess
):
    flows, expected = BAD_SETS[case]
    project = make_project(tmp_path, flows)
    stack = open_stack(project, tmp_path, emulator.url)
    with Meter(emulator) as meter, pytest.raises(auto.CommandError) as failure:
        stack.preview()
    assert meter.result.total == 0
    message = str(failure.value)
    for flow, field, rule in expected:
        assert re.search(rf"\b{re.escape(flow)}\b", message), message
        assert field in message and rule in message, message
    assert (stack.export_stack().deployment or {}).get("resources") in (None, [])


def test_all_problems_are_reported_at_once(tmp_path: Path, emulator: EmulatorProcess):
    # One preview for the pre-check's classes of error (formerly one engine case each): the
    # reference graph, a flow's rules, the definition files, the platform's rules.
    flows = dict(BAD_SETS["cycle"][0])
    flows["dup"] = BAD_SETS["duplicate-block-id"][0]["a"]
    flows["d"] = bad_flow("D {{nope}}", refs=["missing"])
    flows["e"] = {**BAD_SETS["unsupported-type"][0]["a"], "name": "E"}
    project = make_project(tmp_path, flows)
    stack = open_stack(project, tmp_path, emulator.url)
    with Meter(emulator) as meter, pytest.raises(auto.CommandError) as failure:
        stack.preview()
    assert meter.result.total == 0
    message = str(failure.value)
    for flow, field, rule in [
        ("a", "references", "architect.flow.reference.cycle"),
        ("dup", "blocks[0].children[0].id", "architect.flow.block.id.duplicate"),
        ("d", "name", "definition.placeholder.unknown"),
        ("d", "references[0]", "architect.flow.reference.unknown"),
        ("e", "type", "not supported by the architecture-api"),
    ]:
        assert f"flow '{flow}'" in message and field in message and rule in message, message
    assert "a → b → c → a" in message
    assert (stack.export_stack().deployment or {}).get("resources") in (None, [])


# ----------------------------------------------------- 10: short token lifetime, low rate limit


def test_up_under_short_tokens_and_a_low_rate_limit(tmp_path: Path, emulator: EmulatorProcess):
    project = make_project(tmp_path)
    stack = open_stack(project, tmp_path, emulator.url)
    keys = _references(project)
    # Tokens live 2 s and the limit is 4 requests per 2 s window, so creating the 9 flows outlasts
    # several tokens, and a pacing wait can be as long as a token's whole life.
    emulator.admin.set_token_lifetime(2)
    emulator.admin.set_rate_limit(4, window_seconds=2)
    with Meter(emulator) as meter:
        up = stack.up()
    assert up.summary.result == "succeeded"
    assert sorted(flow_ids(up)) == sorted(keys)
    calls = meter.result
    assert calls.by_status[("POST", FLOWS, 201)] == calls.writes == len(keys), calls.by_status
    assert calls.rate_limited == 0, calls.by_status
    assert calls.by_status[("POST", "/oauth/token", 200)] >= 2, calls.by_status  # renewed mid-run
    with Meter(emulator) as meter:
        stack.destroy()
    assert meter.result.rate_limited == 0
    assert Org(emulator.url).live_flows() == []


# ----------------------------------------------------------------- create never adopts silently


def test_create_refuses_to_adopt_an_existing_flow(tmp_path: Path, emulator: EmulatorProcess):
    project = make_project(tmp_path, {"a": bad_flow("Existing Flow")})
    org = Org(emulator.url)
    response = org.session.post(
        f"{emulator.url}{FLOWS}",
        json={"name": "Existing Flow", "type": "COMMONMODULE", "lifecycle_state": "draft"},
        timeout=10,
    )
    assert response.status_code == 201
    existing = response.json()["id"]
    stack = open_stack(project, tmp_path, emulator.url)
    with pytest.raises(auto.CommandError) as failure:
        stack.up()
    message = str(failure.value)
    assert "already exists" in message and existing in message and "archctl import" in message
    assert [f["id"] for f in org.live_flows()] == [existing]


# ------------------------------------------------- the current stack config reaches every operation


def test_a_rotated_secret_reaches_refresh_and_destroy_after_the_next_up(
    tmp_path: Path, emulator: EmulatorProcess
):
    project = make_project(tmp_path, {"a": bad_flow("Config Flow")})
    stack = open_stack(project, tmp_path, emulator.url)
    assert stack.up().summary.result == "succeeded"

    # A changed secret is no change of any flow, so no flow update stores it in the flow's state.
    # After the next `up` (which records the stack config for the provider), refresh must use it:
    # here a wrong one, so refresh fails; the connection stored with the flow would still work.
    stack.set_config(f"{NAMESPACE}:clientSecret", auto.ConfigValue("not-the-secret", secret=True))
    with Meter(emulator) as meter:
        assert stack.up().summary.result == "succeeded"
    assert meter.result.writes == 0
    with pytest.raises(auto.CommandError) as failure:
        stack.refresh()
    assert "invalid_client" in str(failure.value)
    assert "not-the-secret" not in str(failure.value)

    stack.set_config(f"{NAMESPACE}:clientSecret", auto.ConfigValue(SECRET, secret=True))
    stack.up()
    assert stack.refresh().summary.result == "succeeded"
    assert stack.destroy().summary.result == "succeeded"
    assert Org(emulator.url).live_flows() == []


# ------------------------------------------------------------- renaming a definition file, aliases


def test_a_renamed_definition_file_with_an_alias_keeps_its_flow(tmp_path: Path, emulator: EmulatorProcess):
    project = make_project(
        tmp_path, {"greeting": bad_flow("Greeting"), "menu": bad_flow("Menu", refs=["greeting"])}
    )
    stack = open_stack(project, tmp_path, emulator.url)
    before = flow_ids(stack.up())

    # Without an alias the renamed file is a new resource, whose create finds the old flow's name.
    (project / "flows" / "greeting.yaml").rename(project / "flows" / "welcome.yaml")
    write_flow(project, "menu", bad_flow("Menu", refs=["welcome"]))
    with pytest.raises(auto.CommandError) as failure:
        stack.up()
    assert "aliases: [<old key>]" in str(failure.value)

    write_flow(project, "welcome", {**bad_flow("Greeting"), "aliases": ["greeting"]})
    assert summary(stack.preview()).get("create", 0) == 0
    with Meter(emulator) as meter:
        after = flow_ids(stack.up())
    assert meter.result.writes == 0  # the same flow, nothing created or deleted
    assert after == {"welcome": before["greeting"], "menu": before["menu"]}
    assert sorted(f["id"] for f in Org(emulator.url).live_flows()) == sorted(before.values())
