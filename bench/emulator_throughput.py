"""Throughput and latency of the Architecture API emulator on loopback.

Starts its own emulator process (temporary database), then measures GET /flows/{id} and
PATCH /flows/{id} with keep-alive `requests` sessions: one client (sequential) and several
concurrent clients. Prints requests per second and p50/p99 latency. Runs for about 12 s.

    .venv/bin/python bench/emulator_throughput.py [--seconds 2.5] [--clients 4]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from emulator.testing import EmulatorProcess, get_token

FLOWS = "/api/v2/architect/flows"


def _session(token: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def _create(session: requests.Session, url: str, name: str) -> str:
    children = [{"id": f"b{i}", "type": "menu"} for i in range(10)]
    body = {
        "name": name,
        "lifecycle_state": "draft",
        "blocks": [{"id": "root", "type": "routing", "children": children}],
    }
    r = session.post(url + FLOWS, json=body, timeout=30)
    r.raise_for_status()
    return str(r.json()["id"])


def _run(worker: Callable[[], None], seconds: float) -> list[float]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        worker()
        latencies.append(time.perf_counter() - start)
    return latencies


def _get_worker(session: requests.Session, url: str, flow_id: str) -> Callable[[], None]:
    def call() -> None:
        r = session.get(f"{url}{FLOWS}/{flow_id}", timeout=30)
        if r.status_code != 200:
            raise RuntimeError(f"GET answered {r.status_code}: {r.text[:200]}")

    return call


def _patch_worker(session: requests.Session, url: str, flow_id: str) -> Callable[[], None]:
    state = {"version": 0, "n": 0}

    def call() -> None:
        if not state["version"]:
            state["version"] = session.get(f"{url}{FLOWS}/{flow_id}", timeout=30).json()["_version"]
        state["n"] += 1
        body = {"_version": state["version"], "description": f"write {state['n']}"}
        r = session.patch(f"{url}{FLOWS}/{flow_id}", json=body, timeout=30)
        if r.status_code != 200:
            raise RuntimeError(f"PATCH answered {r.status_code}: {r.text[:200]}")
        state["version"] = r.json()["_version"]

    return call


def _measure(workers: list[Callable[[], None]], seconds: float) -> tuple[int, float, list[float]]:
    results: list[list[float]] = [[] for _ in workers]
    threads = [
        threading.Thread(target=lambda i=i, w=w: results[i].extend(_run(w, seconds)))
        for i, w in enumerate(workers)
    ]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    latencies = sorted(x for r in results for x in r)
    return len(latencies), elapsed, latencies


def _server_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by the server process (Linux; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pct(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[index] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.5, help="duration of each measurement")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients in the concurrent rows")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="emulator-bench-") as tmp,
        EmulatorProcess(Path(tmp) / "arch.db") as emu,
    ):
        emu.admin.set_rate_limit(10_000_000)
        url = emu.url
        tokens = [get_token(url, "dev-rw") for _ in range(args.clients)]
        setup = _session(tokens[0])
        flows = [_create(setup, url, f"bench flow {i}") for i in range(args.clients)]
        rows = []
        plans = [
            ("GET", "1 client", [_get_worker(_session(tokens[0]), url, flows[0])]),
            ("PATCH", "1 client", [_patch_worker(_session(tokens[0]), url, flows[0])]),
            (
                "GET",
                f"{args.clients} clients",
                [_get_worker(_session(tokens[i]), url, flows[i]) for i in range(args.clients)],
            ),
            (
                "PATCH",
                f"{args.clients} clients",
                [_patch_worker(_session(tokens[i]), url, flows[i]) for i in range(args.clients)],
            ),
        ]
        for method, mode, workers in plans:
            for w in workers:  # warm up the connection and the server's code paths
                w()
            cpu_before = _server_cpu(emu.pid)
            count, elapsed, latencies = _measure(workers, args.seconds)
            cpu_ms = (_server_cpu(emu.pid) - cpu_before) * 1000 / max(count, 1)
            rows.append(
                (method, mode, count, count / elapsed, _pct(latencies, 50), _pct(latencies, 99), cpu_ms)
            )
        stats = emu.admin.stats()
    print(
        "Architecture API emulator throughput on loopback "
        f"(keep-alive requests.Session, {args.seconds:g} s per row)"
    )
    header = (
        f"{'request':<8} {'clients':<10} {'requests':>9} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}"
        f" {'server CPU ms/req':>18}"
    )
    print(header)
    print("-" * len(header))
    for method, mode, count, rps, p50, p99, cpu_ms in rows:
        print(f"{method:<8} {mode:<10} {count:>9} {rps:>9.0f} {p50:>8.2f} {p99:>8.2f} {cpu_ms:>18.2f}")
    print("(server CPU ms/req: the emulator's own CPU per request; 1000 / it = its one-core capacity)")
    errors = sum(r["count"] for r in stats["requests"] if r["status"] >= 400)
    print(f"server-side: {stats['total_requests']} requests, {stats['writes']} writes, {errors} errors")
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
