"""kill -9 of the CLI in every phase of a run, with per-step checkpoints and without them
(`PULUMI_SKIP_CHECKPOINTS=true`, the default of this project's entry points), on both platforms:
mid-create, mid-update, mid-destroy, and after the last step but before the engine's final state
write. Then ONE recovery run (`scripts/up`'s backend repair + `pulumi up`, or `pulumi destroy`)
converges: org = state = definitions, no orphan, no duplicate, nothing left locked, and a write the
killed run finished is not made again.

Without checkpoints a kill -9 leaves the state as it was before the run: flows the run created are
missing from it (adopted through the write-ahead intents), flows it updated keep their old version
(the intent journal recognises the live version as this stack's own last write), flows it deleted are
still in it (gone is success)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from emulator.stats import GC_UPLOAD
from emulator.testing import EmulatorProcess
from provider.deploy.sdk_patches import backend_repair
from provider.ops.engine import tools_bin
from tests.resilience.test_interruptions import (
    DEADLINE_S,
    assert_converged,
    audit_entries,
    flows,
    wait_for,
)
from tests.support.engine import Meter, Org, engine_env, flow_ids, make_project, open_stack, summary
from tests.support.gc_org import live_flows

pytestmark = [
    pytest.mark.engine,
    pytest.mark.slow,
    pytest.mark.skipif(not (tools_bin() / "pulumi").exists(), reason="the Pulumi CLI is not built"),
]

MODES = ["step", "skip"]
GC_STACK = "gc-dev"

# The program of the "after the last step" runs: the project's, holding the stack's outputs (so the
# engine's final state write) until the test has killed the CLI; it touches HOLD_MARKER when every
# flow's step is done.
HELD_PROGRAM = """
import os
import time
from pathlib import Path

import pulumi

from provider.deploy.program import run
from provider.deploy.resource import Flow

made = []


def flow(*args, **kwargs):
    made.append(Flow(*args, **kwargs))
    return made[-1]


def hold(ids):
    marker = os.environ.get("HOLD_MARKER")
    if marker:
        Path(marker).write_text("held")
        time.sleep(120)
    return len(ids)


run(Path(__file__).resolve().parent, resource=flow)
pulumi.export("held", pulumi.Output.all(*[f.id for f in made]).apply(hold))
"""


def mode_env(env: dict[str, str], mode: str) -> dict[str, str]:
    env["PULUMI_SKIP_CHECKPOINTS"] = "true" if mode == "skip" else "false"
    return env


def open_mode_stack(project: Path, root: Path, url: str, mode: str, stack_name: str = "dev") -> auto.Stack:
    stack = open_stack(project, root, url, stack_name)
    mode_env(stack.workspace.env_vars, mode)
    return stack


def cli(
    project: Path, root: Path, mode: str, command: str, stack_name: str, **extra: str
) -> subprocess.Popen[bytes]:
    env = mode_env(engine_env(root), mode)
    env.update(extra)
    return subprocess.Popen(
        [str(tools_bin() / "pulumi"), command, "--yes", "--skip-preview", "--stack", stack_name],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def outcomes(root: Path, action: str) -> list[dict[str, Any]]:
    return [
        e
        for e in audit_entries(root)
        if e.get("event") == "intent_outcome" and e.get("action") == action and e.get("outcome") == "success"
    ]


def kill_when(proc: subprocess.Popen[bytes], predicate: Any, what: str) -> None:
    """kill -9 the CLI once `predicate()` holds; every plugin follows it."""
    try:
        wait_for(predicate, what)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=DEADLINE_S)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    # What the killed run left in flight ends on the server (applied or not) within the injected
    # latency (at most 600 ms): let it, so what is counted next is the recovery's alone.
    time.sleep(1.0)


def recover(stack: auto.Stack, root: Path, stack_name: str, *, destroy: bool = False) -> None:
    """The one command an operator runs: scripts/up's backend repair, then `pulumi up` (or destroy)."""
    backend_repair.repair(stack_name, root / "backend" / ".pulumi")
    if destroy:
        stack.destroy(on_output=lambda _: None)
    else:
        stack.up(on_output=lambda _: None)


def state_flow_count(stack: auto.Stack) -> int:
    resources = stack.export_stack().deployment.get("resources") or []
    return sum(1 for r in resources if str(r.get("type", "")).endswith("architect:Flow"))


def written_once(url: str, version: int) -> bool:
    """Every live flow is at `version`: nothing was written twice."""
    versions = {f["_version"] for f in Org(url).live_flows()}
    assert versions == {version}, versions
    return True


# -- architecture-api ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_kill_9_mid_create(tmp_path: Path, emulator: EmulatorProcess, mode: str):
    project = make_project(tmp_path, flows(6))
    stack = open_mode_stack(project, tmp_path, emulator.url, mode)
    emulator.admin.set_faults(latency_ms=[300, 600], methods=["POST"])
    proc = cli(project, tmp_path, mode, "up", "dev")
    kill_when(proc, lambda: len(outcomes(tmp_path, "create")) >= 3, "3 finished creates")
    emulator.admin.clear_faults()
    assert len(Org(emulator.url).live_flows()) >= 3
    recover(stack, tmp_path, "dev")
    assert_converged(stack, emulator.url, 6)
    assert written_once(emulator.url, 1)


@pytest.mark.parametrize("mode", MODES)
def test_kill_9_after_the_last_step_before_the_final_state_write(
    tmp_path: Path, emulator: EmulatorProcess, mode: str
):
    project = make_project(tmp_path, flows(6))
    (project / "__main__.py").write_text(HELD_PROGRAM)
    stack = open_mode_stack(project, tmp_path, emulator.url, mode)
    marker = tmp_path / "held"
    proc = cli(project, tmp_path, mode, "up", "dev", HOLD_MARKER=str(marker))
    kill_when(proc, marker.exists, "the program to hold after the last step")
    assert len(outcomes(tmp_path, "create")) == 6
    # Without checkpoints the state is the one before the run (none); with them, every flow.
    assert state_flow_count(stack) == (0 if mode == "skip" else 6)
    with Meter(emulator) as meter:
        recover(stack, tmp_path, "dev")
    assert meter.result.count("POST", "/api/v2/architect/flows") == (6 if mode == "skip" else 0)
    assert meter.result.count("PATCH") == 0  # adopted as they are: nothing written again
    assert_converged(stack, emulator.url, 6)
    assert written_once(emulator.url, 1)


@pytest.mark.parametrize("mode", MODES)
def test_kill_9_mid_update(tmp_path: Path, emulator: EmulatorProcess, mode: str):
    project = make_project(tmp_path, flows(6))
    stack = open_mode_stack(project, tmp_path, emulator.url, mode)
    stack.up(on_output=lambda _: None)
    for key, definition in flows(6).items():
        definition["description"] = "second revision"
        (project / "flows" / f"{key}.yaml").write_text(json.dumps(definition))
    emulator.admin.set_faults(latency_ms=[300, 600], methods=["PATCH"])
    proc = cli(project, tmp_path, mode, "up", "dev")
    kill_when(proc, lambda: len(outcomes(tmp_path, "update")) >= 3, "3 finished updates")
    emulator.admin.clear_faults()
    assert len(outcomes(tmp_path, "update")) >= 3
    org = Org(emulator.url)
    landed = sum(f["description"] == "second revision" for f in org.live_flows())
    with Meter(emulator) as meter:
        recover(stack, tmp_path, "dev")
    # What the killed run wrote (finished, or interrupted after the server applied it) is not written
    # again, nor met as a conflict: at most one PATCH per flow it had not reached when it died (a
    # PATCH in flight may still land after the kill), and every flow is at version 2 (create, update).
    assert meter.result.count("PATCH") <= 6 - landed
    assert_converged(stack, emulator.url, 6)
    assert written_once(emulator.url, 2)
    assert {org.flow(i)["description"] for i in flow_ids(stack.outputs()).values()} == {"second revision"}


@pytest.mark.parametrize("mode", MODES)
def test_kill_9_mid_destroy(tmp_path: Path, emulator: EmulatorProcess, mode: str):
    project = make_project(tmp_path, flows(6))
    stack = open_mode_stack(project, tmp_path, emulator.url, mode)
    stack.up(on_output=lambda _: None)
    emulator.admin.set_faults(latency_ms=[300, 600], methods=["DELETE"])
    proc = cli(project, tmp_path, mode, "destroy", "dev")
    kill_when(proc, lambda: len(outcomes(tmp_path, "delete")) >= 3, "3 finished deletes")
    emulator.admin.clear_faults()
    if mode == "skip":
        assert state_flow_count(stack) == 6  # the deleted flows are still in the state
    recover(stack, tmp_path, "dev", destroy=True)
    assert Org(emulator.url).live_flows() == []
    assert state_flow_count(stack) == 0


# -- genesys-cloud (the gc-dev stack, the Archy sample set) -----------------------------------------


def gc_versions(url: str) -> set[str]:
    """The checked-in versions of the live flows (each deploy of content checks one in)."""
    return {
        str((f.get("checkedInVersion") or f.get("publishedVersion") or {}).get("id")) for f in live_flows(url)
    }


def assert_gc_converged(stack: auto.Stack, url: str) -> None:
    live = live_flows(url)
    names = [f["name"].casefold() for f in live]
    assert len(names) == len(set(names)), f"duplicates: {sorted(names)}"
    assert sorted(f["id"] for f in live) == sorted(flow_ids(stack.outputs()).values()), "orphans or missing"
    assert len(live) == 7
    locked = [f["name"] for f in live if f.get("lockedClient") or f.get("lockedUser")]
    assert locked == [], f"left locked: {locked}"
    assert summary(stack.preview()) == {}


@pytest.mark.parametrize("mode", MODES)
def test_gc_kill_9_mid_create(tmp_path: Path, emulator: EmulatorProcess, mode: str):
    project = make_project(tmp_path)
    stack = open_mode_stack(project, tmp_path, emulator.url, mode, GC_STACK)
    emulator.admin.set_faults(latency_ms=[200, 400], methods=["POST"])
    proc = cli(project, tmp_path, mode, "up", GC_STACK)
    kill_when(proc, lambda: len(outcomes(tmp_path, "create")) >= 3, "3 finished creates")
    emulator.admin.clear_faults()
    landed = len(live_flows(emulator.url))
    with Meter(emulator) as meter:
        recover(stack, tmp_path, GC_STACK)
    # At most one Archy job per flow the killed run had not created (a job in flight may still finish
    # after the kill); the ones it created are adopted as they are: every flow at version 1.
    assert meter.result.count("POST", "/api/v2/flows/jobs") <= 7 - landed
    assert_gc_converged(stack, emulator.url)
    assert gc_versions(emulator.url) == {"1.0"}


def test_gc_kill_9_after_the_last_step_before_the_final_state_write(
    tmp_path: Path, emulator: EmulatorProcess
):
    project = make_project(tmp_path)
    (project / "__main__.py").write_text(HELD_PROGRAM)
    stack = open_mode_stack(project, tmp_path, emulator.url, "skip", GC_STACK)
    marker = tmp_path / "held"
    proc = cli(project, tmp_path, "skip", "up", GC_STACK, HOLD_MARKER=str(marker))
    kill_when(proc, marker.exists, "the program to hold after the last step")
    assert state_flow_count(stack) == 0 and len(live_flows(emulator.url)) == 7
    with Meter(emulator) as meter:
        recover(stack, tmp_path, GC_STACK)
    assert meter.result.count("POST", "/api/v2/flows/jobs") == 0  # adopted as they are
    assert_gc_converged(stack, emulator.url)
    assert gc_versions(emulator.url) == {"1.0"}


@pytest.mark.parametrize("mode", MODES)
def test_gc_kill_9_mid_update(tmp_path: Path, emulator: EmulatorProcess, mode: str):
    """The stack's conflict policy is `fail`: the recovery must not take this stack's own finished
    updates for someone else's change."""
    project = make_project(tmp_path)
    stack = open_mode_stack(project, tmp_path, emulator.url, mode, GC_STACK)
    stack.up(on_output=lambda _: None)
    for path in (project / "flows" / "genesys-cloud").glob("*.archy.yaml"):
        lines = path.read_text().splitlines(keepends=True)
        lines = [
            line.rstrip("\n") + " Second revision.\n" if line.startswith("  description:") else line
            for line in lines
        ]
        path.write_text("".join(lines))
    emulator.admin.set_faults(latency_ms=[200, 400], methods=["POST"])
    proc = cli(project, tmp_path, mode, "up", GC_STACK)
    kill_when(proc, lambda: len(outcomes(tmp_path, "update")) >= 3, "3 finished updates")
    emulator.admin.clear_faults()
    assert len(outcomes(tmp_path, "update")) >= 3
    landed = sum(f["description"].endswith("Second revision.") for f in live_flows(emulator.url))
    with Meter(emulator) as meter:
        recover(stack, tmp_path, GC_STACK)
    # At most one Archy job per flow the killed run had not reached; none for what it wrote: every
    # flow at version 2 (create, update).
    assert meter.result.count("POST", "/api/v2/flows/jobs") <= 7 - landed
    assert_gc_converged(stack, emulator.url)
    assert gc_versions(emulator.url) == {"2.0"}
    assert all(f["description"].endswith("Second revision.") for f in live_flows(emulator.url))


@pytest.mark.parametrize("mode", MODES)
def test_gc_kill_9_mid_destroy(tmp_path: Path, emulator: EmulatorProcess, mode: str):
    project = make_project(tmp_path)
    stack = open_mode_stack(project, tmp_path, emulator.url, mode, GC_STACK)
    stack.up(on_output=lambda _: None)
    emulator.admin.set_faults(latency_ms=[200, 400], methods=["DELETE"])
    proc = cli(project, tmp_path, mode, "destroy", GC_STACK)
    kill_when(proc, lambda: len(outcomes(tmp_path, "delete")) >= 3, "3 finished deletes")
    emulator.admin.clear_faults()
    recover(stack, tmp_path, GC_STACK, destroy=True)
    assert live_flows(emulator.url) == []
    assert state_flow_count(stack) == 0


def gc_uploads(emulator: EmulatorProcess) -> int:
    """Archy files the emulator accepted so far (PUTs to a job's presigned URL answered 200)."""
    rows = emulator.admin.stats()["requests"]
    return sum(
        r["count"] for r in rows if (r["method"], r["path"], str(r["status"])) == ("PUT", GC_UPLOAD, "200")
    )


def test_gc_kill_9_mid_draft_job(tmp_path: Path, emulator: EmulatorProcess):
    """The one engine run of the draft kill points (the others: tests/platforms/genesys_cloud/
    test_kill_points.py): kill -9 of the CLI while a draft's update job runs (jobs take 4 s). The job
    goes on without us and publishes the draft; ONE `make deploy` under conflictPolicy fail takes it
    down (the published content is exactly what the killed update sent) and converges."""
    project = make_project(tmp_path)
    keep = ("holiday-line", "business-hours")  # the draft and the common module it calls
    for path in (project / "flows" / "genesys-cloud").iterdir():
        if not path.name.startswith(keep):
            path.unlink()
    stack = open_mode_stack(project, tmp_path, emulator.url, "skip", GC_STACK)
    stack.up(on_output=lambda _: None)
    archy = project / "flows" / "genesys-cloud" / "holiday-line.archy.yaml"
    archy.write_text(archy.read_text().replace("  description: ", "  description: Second revision. ", 1))
    emulator.admin.gc_set_job_duration(4.0)
    uploaded = gc_uploads(emulator)
    proc = cli(project, tmp_path, "skip", "up", GC_STACK)
    kill_when(proc, lambda: gc_uploads(emulator) > uploaded, "the draft's job to start")

    def draft() -> dict[str, Any]:
        (flow,) = [f for f in live_flows(emulator.url) if f["name"].startswith("Holiday Line")]
        return flow

    wait_for(lambda: "publishedVersion" in draft(), "the killed run's job to publish the draft")
    with Meter(emulator) as meter:
        recover(stack, tmp_path, GC_STACK)
    assert "publishedVersion" not in draft() and draft()["description"].startswith("Second revision.")
    assert meter.result.count("POST", "/api/v2/flows/jobs") == 0  # taken down, not deployed again
    assert len(live_flows(emulator.url)) == 2 and summary(stack.preview()) == {}
