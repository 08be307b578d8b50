"""Cycles of flows on genesys-cloud end to end: the real Pulumi engine on the gc-dev stack against the
real emulator process. One stack, consecutive runs: a two-flow transfer cycle (main menu ↔ billing
line) and a three-flow cycle of common modules deploy (stubs first, adopted), a member is updated,
one changes type, and the whole set is destroyed (a member published empty first). A kill -9 of
the CLI right after a stub was created converges in one more run."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from emulator.testing import EmulatorProcess
from provider.deploy import cycles
from provider.deploy.sdk_patches import backend_repair
from provider.ops.engine import tools_bin
from provider.platforms.genesys_cloud._cycles import STUB_DESCRIPTION
from tests.e2e.genesys_cloud.test_gc_engine import _kill_session
from tests.resilience.test_interruptions import wait_for
from tests.support import gc_org
from tests.support.engine import engine_env, flow_ids, make_project, open_stack, summary

pytestmark = pytest.mark.engine

STACK = "gc-dev"

#: key → (Archy top-level key, name, [(action, target name)])
TWO = {
    "main-ivr": ("inboundCall", "Main IVR", [("transfer", "Billing Line"), ("module", "Mod A")]),
    "billing": ("inboundCall", "Billing Line", [("transfer", "Main IVR")]),
}
THREE = {
    "mod-a": ("commonModule", "Mod A", [("module", "Mod B")]),
    "mod-b": ("commonModule", "Mod B", [("module", "Mod C")]),
    "mod-c": ("commonModule", "Mod C", [("module", "Mod A")]),
}


def _archy(kind: str, name: str, uses: list[tuple[str, str]], note: str) -> str:
    actions: list[dict[str, Any]] = []
    for action, target in uses:
        if action == "transfer":
            actions.append({"transferToFlow": {"name": f"To {target}", "targetFlow": {"name": target}}})
        else:
            actions.append({"callCommonModule": {"name": f"Call {target}", "commonModule": {target: {}}}})
    body = {
        "name": name,
        "description": f"{name} {note}",
        "tasks": [{"task": {"name": "T", "actions": actions}}],
    }
    return yaml.safe_dump({kind: body}, sort_keys=False)


def _write(project: Path, flows: dict[str, tuple[str, str, list[tuple[str, str]]]], note: str = "v1") -> None:
    folder = project / "flows" / "genesys-cloud"
    for path in folder.iterdir():
        path.unlink()
    for key, (kind, name, uses) in flows.items():
        (folder / f"{key}.archy.yaml").write_text(_archy(kind, name, uses, note))
        (folder / f"{key}.yaml").write_text(f"archy: {key}.archy.yaml\nlifecycle_state: published\n")


def _consumed(url: str, flow_id: str) -> set[str]:
    gc = gc_org.platform(url)
    live = gc.read(flow_id)
    assert live is not None and live.lifecycle_state == "published"
    version = gc.content_version(live)
    assert version is not None
    return {ref.id for ref in gc.consumed_flows(flow_id, version, live.type)}


def _assert_bound(url: str, ids: dict[str, str], flows: dict[str, Any]) -> None:
    """Every flow published once under its name, none a stub, each bound to the flows it names."""
    live = gc_org.live_flows(url)
    assert sorted(f["name"] for f in live) == sorted(name for _, name, _ in flows.values())
    assert not any(STUB_DESCRIPTION in (f.get("description") or "") for f in live)
    id_of = {f["name"]: f["id"] for f in live}
    for key, (_, _, uses) in flows.items():
        assert _consumed(url, ids[key]) == {id_of[target] for _, target in uses}, key


def _journal(root: Path) -> list[dict[str, Any]]:
    path = root / "audit" / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _steps(root: Path, step: str) -> list[str]:
    return [e["flow_key"] for e in _journal(root) if e.get("event") == "intent_step" and e["step"] == step]


def test_cycles_deploy_update_change_type_and_destroy(tmp_path: Path, emulator: EmulatorProcess) -> None:
    flows = {**TWO, **THREE}
    project = make_project(tmp_path)
    _write(project, flows)
    stack = open_stack(project, tmp_path, emulator.url, STACK)

    up = stack.up()
    assert up.summary.resource_changes == {"create": len(flows) + 1}
    ids = flow_ids(up)
    _assert_bound(emulator.url, ids, flows)
    # The closing references (main-ivr → billing, mod-c → mod-a) stubbed their targets, which their
    # own creates adopted (same ids: the holders stay bound to them).
    assert sorted(_steps(tmp_path, cycles.STEP_STUB)) == ["billing", "mod-a"]
    assert summary(stack.preview()) == {}

    # An update of a member: one flow's job, the cycle still bound.
    _write(project, flows, note="v2")
    (project / "flows" / "genesys-cloud" / "mod-a.archy.yaml").write_text(_archy(*THREE["mod-a"], note="v1"))
    up = stack.up()
    assert up.summary.resource_changes == {"update": len(flows) - 1, "same": 2}
    assert flow_ids(up) == ids
    _assert_bound(emulator.url, ids, flows)

    # billing becomes a secure call flow: its by-name holder (main-ivr) binds again, to the new flow.
    flows["billing"] = ("secureCall", "Billing Line", [("transfer", "Main IVR")])
    _write(project, flows, note="v2")
    (project / "flows" / "genesys-cloud" / "mod-a.archy.yaml").write_text(_archy(*THREE["mod-a"], note="v1"))
    up = stack.up()
    assert up.summary.result == "succeeded"
    new_ids = flow_ids(up)
    assert new_ids["billing"] != ids["billing"] and new_ids["main-ivr"] == ids["main-ivr"]
    _assert_bound(emulator.url, new_ids, flows)
    assert summary(stack.preview()) == {}

    # Destroy: a member of each cycle published empty first, then every flow deleted.
    stack.destroy()
    assert gc_org.live_flows(emulator.url) == []
    assert sorted(_steps(tmp_path, cycles.STEP_CUT)) == ["main-ivr", "mod-c"]


def test_a_kill_after_the_stub_converges_in_one_up(tmp_path: Path, emulator: EmulatorProcess) -> None:
    project = make_project(tmp_path)
    _write(project, {**TWO, "mod-a": ("commonModule", "Mod A", [])})
    journal = tmp_path / "audit" / "audit.jsonl"
    stack = open_stack(project, tmp_path, emulator.url, STACK)
    emulator.admin.gc_set_job_duration(3)  # the kill lands while main-ivr's job runs
    env = {**engine_env(tmp_path), "PULUMI_SKIP_CHECKPOINTS": "true"}
    cli = subprocess.Popen(
        [str(tools_bin() / "pulumi"), "up", "--yes", "--skip-preview", "--stack", STACK],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for(lambda: journal.exists() and cycles.STEP_STUB in journal.read_text(), "the stub's step")
    finally:
        _kill_session(cli.pid)
        cli.wait()
    emulator.admin.gc_set_job_duration(0.2)
    assert any(STUB_DESCRIPTION in (f.get("description") or "") for f in gc_org.live_flows(emulator.url))

    backend_repair.repair(STACK, tmp_path / "backend" / ".pulumi")
    up = stack.up()
    assert up.summary.result == "succeeded"
    flows = {**TWO, "mod-a": ("commonModule", "Mod A", [])}
    _assert_bound(emulator.url, flow_ids(up), flows)
    assert _steps(tmp_path, cycles.STEP_STUB) == ["billing"]  # the stub was not made twice
    assert summary(stack.preview()) == {}
