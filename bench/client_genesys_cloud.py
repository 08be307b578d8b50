"""Benchmark: the genesys-cloud platform deploying N Archy flows against a real emulator process
(started here, on a temporary database) at the platform's default rate limit (300 requests/minute
per token; the emulator's limit set to match).

Prints:
1. API calls per flow (counted by the recorder, checked against the emulator's own count), against
   the minimum the contract allows for a job deploy (register + ≥1 job status = 2 API calls, plus the
   presigned upload, which carries no token and is not rate limited) and against the minimum with
   this project's guarantees (+ the lookup that prevents adopting an existing flow, + the read of the
   version pointers that prevents lost updates = 4), plus the one dependency-tracking call that
   returns the consumed flows;
2. wall time against the rate-limit floor (API calls ÷ the limit);
3. the same deploys as CX-as-Code does them (a fixed 15 s sleep between job polls, Terraform's
   default parallelism 10) as a ratio. By default that run is *simulated*: every CX-as-Code job costs
   15 s per poll that finds it unfinished (its first poll comes right after the upload; the emulator
   finishes a job after its async delay, 0.2 s, so exactly one 15 s sleep per job), flows run 10 at a
   time, and the rate-limit floor of its own calls still applies. `--cx-real` runs it for real
   (the platform with a 15 s fixed poll interval; N/10 × 15 s at least).

    .venv/bin/python bench/client_genesys_cloud.py [--flows 100] [--limit 300] [--window 60]
        [--workers 10] [--cx-real]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import job_time
from emulator.testing import DEMO_CLIENTS, EmulatorProcess
from provider.domain.document import FlowDocument
from provider.domain.models import FlowType, LifecycleState
from provider.platforms.genesys_cloud import GenesysCloudPlatform
from provider.platforms.http.recorder import ListRecorder
from provider.platforms.http.settings import ConnectionSettings

CX_POLL_S = 15.0
CX_PARALLELISM = 10
UPLOAD = "PUT {presignedUrl}"
TOKEN = "/oauth/token"


def document(i: int, run: str) -> FlowDocument:
    name = f"Bench {run} {i:04d}"
    body: dict[str, Any] = {"name": name, "description": "benchmark flow", "startUpRef": "./tasks/task[Main]"}
    body["tasks"] = [{"task": {"name": "Main", "actions": [{"disconnect": {"name": "Bye"}}]}}]
    return FlowDocument(
        key=f"bench-{run}-{i}",
        name=name,
        type=FlowType.INBOUNDCALL,
        lifecycle_state=LifecycleState.PUBLISHED,
        archy=yaml.safe_dump({"inboundCall": body}, sort_keys=False),
    )


def deploy(
    emu: EmulatorProcess, flows: int, workers: int, run: str, **kwargs: Any
) -> tuple[float, Counter[str], float]:
    """Create `flows` flows: (wall time, successful calls by path template, request latency per flow)."""
    settings = ConnectionSettings.resolve(
        api_url=emu.url, client_id="dev-rw", client_secret=DEMO_CLIENTS["dev-rw"], env={}
    )
    recorder = ListRecorder()
    platform = GenesysCloudPlatform(settings, recorder=recorder, **kwargs)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda i: platform.create(document(i, run), {}), range(flows)))
    wall = time.monotonic() - started
    failed = [m for m in recorder.mutations if m.outcome != "success"]
    if failed:
        raise SystemExit(f"{len(failed)} deploys failed: {failed[:3]}")
    calls = Counter(r.path_template for r in recorder.requests if r.status is not None and r.status < 400)
    latency = sum(r.latency_s for r in recorder.requests) / flows
    return wall, calls, latency


def document_named(name: str, note: str = "", state: str = "published") -> FlowDocument:
    body: dict[str, Any] = {"name": name, "description": note or "benchmark flow"}
    body["tasks"] = [{"task": {"name": "Main", "actions": [{"disconnect": {"name": "Bye"}}]}}]
    return FlowDocument(
        key=name.lower().replace(" ", "-"),
        name=name,
        type=FlowType.INBOUNDCALL,
        lifecycle_state=LifecycleState(state),
        archy=yaml.safe_dump({"inboundCall": body}, sort_keys=False),
    )


def calls_per_operation(emu: EmulatorProcess) -> None:
    """API calls (and presigned uploads) of each operation, counted by the recorder."""
    emu.admin.reset()
    settings = ConnectionSettings.resolve(
        api_url=emu.url, client_id="dev-rw", client_secret=DEMO_CLIENTS["dev-rw"], env={}
    )
    recorder = ListRecorder()
    platform = GenesysCloudPlatform(settings, recorder=recorder)
    platform.read("warm-up")  # the token request is not an operation's
    minimum = {
        "create": "2 + upload (register, 1 job status)",
        "update, nothing changed": "0",
        "update, content": "2 + upload",
        "rename in place (+ its content job)": "3 (checkout, PUT, checkin) + 2 + upload",
        "published → draft": "1 (deactivate)",
        "delete": "1 (DELETE)",
    }

    def measure(label: str, fn: Any) -> Any:
        before = len(recorder.requests)
        result = fn()
        events = [r for r in recorder.requests[before:] if r.path_template != TOKEN]
        uploads = sum(1 for r in events if r.path_template == UPLOAD)
        print(
            f"  {label:38s} {len(events) - uploads} API call(s) + {uploads} upload(s); contract minimum "
            f"{minimum[label]}"
        )
        return result

    print("API calls per operation (emulator async delay 0.2 s: one job status poll)")
    base = measure("create", lambda: platform.create(document_named("Ops Flow"), {}))
    same = measure(
        "update, nothing changed",
        lambda: platform.update(base.id, document_named("Ops Flow"), {}, base=base, policy="fail"),
    )
    v2 = measure(
        "update, content",
        lambda: platform.update(base.id, document_named("Ops Flow", "v2"), {}, base=same, policy="fail"),
    )
    renamed = measure(
        "rename in place (+ its content job)",
        lambda: platform.update(base.id, document_named("Ops Flow 2", "v2"), {}, base=v2, policy="fail"),
    )
    measure(
        "published → draft",
        lambda: platform.update(
            base.id, document_named("Ops Flow 2", "v2", "draft"), {}, base=renamed, policy="fail"
        ),
    )
    measure("delete", lambda: platform.delete(base.id, name="Ops Flow 2"))
    print("  (+1 GET before every update: the version-pointer check that prevents lost updates;")
    print("   +1 GET after each write: the new pointers; +1 dependency-tracking call: the consumed flows)")
    print()


def window_floor(calls: int, limit: int, window: float) -> float:
    """The least wall time `calls` requests need under a fixed-window limit: the windows that must
    pass before the last request may be sent."""
    return max(0, (calls - 1) // limit) * window


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--flows", type=int, default=100)
    parser.add_argument("--limit", type=int, default=300, help="requests per window (per token)")
    parser.add_argument("--window", type=int, default=60, help="rate-limit window in seconds")
    parser.add_argument("--workers", type=int, default=CX_PARALLELISM)
    parser.add_argument("--cx-real", action="store_true", help="run the CX-as-Code polling for real")
    job_time.add_argument(parser)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, EmulatorProcess(Path(tmp) / "bench.db") as emu:
        calls_per_operation(emu)
        emu.admin.reset()
        emu.admin.set_rate_limit(args.limit, window_seconds=args.window)
        job_time.apply(emu, args.job_seconds)
        wall, calls, latency = deploy(emu, args.flows, args.workers, "ours")
        served = sum(
            r["count"]
            for r in emu.admin.stats()["requests"]
            if r["path"].startswith("/api/v2/") and r["status"] < 400
        )
        api = sum(n for t, n in calls.items() if t not in (TOKEN, UPLOAD))
        rate_limited = emu.admin.stats().get("rate_limited", 0)
        floor = window_floor(api, args.limit, args.window)
        print(
            f"genesys-cloud: {args.flows} Archy flows created, {args.workers} at a time, "
            f"limit {args.limit}/{args.window}s per token"
        )
        print(f"  job time: {job_time.describe(args.job_seconds)}")
        print(
            f"  API calls per flow: {api / args.flows:.2f} (emulator counted {served / args.flows:.2f}), "
            f"+ {calls[UPLOAD] / args.flows:.2f} presigned upload(s); 429s answered: {rate_limited}"
        )
        for template, n in sorted(calls.items()):
            if template != TOKEN:
                print(f"    {n / args.flows:5.2f}  {template}")
        print("  contract minimum for a job deploy: 2 API calls (register + one job status) + 1 upload;")
        print("  with the project's guarantees (exact-name lookup, version pointers read back): 4;")
        print("  + 1 dependency-tracking call returning the consumed flows (reference check)")
        print(
            f"  wall time {wall:.1f} s; rate-limit floor {floor:.1f} s ({api} calls in fixed windows of "
            f"{args.limit} per {args.window} s: ⌊({api} − 1) / {args.limit}⌋ full windows to wait)"
            + (f"; ratio {wall / floor:.2f}" if floor else "; under one window: no floor")
        )

        cx_api_per_flow = 4  # register, first poll (unfinished), poll after 15 s (done), read
        cx_floor = window_floor(cx_api_per_flow * args.flows, args.limit, args.window)
        if args.cx_real:
            emu.admin.reset()
            emu.admin.set_rate_limit(args.limit, window_seconds=args.window)
            job_time.apply(emu, args.job_seconds)
            cx_wall, _, _ = deploy(
                emu,
                args.flows,
                CX_PARALLELISM,
                "cx",
                poll_initial_s=CX_POLL_S,
                poll_max_s=CX_POLL_S,
                track_dependencies=False,
            )
            how = "measured (fixed 15 s polling, 10 at a time)"
        else:
            waves = math.ceil(args.flows / CX_PARALLELISM)
            cx_wall = max(waves * (CX_POLL_S + latency), cx_floor)
            how = (
                f"simulated: ⌈{args.flows}/{CX_PARALLELISM}⌉ = {waves} waves × (15 s sleep + "
                f"{latency:.2f} s of request latency per flow, measured above), at least its own floor "
                f"{cx_floor:.1f} s"
            )
        print(f"CX-as-Code polling: {cx_wall:.1f} s — {how}")
        print(f"  ratio CX-as-Code / ours: {cx_wall / wall:.1f}×")


if __name__ == "__main__":
    main()
