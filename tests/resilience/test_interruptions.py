"""Through the real engine and emulator: interrupted and ambiguous writes converge on the next run
with 0 orphans and 0 duplicates, never adopting a flow this stack did not create; a failed audit
write refuses the write; plugin processes die with the CLI; a damaged backend file is repaired."""

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

from emulator.testing import EmulatorProcess
from provider.deploy.sdk_patches import backend_repair
from provider.ops.engine import tools_bin
from tests.support.engine import (
    FLOWS,
    Org,
    engine_env,
    flow_ids,
    make_project,
    open_stack,
    raw_export,
    summary,
)

pytestmark = [
    pytest.mark.engine,
    pytest.mark.skipif(not (tools_bin() / "pulumi").exists(), reason="the Pulumi CLI is not built"),
]

DEADLINE_S = 120.0


def flows(n: int) -> dict[str, Any]:
    return {
        f"f{i}": {
            "name": f"Flow {i}",
            "type": "INBOUNDCALL",
            "lifecycle_state": "published",
            "blocks": [{"id": "b", "type": "playAudio"}],
        }
        for i in range(n)
    }


def audit_entries(root: Path) -> list[dict[str, Any]]:
    path = root / "audit" / "audit.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip().startswith("{")]


def assert_converged(stack: auto.Stack, url: str, expected: int) -> None:
    """org = state = definitions: every live flow is in the state, once; nothing left to do."""
    state = flow_ids(stack.outputs())
    live = Org(url).live_flows()
    names = [f["name"].casefold() for f in live]
    assert len(names) == len(set(names)), f"duplicates: {sorted(names)}"
    assert sorted(f["id"] for f in live) == sorted(state.values()), "orphans or missing flows"
    assert len(state) == expected
    assert summary(stack.preview()) == {}


def up_until_converged(stack: auto.Stack, root: Path, project: Path, runs: int = 3) -> int:
    """The recovery an operator runs: scripts/up's repair, then `pulumi up`; the runs it took."""
    for run in range(1, runs + 1):
        backend_repair.repair("dev", root / "backend" / ".pulumi")
        try:
            stack.up(on_output=lambda _: None)
            return run
        except auto.CommandError:
            if run == runs:
                raise
    return runs


def test_ambiguous_creates_with_their_look_ups_dropped_converge_on_the_next_up(
    tmp_path: Path, emulator: EmulatorProcess
):
    project = make_project(tmp_path, flows(3))
    stack = open_stack(project, tmp_path, emulator.url)
    # Every create commits, and its answer and every look-up after it are lost.
    emulator.admin.set_faults(drop_rate=1.0, drop_mode="after", methods=["POST", "GET"])
    with pytest.raises(auto.CommandError) as failure:
        stack.up(on_output=lambda _: None)
    assert "outcome is recorded as unknown" in str(failure.value)
    emulator.admin.clear_faults()
    assert len(Org(emulator.url).live_flows()) == 3  # the orphans
    assert up_until_converged(stack, tmp_path, project) == 1
    assert_converged(stack, emulator.url, 3)
    outcomes = [e["outcome"] for e in audit_entries(tmp_path) if e.get("event") == "intent_outcome"]
    assert outcomes.count("adopted") == 3
    resources = json.loads(raw_export(project, tmp_path))["deployment"]["resources"]
    for resource in resources:
        if resource["type"].endswith("architect:Flow"):  # no connection, no secret per flow
            assert "__connection" not in resource["inputs"] and "__connection" not in resource["outputs"]
            assert "clientSecret" not in json.dumps(resource)


def test_a_flow_this_stack_did_not_create_is_never_adopted(tmp_path: Path, emulator: EmulatorProcess):
    project = make_project(tmp_path, flows(2))
    stack = open_stack(project, tmp_path, emulator.url)
    org = Org(emulator.url)
    response = org.session.post(
        f"{emulator.url}{FLOWS}",
        json={
            "name": "Flow 1",
            "type": "INBOUNDCALL",
            "lifecycle_state": "published",
            "blocks": [{"id": "b", "type": "playAudio"}],
        },
        timeout=10,
    )
    assert response.status_code in (200, 201), response.text
    with pytest.raises(auto.CommandError) as failure:
        stack.up(on_output=lambda _: None)
    message = str(failure.value)
    assert "already exists" in message and "Nothing was adopted" in message
    # our message first; the SDK host's traceback, if printed, after it
    assert "Traceback" not in message or message.index("already exists") < message.index("Traceback")
    assert sorted(f["name"] for f in org.live_flows()) == ["Flow 0", "Flow 1"]


def test_a_failed_audit_write_refuses_the_write(tmp_path: Path, emulator: EmulatorProcess):
    project = make_project(tmp_path, flows(1))
    stack = open_stack(project, tmp_path, emulator.url)
    stack.set_config("genesys-flows:auditLog", auto.ConfigValue("/dev/full"))
    with pytest.raises(auto.CommandError) as failure:
        stack.up(on_output=lambda _: None)
    assert "create refused" in str(failure.value) and "audit trail" in str(failure.value)
    assert Org(emulator.url).live_flows() == []


# -- kill -9 -------------------------------------------------------------------------------------


def cli_up(project: Path, root: Path, url: str) -> subprocess.Popen[bytes]:
    env = engine_env(root)
    return subprocess.Popen(
        [str(tools_bin() / "pulumi"), "up", "--yes", "--skip-preview", "--stack", "dev"],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_for(predicate: Any, what: str, deadline_s: float = DEADLINE_S) -> Any:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def provider_pids() -> set[int]:
    """The dynamic-provider processes of this test run (by their command line)."""
    pids = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"pulumi.dynamic" in cmd:
            pids.add(int(proc.name))
    return pids


def descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                stat = (proc / "stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat[stat.rindex(")") + 2 :].split()[1]), []).append(int(proc.name))
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


@pytest.mark.parametrize("victim", ["provider", "cli"])
@pytest.mark.parametrize("after_intents", [1, 4])
def test_kill_9_mid_up_converges_on_the_next_up(
    tmp_path: Path, emulator: EmulatorProcess, victim: str, after_intents: int
):
    project = make_project(tmp_path, flows(6))
    stack = open_stack(project, tmp_path, emulator.url)
    # Slow creates, so the kill lands while some are in flight.
    emulator.admin.set_faults(latency_ms=[300, 600], methods=["POST"])
    cli = cli_up(project, tmp_path, emulator.url)
    try:
        intents = wait_for(
            lambda: [e for e in audit_entries(tmp_path) if e.get("event") == "intent"][after_intents - 1 :],
            f"{after_intents} intent(s)",
        )
        provider = int(intents[0]["pid"])
        plugins = descendants(cli.pid)
        assert provider in plugins
        os.kill(provider if victim == "provider" else cli.pid, signal.SIGKILL)
        if victim == "cli":
            # No plugin (language host, program, provider) outlives the CLI by more than 10 s.
            wait_for(lambda: not [p for p in plugins if alive(p)], "the plugins to exit after the CLI", 10.0)
        cli.wait(timeout=DEADLINE_S)
    finally:
        if cli.poll() is None:
            os.killpg(cli.pid, signal.SIGKILL)
            cli.wait()
    emulator.admin.clear_faults()
    runs = up_until_converged(stack, tmp_path, project)
    assert runs == 1
    assert_converged(stack, emulator.url, 6)


def test_a_damaged_backend_file_is_repaired(tmp_path: Path, emulator: EmulatorProcess):
    project = make_project(tmp_path, flows(2))
    stack = open_stack(project, tmp_path, emulator.url)
    stack.up(on_output=lambda _: None)
    stack.up(on_output=lambda _: None)  # a .bak of a whole checkpoint
    stacks = tmp_path / "backend" / ".pulumi" / "stacks" / "genesys-flows"
    (stacks / "dev.json.attrs").write_bytes(b"")
    done = backend_repair.repair("dev", tmp_path / "backend" / ".pulumi")
    assert any("attributes" in line for line in done)
    (stacks / "dev.json").write_bytes((stacks / "dev.json").read_bytes()[:100])
    done = backend_repair.repair("dev", tmp_path / "backend" / ".pulumi")
    assert any("restored the previous one" in line for line in done)
    stack.up(on_output=lambda _: None)
    assert_converged(stack, emulator.url, 2)
