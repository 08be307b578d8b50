"""Recovery from any machine, with the state, the journal and the audit trail in one bucket of the
real SeaweedFS server: runner A (its own project copy and PULUMI_HOME) is killed -9 mid-create,
mid-update and mid-destroy, with this project's default of one state write at the end of the run;
runner B, a fresh copy with no local file of A's, names A's dead lock, removes it on purpose
(`archctl unlock --yes`, audited) and converges in ONE deploy: org = state = definitions, no orphan,
no duplicate, nothing locked. While A runs, B is refused by Pulumi's lock. One engine test per kill
phase (each is three or four engine runs)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from emulator.testing import DEMO_CLIENTS, EmulatorProcess
from provider.governance.s3_trail import read_all
from provider.ops import locks, preflight
from provider.ops.engine import offline_env, pulumi_command, tools_bin
from tests.resilience.test_interruptions import assert_converged, wait_for
from tests.support.engine import Org
from tests.support.project import copy_project, write_flow
from tests.team.conftest import Bucket

pytestmark = [
    pytest.mark.xdist_group("s3"),  # one SeaweedFS process: these run on one worker
    pytest.mark.engine,
    pytest.mark.slow,
    pytest.mark.skipif(not (tools_bin() / "pulumi").exists(), reason="the Pulumi CLI is not built"),
]

N = 6


def chain(n: int = N, description: str = "first revision") -> dict[str, Any]:
    """n common modules, each calling the one before: the engine creates and updates them one after
    another (and deletes them in reverse), so a kill after the k-th write is truly mid-run."""
    out: dict[str, Any] = {}
    for i in range(n):
        refs = [f"f{i - 1}"] if i else []
        blocks: list[dict[str, Any]] = [{"id": "start", "type": "playAudio"}]
        blocks += [{"id": "call", "type": "callCommonModule", "reference": r} for r in refs]
        out[f"f{i}"] = {
            "name": f"Flow {i}",
            "description": description,
            "type": "COMMONMODULE",
            "lifecycle_state": "published",
            "references": refs,
            "blocks": blocks,
        }
    return out


@dataclass
class Runner:
    """One CI runner: a fresh clone of the repository (the committed stack config) and nothing else."""

    name: str
    project: Path
    env: dict[str, str]

    def stack(self, *, create: bool = False) -> auto.Stack:
        opts = auto.LocalWorkspaceOptions(
            pulumi_command=pulumi_command(), pulumi_home=self.env["PULUMI_HOME"], env_vars=self.env
        )
        select = auto.create_or_select_stack if create else auto.select_stack
        return select(stack_name="dev", work_dir=str(self.project), opts=opts)

    def pulumi(self, command: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [str(tools_bin() / "pulumi"), command, "--yes", "--skip-preview", "--stack", "dev"],
            cwd=self.project,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def archctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "provider.cli", *args],
            cwd=self.project,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )


def committed_repo(tmp_path: Path, emulator_url: str) -> Path:
    """What both runners clone: the project with the dev stack pointed at the test emulator."""
    repo = copy_project(tmp_path / "repo", chain())
    config = repo / "stacks" / "Pulumi.dev.yaml"
    config.write_text(config.read_text().replace("http://127.0.0.1:8099", emulator_url))
    return repo


def clone(tmp_path: Path, repo: Path, name: str, bucket: Bucket) -> Runner:
    folder = tmp_path / name
    project = folder / "project"
    shutil.copytree(repo, project)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "GENESYSCLOUD_", "GENESYS_"))}
    base.update(bucket.env())
    base["GENESYS_FLOWS_METRICS_DIR"] = str(folder / "metrics")
    base["HOME"] = str(folder / "home")
    env = offline_env(backend_dir=folder / "unused-backend", pulumi_home=folder / "pulumi-home", base=base)
    return Runner(name, project, env)


def successes(bucket: Bucket, action: str) -> int:
    return sum(
        1
        for e in read_all(bucket.url, stack="dev")
        if e.get("event") == "intent_outcome" and e.get("action") == action and e.get("outcome") == "success"
    )


HOLD = {"latency_ms": [20000, 20000], "drop_rate": 1.0, "drop_mode": "before"}


def kill_a_when(
    a: subprocess.Popen[bytes], bucket: Bucket, action: str, emulator: EmulatorProcess, at_least: int = 3
) -> None:
    """kill -9 runner A's CLI once `at_least` of its `action`s succeeded (every plugin follows it),
    while its next writes are held by the emulator (then dropped unapplied: nothing lands later)."""
    method = {"create": "POST", "update": "PATCH", "delete": "DELETE"}[action]
    try:
        wait_for(lambda: successes(bucket, action) >= at_least, f"{at_least} finished {action}s")
        emulator.admin.set_faults(**HOLD, methods=[method])
        os.kill(a.pid, signal.SIGKILL)
        a.wait(timeout=60)
    finally:
        if a.poll() is None:
            os.killpg(a.pid, signal.SIGKILL)
            a.wait()
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(a.pid, signal.SIGKILL)  # the plugins of A's process group
    # A's held writes were each decided "drop before applying" when they arrived (the emulator decides
    # a fault on arrival, then waits): clearing the faults now cannot let one of them land.
    emulator.admin.clear_faults()


def b_recovers(b: Runner, bucket: Bucket, *, destroy: bool = False) -> auto.Stack:
    """B: told about A's dead lock before anything runs, removes it on purpose, then ONE deploy."""
    found = preflight.problems("dev", b.env)
    assert len(found) == 1 and "archctl unlock --stack dev" in found[0], found
    unlocked = b.archctl("unlock", "--stack", "dev", "--yes")
    assert unlocked.returncode == 0, unlocked.stdout + unlocked.stderr
    assert "pid" in unlocked.stdout and "taken" in unlocked.stdout  # host, process and age named
    assert preflight.problems("dev", b.env) == []
    stack = b.stack()
    if destroy:
        stack.destroy(on_output=lambda _: None)
    else:
        stack.up(on_output=lambda _: None)
    assert locks.stack_locks(bucket.url, "dev") == []
    return stack


def assert_trail(bucket: Bucket) -> list[dict[str, Any]]:
    """Both runs' entries in the bucket, in order (A's, the unlock, B's); no client secret anywhere."""
    entries = read_all(bucket.url, stack="dev")
    events = [e["event"] for e in entries]
    cut = events.index("unlock")
    before = {(e.get("host"), e.get("pid")) for e in entries[:cut]}
    after = {(e.get("host"), e.get("pid")) for e in entries[cut + 1 :] if e["event"] != "unlock"}
    assert ("intent" in events[:cut] and "intent" in events[cut + 1 :]) or events[cut + 1 :] == []
    assert not before & after, "B's entries interleaved with A's"
    secret = DEMO_CLIENTS["dev-rw"].encode()
    leaked = [key for key, body in bucket.objects().items() if secret in body]
    assert leaked == [], f"the client secret is in {leaked}"
    return entries


def test_b_recovers_a_run_killed_mid_create_and_is_refused_while_a_runs(
    tmp_path: Path, emulator: EmulatorProcess, bucket: Bucket
):
    repo = committed_repo(tmp_path, emulator.url)
    a, b = clone(tmp_path, repo, "runner-a", bucket), clone(tmp_path, repo, "runner-b", bucket)
    a.stack(create=True)
    emulator.admin.set_faults(latency_ms=[300, 600], methods=["POST"])
    proc = a.pulumi("up")
    wait_for(lambda: successes(bucket, "create") >= 2, "A's first creates")
    # Two runners at once: while A is alive mid-run (its next creates held), B is refused by A's lock.
    emulator.admin.set_faults(**HOLD, methods=["POST"])
    refused = b.pulumi("up")
    output = refused.communicate(timeout=120)[0].decode(errors="replace")
    assert refused.returncode != 0 and "currently locked" in output, output[-2000:]
    assert "being deployed by" in preflight.problems("dev", b.env)[0]
    assert proc.poll() is None, "A ended before B tried"
    kill_a_when(proc, bucket, "create", emulator, at_least=2)
    created_by_a = len(Org(emulator.url).live_flows())
    assert 2 <= created_by_a < N  # truly mid-run
    stack = b_recovers(b, bucket)
    assert_converged(stack, emulator.url, N)
    assert {f["_version"] for f in Org(emulator.url).live_flows()} == {1}  # adopted, not rewritten
    assert_trail(bucket)


def test_b_recovers_a_run_killed_mid_update(tmp_path: Path, emulator: EmulatorProcess, bucket: Bucket):
    repo = committed_repo(tmp_path, emulator.url)
    a = clone(tmp_path, repo, "runner-a", bucket)
    a.stack(create=True).up(on_output=lambda _: None)
    for key, definition in chain(description="second revision").items():  # merged: both clones have it
        write_flow(repo, key, definition)
        write_flow(a.project, key, definition)
    b = clone(tmp_path, repo, "runner-b", bucket)
    emulator.admin.set_faults(latency_ms=[300, 600], methods=["PATCH"])
    kill_a_when(a.pulumi("up"), bucket, "update", emulator)
    stack = b_recovers(b, bucket)
    assert_converged(stack, emulator.url, N)
    live = Org(emulator.url).live_flows()
    assert {f["description"] for f in live} == {"second revision"}
    assert {f["_version"] for f in live} == {2}  # A's finished updates were not written again
    assert_trail(bucket)


def test_b_recovers_a_destroy_killed_midway(tmp_path: Path, emulator: EmulatorProcess, bucket: Bucket):
    repo = committed_repo(tmp_path, emulator.url)
    a, b = clone(tmp_path, repo, "runner-a", bucket), clone(tmp_path, repo, "runner-b", bucket)
    a.stack(create=True).up(on_output=lambda _: None)
    emulator.admin.set_faults(latency_ms=[300, 600], methods=["DELETE"])
    kill_a_when(a.pulumi("destroy"), bucket, "delete", emulator)
    stack = b_recovers(b, bucket, destroy=True)
    assert Org(emulator.url).live_flows() == []
    resources = stack.export_stack().deployment.get("resources") or []
    assert not [r for r in resources if str(r.get("type", "")).endswith("architect:Flow")]
    entries = assert_trail(bucket)
    deletes = [e for e in entries if e["event"] == "intent_outcome" and e["action"] == "delete"]
    assert len({e["flow_id"] for e in deletes if e["outcome"] == "success"}) == N
    assert json.dumps(entries)  # the whole trail reads back as JSON
