"""Through the real engine and emulator: half of all answers lost after the server applied the
request (every method: the creates, the look-ups, the updates and the deletes) converges within a
few `up` runs; kill -9 of the language host mid-`up` converges on the next one and leaves no plugin
process behind."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import yaml
from pulumi import automation as auto

from emulator.testing import EmulatorProcess
from provider.deploy.sdk_patches import backend_repair
from provider.ops.engine import tools_bin
from tests.resilience.test_interruptions import (
    DEADLINE_S,
    alive,
    assert_converged,
    audit_entries,
    cli_up,
    descendants,
    flows,
    up_until_converged,
    wait_for,
)
from tests.support.engine import flow_ids, make_project, open_stack, summary
from tests.support.gc_org import live_flows

pytestmark = [
    pytest.mark.engine,
    pytest.mark.slow,
    pytest.mark.skipif(not (tools_bin() / "pulumi").exists(), reason="the Pulumi CLI is not built"),
]

SEED = 1313
LANGUAGE_HOST = "pulumi-language-python"


def up_under_faults(stack: auto.Stack, root: Path, emulator: EmulatorProcess, runs: int = 3) -> int:
    """One `up` with the faults on; if it failed, clear them and run the operator's recovery
    (scripts/up's backend repair, then `up`) until it succeeds. The number of `up` runs in all."""
    for run in range(1, runs + 1):
        backend_repair.repair(stack.name, root / "backend" / ".pulumi")
        try:
            stack.up(on_output=lambda _: None)
            return run
        except auto.CommandError:
            if run == runs:
                raise
        finally:
            emulator.admin.clear_faults()
    return runs


def test_half_the_answers_dropped_on_every_method_converges(
    tmp_path: Path, emulator: EmulatorProcess
) -> None:
    project = make_project(tmp_path)  # the sample set
    keys = sorted(p.stem for p in (project / "flows").glob("*.yaml"))
    stack = open_stack(project, tmp_path, emulator.url)
    faults = {"drop_rate": 0.5, "drop_mode": "after", "seed": SEED}

    # Creates (and their look-ups) from an empty org.
    emulator.admin.set_faults(**faults)
    assert up_under_faults(stack, tmp_path, emulator) <= 3
    assert_converged(stack, emulator.url, len(keys))
    dropped = emulator.admin.stats()["dropped"]
    assert dropped > 0

    # Updates of every flow and the delete of one nobody references.
    for path in (project / "flows").glob("*.yaml"):
        data = yaml.safe_load(path.read_text())
        data["description"] = f"{data.get('description', '')} (revised)"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
    (project / "flows" / "after-hours.yaml").unlink()
    emulator.admin.set_faults(**faults)
    assert up_under_faults(stack, tmp_path, emulator) <= 3
    assert_converged(stack, emulator.url, len(keys) - 1)
    assert emulator.admin.stats()["dropped"] > dropped


def test_half_the_answers_dropped_on_every_method_converges_on_genesys_cloud(
    tmp_path: Path, emulator: EmulatorProcess
) -> None:
    project = make_project(tmp_path)  # the sample set (flows/genesys-cloud on the gc-dev stack)
    expected = len(list((project / "flows" / "genesys-cloud").glob("*.archy.yaml")))
    stack = open_stack(project, tmp_path, emulator.url, "gc-dev")
    faults = {"drop_rate": 0.5, "drop_mode": "after", "seed": SEED}

    def assert_gc_converged() -> None:
        state = flow_ids(stack.outputs())
        live = live_flows(emulator.url)
        names = [f["name"].casefold() for f in live]
        assert len(names) == len(set(names)), f"duplicates: {sorted(names)}"
        assert sorted(f["id"] for f in live) == sorted(state.values()), "orphans or missing flows"
        assert len(state) == expected
        assert summary(stack.preview()) == {}

    emulator.admin.set_faults(**faults)
    assert up_under_faults(stack, tmp_path, emulator) <= 3
    assert_gc_converged()
    dropped = emulator.admin.stats()["dropped"]
    assert dropped > 0

    # An update (a new version through an import job).
    archy = project / "flows" / "genesys-cloud" / "billing-line.archy.yaml"
    text = archy.read_text()
    assert "Welcome to billing." in text
    archy.write_text(text.replace("Welcome to billing.", "Welcome to billing, again."))
    emulator.admin.set_faults(**faults)
    assert up_under_faults(stack, tmp_path, emulator) <= 3
    assert_gc_converged()
    assert emulator.admin.stats()["dropped"] > dropped


@pytest.mark.parametrize("after_intents", [1, 4])
def test_kill_9_of_the_language_host_mid_up_converges_on_the_next_up(
    tmp_path: Path, emulator: EmulatorProcess, after_intents: int
) -> None:
    project = make_project(tmp_path, flows(6))
    stack = open_stack(project, tmp_path, emulator.url)
    # Slow creates, so the kill lands while some are in flight.
    emulator.admin.set_faults(latency_ms=[300, 600], methods=["POST"])
    cli = cli_up(project, tmp_path, emulator.url)
    try:
        wait_for(
            lambda: [e for e in audit_entries(tmp_path) if e.get("event") == "intent"][after_intents - 1 :],
            f"{after_intents} intent(s)",
        )
        plugins = descendants(cli.pid)
        hosts = [p for p in plugins if command_name(p) == LANGUAGE_HOST]
        assert len(hosts) == 1, {p: command_name(p) for p in plugins}
        os.kill(hosts[0], signal.SIGKILL)
        assert cli.wait(timeout=DEADLINE_S) != 0  # the run was cut short
        # No plugin (the program, the provider) outlives the run by more than 10 s.
        wait_for(lambda: not [p for p in plugins if alive(p)], "the plugins to exit", 10.0)
    finally:
        if cli.poll() is None:
            os.killpg(cli.pid, signal.SIGKILL)
            cli.wait()
    emulator.admin.clear_faults()
    assert up_until_converged(stack, tmp_path, project) == 1
    assert_converged(stack, emulator.url, 6)


def command_name(pid: int) -> str:
    try:
        argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
    except OSError:
        return ""
    return os.path.basename(argv0.decode(errors="replace"))
