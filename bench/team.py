"""Benchmark: `pulumi up` creating N flows (default 200) with the state on the local file backend vs
in a bucket of the real SeaweedFS server (team mode: the journal and the audit trail in the bucket
too), each with per-step checkpoints and with one state write at the end of the run, side by side.

    .venv/bin/python bench/team.py [--flows 200] [--modes step,end] [--backends file,s3]

Per-step checkpoints upload the whole state after every step (O(N²) bytes for a create of N flows);
end-of-run writes it once, which is crash-safe here only because every write's intent is stored
first where the state is (provider/governance/intents.py; tests/team/test_team_recovery.py).
Each run: the real engine through the Automation API, the project's program (copied), a fresh
stack, the emulator (one process) and ONE SeaweedFS server (built by scripts/install-seaweedfs).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pulumi import automation as auto  # noqa: E402

from bench.pulumi_up import layered_dag, make_project  # noqa: E402
from emulator.testing import EmulatorProcess  # noqa: E402
from provider.ops.engine import offline_env, pulumi_command  # noqa: E402
from provider.ops.s3_server import S3Server, backend_url  # noqa: E402


def timed_up(root: Path, flows: dict, api_url: str, mode: str, s3: S3Server | None) -> tuple[float, int]:
    """Wall time of the up, and the number of trail objects (s3) or audit lines (file) it wrote."""
    project = make_project(root, flows, null=False)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "GENESYSCLOUD_", "GENESYS_"))}
    base["GENESYS_FLOWS_CHECKPOINTS"] = mode
    bucket = None
    if s3 is not None:
        bucket = f"bench-{uuid.uuid4().hex[:10]}"
        s3.client().create_bucket(Bucket=bucket)
        base.update(s3.env())
        base["PULUMI_BACKEND_URL"] = backend_url(bucket, s3.port)
    else:
        base["GENESYS_FLOWS_AUDIT_LOG"] = str(root / "audit.jsonl")
    base["GENESYS_FLOWS_METRICS_DIR"] = str(root / "metrics")
    env = offline_env(backend_dir=root / "backend", pulumi_home=root / "home", base=base)
    stack = auto.create_or_select_stack(
        stack_name="dev",
        work_dir=str(project),
        opts=auto.LocalWorkspaceOptions(
            pulumi_command=pulumi_command(), pulumi_home=env["PULUMI_HOME"], env_vars=env
        ),
    )
    stack.set_config("genesys-flows:apiUrl", auto.ConfigValue(api_url))
    started = time.perf_counter()
    result = stack.up()
    elapsed = time.perf_counter() - started
    created = (result.summary.resource_changes or {}).get("create", 0)
    if result.summary.result != "succeeded" or created != len(flows) + 1:
        raise SystemExit(f"up did not create every flow: {result.summary.resource_changes}")
    if s3 is not None and bucket is not None:
        client = s3.client()
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=".genesys-flows/")
        entries = sum(len(p.get("Contents") or []) for p in pages)
    else:
        entries = len((root / "audit.jsonl").read_text().splitlines())
    return elapsed, entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=200)
    parser.add_argument("--layers", type=int, default=10)
    parser.add_argument("--modes", default="step,end")
    parser.add_argument("--backends", default="file,s3")
    args = parser.parse_args()
    flows = layered_dag(args.flows, args.layers)
    modes = args.modes.split(",")
    backends = args.backends.split(",")
    results: dict[tuple[str, str], tuple[float, int]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-team-") as tmp:
        root = Path(tmp)
        with EmulatorProcess(root / "emulator" / "arch.db") as emulator, S3Server(root / "s3") as s3:
            for backend in backends:
                for mode in modes:
                    emulator.admin.reset()
                    run_root = root / f"{backend}-{mode}"
                    results[(backend, mode)] = timed_up(
                        run_root, flows, emulator.url, mode, s3 if backend == "s3" else None
                    )
                    print(f"  {backend:4} {mode:4}: {results[(backend, mode)][0]:7.2f} s", flush=True)
    print(f"\npulumi up, {len(flows)} flows (real engine, emulator, SeaweedFS on loopback)")
    print(f"  {'backend':8} {'per-step':>10} {'end-of-run':>11} {'step/end':>9} {'trail entries':>14}")
    for backend in backends:
        step = results.get((backend, "step"), (float("nan"), 0))[0]
        end = results.get((backend, "end"), (float("nan"), 0))
        print(f"  {backend:8} {step:9.2f}s {end[0]:10.2f}s {step / end[0]:8.2f}x {end[1]:14d}")
    if ("file", "end") in results and ("s3", "end") in results:
        print(f"  s3/file, end-of-run: {results[('s3', 'end')][0] / results[('file', 'end')][0]:.2f}x")
    if ("file", "step") in results and ("s3", "step") in results:
        print(f"  s3/file, per-step:   {results[('s3', 'step')][0] / results[('file', 'step')][0]:.2f}x")


if __name__ == "__main__":
    main()
