"""Benchmark: wall time of `pulumi up` creating a layered DAG of flows (default 200) against the
emulator, next to the same program with a provider that makes no API calls (bench/null_provider.py),
as a ratio; and the API calls made against the minimum (one POST per flow plus one token).

    .venv/bin/python bench/pulumi_up.py [--flows 200] [--layers 10] [--platform genesys-cloud]

`--platform genesys-cloud` deploys Archy flows (common modules calling the layer below) on the gc-dev
stack through the real-platform routes, and prints the calls per flow against the minimum (register a
job, upload, one status poll) and the wall time against the rate-limit floor (calls / limit).

Both runs use the real engine through the Automation API, a local file backend and PULUMI_HOME in
a temp dir, and the project's own program (copied; the baseline swaps only the resource class).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pulumi import automation as auto  # noqa: E402

from bench import job_time  # noqa: E402
from emulator.testing import EmulatorProcess  # noqa: E402
from provider.ops.engine import PROJECT_DIR, offline_env, pulumi_command  # noqa: E402

REAL_RUN = "run(_here)\n"
NULL_RUN = "from bench.null_provider import NullFlow\n\nrun(_here, resource=NullFlow)\n"


def layered_dag(count: int, layers: int) -> dict[str, dict[str, Any]]:
    """`count` flows in `layers` layers; each flow uses two flows of the layer below."""
    width = max(1, count // layers)
    flows: dict[str, dict[str, Any]] = {}
    for index in range(count):
        layer, slot = divmod(index, width)
        key = f"flow-{layer:02d}-{slot:03d}"
        refs: list[str] = []
        if layer > 0:
            below = [f"flow-{layer - 1:02d}-{s:03d}" for s in (slot % width, (slot + 1) % width)]
            refs = sorted(set(below))
        blocks = [{"id": "start", "type": "playAudio"}]
        blocks += [
            {"id": f"call-{i}", "type": "callCommonModule", "reference": r} for i, r in enumerate(refs)
        ]
        flows[key] = {
            "name": f"Bench Flow {layer:02d}-{slot:03d}",
            "description": "benchmark flow for {{env_label}}",
            "type": "COMMONMODULE",
            "lifecycle_state": "published",
            "references": refs,
            "blocks": blocks,
        }
    return flows


def archy_dag(count: int, layers: int) -> dict[str, dict[str, Any]]:
    """The same DAG as Archy definitions: `{"definition": ..., "archy": text}` per key."""
    out: dict[str, dict[str, Any]] = {}
    for key, flow in layered_dag(count, layers).items():
        names = [f"Bench Flow {r.removeprefix('flow-')} {{{{env_label}}}}" for r in flow["references"]]
        calls = "".join(
            f"          - callCommonModule:\n              name: Call\n              commonModule:\n"
            f"                {name}:\n                  ver_latestPublished: {{inputs: {{}}}}\n"
            for name in names
        )
        text = (
            f"commonModule:\n  name: {flow['name']} {{{{env_label}}}}\n  description: benchmark flow\n"
            f"  states:\n    - state:\n        name: Start\n        actions:\n{calls}"
            "          - endState:\n              name: Done\n"
        )
        out[key] = {
            "definition": {"archy": f"{key}.archy.yaml", "lifecycle_state": "published"},
            "archy": text,
        }
    return out


def make_project(root: Path, flows: dict[str, dict[str, Any]], *, null: bool) -> Path:
    project = root / "project"
    project.mkdir(parents=True)
    text = (PROJECT_DIR / "Pulumi.yaml").read_text()
    (project / "Pulumi.yaml").write_text(text.replace("virtualenv: .venv", f"virtualenv: {sys.prefix}"))
    program = (PROJECT_DIR / "__main__.py").read_text()
    assert REAL_RUN in program
    if null:
        program = program.replace(REAL_RUN, NULL_RUN)
    (project / "__main__.py").write_text(program)
    shutil.copytree(PROJECT_DIR / "stacks", project / "stacks")
    folder = project / "flows" / "genesys-cloud"
    folder.mkdir(parents=True)
    for key, definition in flows.items():
        if "archy" in definition:  # genesys-cloud (the gc-dev stack reads flows/genesys-cloud)
            (folder / f"{key}.archy.yaml").write_text(definition["archy"])
            definition = definition["definition"]
            target = folder
        else:
            target = project / "flows"
        (target / f"{key}.yaml").write_text(yaml.safe_dump(definition, sort_keys=False))
    return project


def timed_up(
    root: Path,
    flows: dict[str, dict[str, Any]],
    api_url: str,
    *,
    null: bool,
    stack_name: str = "dev",
    parallel: int | None = None,
) -> float:
    project = make_project(root, flows, null=null)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "GENESYSCLOUD_"))}
    env = offline_env(backend_dir=root / "backend", pulumi_home=root / "home", base=base)
    stack = auto.create_or_select_stack(
        stack_name=stack_name,
        work_dir=str(project),
        opts=auto.LocalWorkspaceOptions(
            pulumi_command=pulumi_command(), pulumi_home=env["PULUMI_HOME"], env_vars=env
        ),
    )
    stack.set_config("genesys-flows:apiUrl", auto.ConfigValue(api_url))
    stack.set_config("genesys-flows:metricsDir", auto.ConfigValue(str(root / "metrics")))
    stack.set_config("genesys-flows:auditLog", auto.ConfigValue(str(root / "audit.jsonl")))
    started = time.perf_counter()
    result = stack.up(parallel=parallel) if parallel else stack.up()
    elapsed = time.perf_counter() - started
    created = (result.summary.resource_changes or {}).get("create", 0)
    if result.summary.result != "succeeded" or created != len(flows) + 1:
        raise SystemExit(f"up did not create every flow: {result.summary.resource_changes}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=200)
    parser.add_argument("--layers", type=int, default=10)
    platforms = ("architecture-api", "genesys-cloud")
    parser.add_argument("--platform", choices=platforms, default="architecture-api")
    parser.add_argument("--parallel", type=int, default=None, help="pulumi up --parallel (default: Pulumi's)")
    job_time.add_argument(parser)
    args = parser.parse_args()
    gc = args.platform == "genesys-cloud"
    flows = archy_dag(args.flows, args.layers) if gc else layered_dag(args.flows, args.layers)
    stack_name = "gc-dev" if gc else "dev"
    with tempfile.TemporaryDirectory(prefix="bench-pulumi-up-") as tmp:
        root = Path(tmp)
        with EmulatorProcess(root / "emulator" / "arch.db") as emulator:
            if gc:
                job_time.apply(emulator, args.job_seconds)
            url, par = emulator.url, args.parallel
            baseline = timed_up(root / "null", flows, url, null=True, stack_name=stack_name, parallel=par)
            before = emulator.admin.stats()
            real = timed_up(root / "real", flows, url, null=False, stack_name=stack_name, parallel=par)
            after = emulator.admin.stats()
            limit = emulator.admin.stats().get("rate_limit") if gc else None
    calls = after["total_requests"] - before["total_requests"]
    writes = after["writes"] - before["writes"]
    limited = after["rate_limited"] - before["rate_limited"]
    if gc:
        api = _api_calls(after) - _api_calls(before)
        _report_gc(len(flows), args.layers, real, baseline, calls, api, writes, limited, limit)
        print(
            f"  job time: {job_time.describe(args.job_seconds)}; "
            f"parallel: {args.parallel or 'Pulumi default'}"
        )
        _report_cx(len(flows), args.layers, args.job_seconds, real)
        return
    minimum = len(flows) + 1  # one POST per flow, one token
    print(f"pulumi up, {len(flows)} flows in {args.layers} layers (real engine, local backend)")
    print(f"  against the emulator:        {real:7.2f} s")
    print(f"  provider without API calls:  {baseline:7.2f} s")
    print(f"  ratio:                       {real / baseline:7.2f}x")
    print(
        f"  API calls: {calls} (minimum {minimum}: {len(flows)} POST + 1 token), "
        f"writes {writes}, 429s {limited}"
    )


#: The emulator's default rate limit (emulator/default_config.yaml), per client.
DEFAULT_LIMIT, DEFAULT_WINDOW_S = 300, 60
#: The fewest rate-limited calls an Archy create can make: register the job, one status poll (the
#: presigned upload carries no token); + the consumed flows of a flow whose content names others,
#: + the run's listing (one page per 500 flows of the type).
MIN_CALLS_PER_FLOW = 2
CX_POLL_S, CX_PARALLELISM = 15.0, 10


def _api_calls(stats: dict[str, Any]) -> int:
    """Requests to the rate-limited API (`/api/...`): presigned uploads, downloads and tokens are not."""
    return sum(r["count"] for r in stats["requests"] if str(r["path"]).startswith("/api/"))


def _report_gc(
    count: int,
    layers: int,
    real: float,
    baseline: float,
    calls: int,
    api: int,
    writes: int,
    limited: int,
    limit: Any,
) -> None:
    per_window, window = DEFAULT_LIMIT, DEFAULT_WINDOW_S
    if isinstance(limit, dict):
        per_window, window = int(limit.get("limit", per_window)), int(limit.get("window_seconds", window))
    floor = max(0, (api - 1) // per_window) * window  # the windows to wait before the last call
    with_refs = count - max(1, count // layers)  # every layer but the first names flows below it
    minimum = (MIN_CALLS_PER_FLOW * count + with_refs + math.ceil(count / 500)) / count
    print(f"pulumi up, {count} Archy flows in {layers} layers on genesys-cloud (real engine, local backend)")
    print(f"  against the emulator:        {real:7.2f} s")
    print(f"  provider without API calls:  {baseline:7.2f} s")
    print(f"  ratio:                       {real / baseline:7.2f}x")
    print(
        f"  rate-limited API calls: {api} = {api / count:.2f} per flow (minimum {minimum:.2f}: register, one "
        f"job status, the consumed flows where the content names flows, the listing's share); all requests "
        f"{calls} (+ uploads, downloads, tokens); writes {writes}, 429s {limited}"
    )
    print(
        f"  rate-limit floor for the {api} /api calls at {per_window}/{window}s: {floor:7.2f} s "
        f"(wall time {real / floor if floor else 0:.2f}x the floor)"
    )


def _report_cx(count: int, layers: int, bounds: tuple[float, float], real: float) -> None:
    """CX-as-Code's fixed 15 s polling simulated on the same DAG: a layer after the one below, 10
    flows at a time (Terraform's default), each job polled after its upload then every 15 s."""
    rng = random.Random(22)
    width = max(1, count // layers)
    total = 0.0
    for start in range(0, count, width):
        layer = [rng.uniform(*bounds) for _ in range(min(width, count - start))]
        for wave in range(0, len(layer), CX_PARALLELISM):
            total += max(
                CX_POLL_S * max(1, math.ceil(d / CX_POLL_S)) for d in layer[wave : wave + CX_PARALLELISM]
            )
    print(
        f"  CX-as-Code's 15 s polling, simulated on the same DAG and job times: {total:.1f} s "
        f"(ratio to ours {total / real:.2f}x)"
    )


if __name__ == "__main__":
    main()
