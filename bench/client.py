"""Benchmark: the API client against a real emulator process (started here, on a temporary database).

1. API calls per operation, counted by the emulator: create, read, update, update after a version
   conflict (merge), delete, and a create whose answer is lost (drop after commit).
2. Wall time of N updates from several threads under a low rate limit, against the theoretical
   minimum N / limit (windows), as a ratio; with the client's pacing and without it (429s + Retry-After).

    .venv/bin/python bench/client.py [--updates 120] [--limit 30] [--window 2] [--threads 8]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from emulator.testing import DEMO_CLIENTS, EmulatorProcess
from provider.domain.fields import LifecycleState
from provider.platforms.architecture_api.client import ArchitectClient
from provider.platforms.architecture_api.models import Flow, FlowFields
from provider.platforms.http.retry import RetryPolicy
from provider.platforms.http.settings import ConnectionSettings


def settings_for(emu: EmulatorProcess, client_id: str = "dev-rw") -> ConnectionSettings:
    return ConnectionSettings.resolve(
        api_url=emu.url, client_id=client_id, client_secret=DEMO_CLIENTS[client_id], env={}
    )


def counted(emu: EmulatorProcess) -> dict[tuple[str, str, int], int]:
    return {
        (r["method"], r["path"].rsplit("/api/v2/architect", 1)[-1], r["status"]): r["count"]
        for r in emu.admin.stats()["requests"]
        if r["path"] != "/oauth/token"
    }


def delta(before: dict[Any, int], after: dict[Any, int]) -> str:
    parts = [f"{m} {p} {s} ×{after[k] - before.get(k, 0)}" for k in sorted(after) for (m, p, s) in [k]]
    parts = [p for k, p in zip(sorted(after), parts, strict=True) if after[k] != before.get(k, 0)]
    total = sum(after.values()) - sum(before.values())
    return f"{total} call(s): " + ", ".join(parts)


def calls_per_operation(emu: EmulatorProcess) -> None:
    emu.admin.reset()
    client = ArchitectClient(settings_for(emu))
    other = ArchitectClient(settings_for(emu))
    print("API calls per operation (token requests excluded)")

    def measure(label: str, fn: Any) -> Any:
        before = counted(emu)
        result = fn()
        print(f"  {label:<34} {delta(before, counted(emu))}")
        return result

    flow: Flow = measure(
        "create", lambda: client.create_flow(FlowFields(name="Bench", lifecycle_state=LifecycleState.DRAFT))
    )
    measure("get", lambda: client.get_flow(flow.id))
    v2: Flow = measure(
        "update (1 field)",
        lambda: client.update_flow(
            flow.id, flow.to_fields().model_copy(update={"description": "a"}), base=flow
        ),
    )
    measure("update (nothing changed)", lambda: client.update_flow(flow.id, v2.to_fields(), base=v2))
    other.update_flow(flow.id, v2.to_fields().model_copy(update={"name": "Bench renamed"}), base=v2)
    measure(
        "update after a conflict (merge)",
        lambda: client.update_flow(flow.id, v2.to_fields().model_copy(update={"description": "b"}), base=v2),
    )
    measure("find by name and type", lambda: client.find_flow("Bench renamed", "INBOUNDCALL"))
    measure("delete", lambda: client.delete_flow(flow.id))
    emu.admin.set_faults(drop_rate=1.0, drop_mode="after", methods=["POST"], max_faults=1)
    measure(
        "create, answer lost (ambiguous)",
        lambda: client.create_flow(FlowFields(name="Lost answer", lifecycle_state=LifecycleState.DRAFT)),
    )
    emu.admin.clear_faults()


def updates_under_limit(
    emu: EmulatorProcess, updates: int, limit: int, window: int, threads: int, paced: bool
) -> None:
    emu.admin.reset()
    policy = RetryPolicy(max_attempts=50, deadline_seconds=600)
    client = ArchitectClient(settings_for(emu), retry=policy, pacing=paced)
    flows = [
        client.create_flow(FlowFields(name=f"Limited {i}", lifecycle_state=LifecycleState.DRAFT))
        for i in range(threads)
    ]
    client = ArchitectClient(settings_for(emu), retry=policy, pacing=paced)
    emu.admin.set_rate_limit(limit, window_seconds=window)
    per_thread = [updates // threads + (1 if i < updates % threads else 0) for i in range(threads)]
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        base = flows[index]
        try:
            for n in range(per_thread[index]):
                base = client.update_flow(
                    base.id, base.to_fields().model_copy(update={"description": f"u{n}"}), base=base
                )
        except BaseException as exc:
            errors.append(exc)

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    wall = time.perf_counter() - started
    if errors:
        raise errors[0]
    stats = emu.admin.stats()
    minimum = updates / limit * window
    # With a fixed window the last window need not run out: ceil(N / limit) - 1 whole windows.
    fixed_minimum = max(1, -(-updates // limit) - 1) * window
    patches = sum(r["count"] for r in stats["requests"] if r["method"] == "PATCH" and r["status"] == 200)
    label = "paced" if paced else "unpaced (Retry-After only)"
    print(
        f"  {label:<27} {updates} updates, limit {limit}/{window}s, {threads} threads: wall {wall:6.2f} s, "
        f"N/limit = {minimum:5.2f} s (ratio {wall / minimum:4.2f}), fixed-window minimum "
        f"{fixed_minimum:5.2f} s (ratio {wall / fixed_minimum:4.2f}), "
        f"429s {stats['rate_limited']}, PATCH 200 ×{patches}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=120)
    parser.add_argument("--limit", type=int, default=30)
    parser.add_argument("--window", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--skip-unpaced", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, EmulatorProcess(Path(tmp) / "bench.db") as emu:
        calls_per_operation(emu)
        print("N updates under a rate limit")
        updates_under_limit(emu, args.updates, args.limit, args.window, args.threads, paced=True)
        if not args.skip_unpaced:
            updates_under_limit(emu, args.updates, args.limit, args.window, args.threads, paced=False)


if __name__ == "__main__":
    main()
