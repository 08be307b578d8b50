"""Benchmark: per fault, how many `up` runs and how much wall time it takes to converge (org = state =
definitions, 0 orphans, 0 duplicates) after it, through the real engine and a loopback emulator.

    .venv/bin/python bench/resilience.py [--flows 12] [--max-runs 5]

Faults: kill -9 of the CLI, and of the dynamic provider, after a third of the creates started; every
create's answer and look-ups lost (ambiguous creates); 50% of the answers of every method lost (kept
on for every run). Each run is what `make deploy` does: the backend repair, then `pulumi up`. The wall
time counts from the faulted run's start to the converged state.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pulumi import automation as auto  # noqa: E402

from emulator.testing import EmulatorProcess  # noqa: E402
from provider.deploy.sdk_patches import backend_repair  # noqa: E402
from provider.ops.engine import tools_bin  # noqa: E402
from tests.support.engine import Org, engine_env, flow_ids, make_project, open_stack  # noqa: E402


def definitions(n: int) -> dict[str, Any]:
    block = [{"id": "b", "type": "playAudio"}]
    return {
        f"f{i}": {"name": f"Flow {i}", "type": "INBOUNDCALL", "lifecycle_state": "published", "blocks": block}
        for i in range(n)
    }


def intents(root: Path) -> list[dict[str, Any]]:
    path = root / "audit" / "audit.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    return [e for e in map(json.loads, filter(None, lines)) if e.get("event") == "intent"]


def converged(stack: auto.Stack, url: str, n: int) -> bool:
    state = flow_ids(stack.outputs())
    live = Org(url).live_flows()
    names = {f["name"].casefold() for f in live}
    return len(names) == len(live) == len(state) == n and {f["id"] for f in live} == set(state.values())


def killed_run(victim: str, root: Path, project: Path, n: int) -> None:
    cli = subprocess.Popen(
        [str(tools_bin() / "pulumi"), "up", "--yes", "--skip-preview", "--stack", "dev"],
        cwd=project,
        env=engine_env(root),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    end = time.monotonic() + 120
    while time.monotonic() < end and len(intents(root)) < max(1, n // 3):
        time.sleep(0.05)
    found = intents(root)
    pid = int(found[0]["pid"]) if victim == "provider" and found else cli.pid
    os.kill(pid, signal.SIGKILL)
    try:
        cli.wait(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(cli.pid, signal.SIGKILL)
        cli.wait()


def one_up(stack: auto.Stack, root: Path) -> bool:
    backend_repair.repair("dev", root / "backend" / ".pulumi")
    try:
        stack.up(on_output=lambda _: None)
        return True
    except auto.CommandError:
        return False


def measure(
    name: str,
    emulator: EmulatorProcess,
    n: int,
    max_runs: int,
    fault: Callable[[auto.Stack, Path, Path], bool],
    keep_faults: dict[str, Any] | None = None,
) -> tuple[str, int | None, float]:
    emulator.admin.reset()
    with tempfile.TemporaryDirectory(prefix="bench-res-") as tmp:
        root = Path(tmp)
        project = make_project(root, definitions(n))
        stack = open_stack(project, root, emulator.url)
        start = time.monotonic()
        done = fault(stack, root, project)  # the faulted run
        runs = 1
        if keep_faults:
            emulator.admin.set_faults(**keep_faults)
        while not done and runs < max_runs:
            runs += 1
            done = one_up(stack, root)
        emulator.admin.clear_faults()
        ok = converged(stack, emulator.url, n)
        return name, runs if ok else None, time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flows", type=int, default=12)
    parser.add_argument("--max-runs", type=int, default=5)
    args = parser.parse_args()
    n, max_runs = args.flows, args.max_runs
    rows = []
    with EmulatorProcess(Path(tempfile.mkdtemp(prefix="bench-res-emu-")) / "arch.db") as emulator:

        def kill(victim: str) -> Callable[[auto.Stack, Path, Path], bool]:
            def run(stack: auto.Stack, root: Path, project: Path) -> bool:
                emulator.admin.set_faults(latency_ms=[200, 400], methods=["POST"])
                killed_run(victim, root, project, n)
                emulator.admin.clear_faults()
                return False

            return run

        def ambiguous(stack: auto.Stack, root: Path, project: Path) -> bool:
            emulator.admin.set_faults(drop_rate=1.0, drop_mode="after", methods=["POST", "GET"])
            done = one_up(stack, root)
            emulator.admin.clear_faults()
            return done

        half = {"drop_rate": 0.5, "drop_mode": "after", "seed": 7}

        def dropped(stack: auto.Stack, root: Path, project: Path) -> bool:
            emulator.admin.set_faults(**half)
            return one_up(stack, root)

        rows.append(measure("kill -9 of the CLI", emulator, n, max_runs, kill("cli")))
        rows.append(measure("kill -9 of the provider", emulator, n, max_runs, kill("provider")))
        rows.append(measure("ambiguous creates, look-ups lost", emulator, n, max_runs, ambiguous))
        rows.append(measure("50% answers lost, every method", emulator, n, max_runs, dropped, half))
    print(f"\n{n} flows; runs = `up` runs including the faulted one; time = faulted run start → converged")
    print(f"{'fault':<36} {'runs':>5} {'wall s':>8}")
    for name, runs, wall in rows:
        print(f"{name:<36} {runs if runs is not None else 'FAIL':>5} {wall:>8.1f}")


if __name__ == "__main__":
    main()
