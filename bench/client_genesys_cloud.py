"""Benchmark: the genesys-cloud platform creating, then updating, N Archy flows against a real
emulator process (started here, on a temporary database) at the platform's rate limit (300
requests/minute per token; the emulator's limit set to match), with Archy jobs that take the time
`--job-seconds` says (emulator/README.md "Job duration": 0.2 s, the calls alone, and uniform 2–6 s).

Prints one table, a row per operation × flow count × job time:
- API calls per flow (counted by the recorder; presigned uploads carry no token and are not
  rate limited, so they are not counted) against the minimum: a create is register + one job
  status + its share of the run's one listing; an update is the version-pointer check + register +
  one job status;
- wall time against the rate-limit floor (the windows the calls need: ⌊(calls − 1) / limit⌋ × window);
- CX-as-Code's fixed 15 s polling simulated on the same job durations (the same seeded draws) and
  the same parallelism: a job is polled right after its upload, then every 15 s, so it costs
  ⌈d / 15⌉ × 15 s (at least one sleep) plus the request latency measured here; flows run in waves
  of `--workers`; never faster than the rate-limit floor of its own calls (register, the polls,
  a read). The ratio is its time over ours.

    .venv/bin/python bench/client_genesys_cloud.py [--flows 100 1000] [--job-seconds 0.2 2:6]
        [--limit 300] [--window 60] [--workers 25] [--ops create update] [--drift 300]
        [--export-seconds 2] [--per-operation]

`--drift N` adds a row: `archctl drift`'s read of N flows (the listing, then export jobs of 100 flows,
4 at a time) with export jobs of `--export-seconds`, against one export at a time as before.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import job_time
from emulator.testing import DEMO_CLIENTS, EmulatorProcess
from provider.domain.document import FlowDocument
from provider.domain.fields import FlowType, LifecycleState
from provider.platforms.base import LiveFlow
from provider.platforms.genesys_cloud import GenesysCloudPlatform
from provider.platforms.genesys_cloud import org as gc_org
from provider.platforms.http.recorder import ListRecorder
from provider.platforms.http.settings import ConnectionSettings

CX_POLL_S = 15.0
UPLOAD = "PUT {presignedUrl}"
TOKEN = "/oauth/token"
DOWNLOAD = "GET {downloadUrl}"
SEED = 22


def document(i: int, run: str, note: str = "benchmark flow") -> FlowDocument:
    name = f"Bench {run} {i:04d}"
    body: dict[str, Any] = {"name": name, "description": note, "startUpRef": "./tasks/task[Main]"}
    body["tasks"] = [{"task": {"name": "Main", "actions": [{"disconnect": {"name": "Bye"}}]}}]
    return FlowDocument(
        key=f"bench-{run}-{i}",
        name=name,
        type=FlowType.INBOUNDCALL,
        lifecycle_state=LifecycleState.PUBLISHED,
        archy=yaml.safe_dump({"inboundCall": body}, sort_keys=False),
    )


def platform_for(emu: EmulatorProcess) -> tuple[GenesysCloudPlatform, ListRecorder]:
    """A new platform object: what one provider process (one `pulumi up`) has."""
    settings = ConnectionSettings.resolve(
        api_url=emu.url, client_id="dev-rw", client_secret=DEMO_CLIENTS["dev-rw"], env={}
    )
    recorder = ListRecorder()
    platform = GenesysCloudPlatform(settings, recorder=recorder)
    platform.read("warm-up")  # the token request is no operation's
    return platform, recorder


@dataclass
class Measured:
    wall: float
    calls: Counter[str]
    latency: float  # request latency per flow (seconds)
    flows: list[LiveFlow]


def run_op(
    emu: EmulatorProcess, op: str, count: int, workers: int, created: list[LiveFlow] | None = None
) -> Measured:
    """Create `count` flows, or update the `created` ones with new content, `workers` at a time."""
    platform, recorder = platform_for(emu)
    before = len(recorder.requests)

    def one(i: int) -> LiveFlow:
        if op == "create":
            return platform.create(document(i, "ours"), {})
        assert created is not None
        base = created[i]
        doc = document(i, "ours", note="benchmark flow, version 2")
        return platform.update(base.id, doc, {}, base=base, policy="fail")

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        flows = list(pool.map(one, range(count)))
    wall = time.monotonic() - started
    failed = [m for m in recorder.mutations if m.outcome != "success"]
    if failed:
        raise SystemExit(f"{len(failed)} {op}s failed: {failed[:3]}")
    events = recorder.requests[before:]
    calls = Counter(r.path_template for r in events if r.status is not None and r.status < 400)
    return Measured(wall, calls, sum(r.latency_s for r in events) / count, flows)


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
    platform.listing.named("warm-up", "INBOUNDCALL")  # the run's listing: shared, not this create's
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
    print("  (+ the run's listing of the type before the first create, shared by all of them;")
    print("   +1 GET before every update: the version-pointer check that prevents lost updates;")
    print("   +1 dependency-tracking call per version only when the content names other flows)")
    print()


def window_floor(calls: int, limit: int, window: float) -> float:
    """The least wall time `calls` requests need under a fixed-window limit: the windows that must
    pass before the last request may be sent."""
    return max(0, (calls - 1) // limit) * window


def cx_simulated(
    count: int, bounds: tuple[float, float], workers: int, latency: float, limit: int, window: int
) -> float:
    """CX-as-Code's fixed 15 s polling on the same seeded job durations (see the module docstring)."""
    rng = random.Random(SEED)
    durations = [rng.uniform(*bounds) for _ in range(count)]
    per_flow = [CX_POLL_S * max(1, math.ceil(d / CX_POLL_S)) + latency for d in durations]
    waves = [max(per_flow[i : i + workers]) for i in range(0, count, workers)]
    polls = sum(max(1, math.ceil(d / CX_POLL_S)) + 1 for d in durations)
    own_calls = 2 * count + polls  # register, the polls, a read of the flow
    return max(sum(waves), window_floor(own_calls, limit, window))


HEAD = (
    f"{'op':6s} {'flows':>5s} {'job time':>9s} {'calls/flow':>10s} {'minimum':>7s} {'polls/job':>9s} "
    f"{'wall s':>7s} {'floor s':>7s} {'÷floor':>6s} {'CX 15s':>7s} {'CX÷ours':>7s}"
)


def row(op: str, count: int, bounds: tuple[float, float], m: Measured, args: argparse.Namespace) -> str:
    api = sum(n for t, n in m.calls.items() if t not in (TOKEN, UPLOAD))
    polls = m.calls["/api/v2/flows/jobs/{jobId}"] / count
    minimum = 2 + 1 / count if op == "create" else 3.0
    floor = window_floor(api, args.limit, args.window)
    cx = cx_simulated(count, bounds, args.workers, m.latency, args.limit, args.window)
    job = f"{bounds[0]:g}" if bounds[0] == bounds[1] else f"{bounds[0]:g}–{bounds[1]:g}"
    ratio = f"{m.wall / floor:6.2f}" if floor else f"{'–':>6s}"
    return (
        f"{op:6s} {count:5d} {job + ' s':>9s} {api / count:10.2f} {minimum:7.2f} {polls:9.2f} "
        f"{m.wall:7.1f} {floor:7.1f} {ratio} {cx:7.1f} {cx / m.wall:7.2f}"
    )


def drift(emu: EmulatorProcess, count: int, args: argparse.Namespace) -> str:
    """`archctl drift`'s reading of the org (`org.read_flows`: the listing, then export jobs of up
    to 100 flows, 4 at a time) for `count` flows, with export jobs of `--export-seconds`. The flows
    are created first with no rate limit (setup, not measured)."""
    emu.admin.reset()
    job_time.apply(emu, (0.0, 0.0), seed=SEED)
    emu.admin.set_rate_limit(1_000_000, window_seconds=args.window)
    run_op(emu, "create", count, args.workers)
    emu.admin.gc_set_job_duration(0.0, 0.0, seed=SEED, export=args.export_seconds)
    emu.admin.set_rate_limit(args.limit, window_seconds=args.window)
    platform, recorder = platform_for(emu)
    before = len(recorder.requests)
    started = time.monotonic()
    read = gc_org.read_flows(platform)
    wall = time.monotonic() - started
    failed = [f for f in read if f.archy is None]
    if failed or len(read) != count:
        raise SystemExit(f"drift read {len(read)} flows, {len(failed)} without content: {failed[:2]}")
    events = recorder.requests[before:]
    api = sum(
        1
        for r in events
        if r.status is not None and r.status < 400 and r.path_template not in (TOKEN, DOWNLOAD)
    )
    polls = sum(1 for r in events if r.path_template == "/api/v2/flows/export/jobs/{jobId}")
    jobs = math.ceil(count / gc_org.EXPORT_BATCH)
    minimum = (math.ceil(count / 500) + 2 * jobs) / count  # listing pages + register and one status per job
    floor = window_floor(api, args.limit, args.window)
    one_by_one = count * (args.export_seconds + 3 * sum(r.latency_s for r in events) / max(1, len(events)))
    job = f"exp {args.export_seconds:g} s"
    ratio = f"{wall / floor:6.2f}" if floor else f"{'–':>6s}"
    return (
        f"{'drift':6s} {count:5d} {job:>9s} {api / count:10.2f} {minimum:7.2f} {polls / jobs:9.2f} "
        f"{wall:7.1f} {floor:7.1f} {ratio} {one_by_one:7.1f} {one_by_one / wall:7.2f}"
        "  (CX columns: one export at a time, as before)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--flows", type=int, nargs="*", default=[100])
    parser.add_argument(
        "--job-seconds",
        type=job_time.parse,
        nargs="+",
        default=[job_time.parse("0.2"), job_time.parse("2:6")],
        help="Archy job durations to run: SECONDS or LOW:HIGH (uniform), several allowed",
    )
    parser.add_argument("--limit", type=int, default=300, help="requests per window (per token)")
    parser.add_argument("--window", type=int, default=60, help="rate-limit window in seconds")
    parser.add_argument("--workers", type=int, default=25, help="flows in flight (ours and CX-as-Code's)")
    parser.add_argument("--ops", nargs="+", choices=("create", "update"), default=["create", "update"])
    parser.add_argument("--per-operation", action="store_true", help="also print the calls of each operation")
    parser.add_argument(
        "--drift", type=int, nargs="*", default=[], help="also read N flows as archctl drift does"
    )
    parser.add_argument(
        "--export-seconds", type=float, default=2.0, help="each export job's duration (drift)"
    )
    args = parser.parse_args()

    rows: list[str] = []
    with tempfile.TemporaryDirectory() as tmp, EmulatorProcess(Path(tmp) / "bench.db") as emu:
        if args.per_operation:
            calls_per_operation(emu)
        for count in args.flows:
            for bounds in args.job_seconds:
                emu.admin.reset()
                emu.admin.set_rate_limit(args.limit, window_seconds=args.window)
                job_time.apply(emu, bounds, seed=SEED)
                created = run_op(emu, "create", count, args.workers)
                if "create" in args.ops:
                    rows.append(row("create", count, bounds, created, args))
                    print(rows[-1] if len(rows) > 1 else HEAD + "\n" + rows[-1], flush=True)
                if "update" in args.ops:
                    emu.admin.set_rate_limit(args.limit, window_seconds=args.window)  # a later run
                    updated = run_op(emu, "update", count, args.workers, created.flows)
                    rows.append(row("update", count, bounds, updated, args))
                    print(rows[-1] if len(rows) > 1 else HEAD + "\n" + rows[-1], flush=True)
        for count in args.drift:
            rows.append(drift(emu, count, args))
            print(rows[-1] if len(rows) > 1 else HEAD + "\n" + rows[-1], flush=True)
    print()
    print(
        f"genesys-cloud platform, limit {args.limit}/{args.window}s per token, {args.workers} flows in "
        f"flight; job durations seeded ({SEED}), drawn when each upload lands"
    )
    print(HEAD)
    print("\n".join(rows))
    print("minimum: create = register + 1 job status + the run's listing shared (1 page); update = the")
    print("version-pointer check + register + 1 job status. Uploads (no token, not rate limited) excluded.")


if __name__ == "__main__":
    main()
