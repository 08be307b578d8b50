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
from provider.deploy import backend_repair
from provider.deploy.engine import tools_bin
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
from tests.support.engine import make_project, open_stack

pytestmark = [
    pytest.mark.engine,
    pytest.mark.slow,
    pytest.mark.skipif(not (tools_bin() / "pulumi").exists(), reason="the Pulumi CLI is not built"),
]

SEED = 1313
LANGUAGE_HOST = "pulumi-language-python"


def up_under_faults(stack: auto.Stack, root: Path, emulator: EmulatorProcess, runs: int = 3) -> int:
    """One `up` with the faults on; if it failed, clear them and run the operator's recovery. The
    number of `up` runs it took in all."""
    backend_repair.repair("dev", root / "backend" / ".pulumi")
    try:
        stack.up(on_output=lambda _: None)
        return 1
    except auto.CommandError:
        pass
    finally:
        emulator.admin.clear_faults()
    return 1 + up_until_converged(stack, root, Path(stack.workspace.work_dir), runs - 1)


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


def test_kill_9_of_the_language_host_mid_up_converges_on_the_next_up(
    tmp_path: Path, emulator: EmulatorProcess
) -> None:
    project = make_project(tmp_path, flows(6))
    stack = open_stack(project, tmp_path, emulator.url)
    # Slow creates, so the kill lands while some are in flight.
    emulator.admin.set_faults(latency_ms=[300, 600], methods=["POST"])
    cli = cli_up(project, tmp_path, emulator.url)
    try:
        wait_for(
            lambda: [e for e in audit_entries(tmp_path) if e.get("event") == "intent"][1:],
            "2 intents",
        )
        plugins = descendants(cli.pid)
        hosts = [p for p in plugins if command_name(p) == LANGUAGE_HOST]
        assert len(hosts) == 1, {p: command_name(p) for p in plugins}
        os.kill(hosts[0], signal.SIGKILL)
        cli.wait(timeout=DEADLINE_S)
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
