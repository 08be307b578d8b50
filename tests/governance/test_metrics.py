"""Metrics: exact counts under threads and processes, percentiles, Prometheus text and JSON summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from provider.domain.problems import Problem
from provider.governance import metrics
from provider.platforms.http.recorder import ConflictEvent, MutationEvent, RequestEvent

FLOW = "/api/v2/architect/flows/{flowId}"
FLOWS = "/api/v2/architect/flows"


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_percentiles_interpolate() -> None:
    assert metrics.percentile([], 0.5) is None
    assert metrics.percentile([3.0], 0.99) == 3.0
    values = [float(v) for v in range(1, 101)]
    assert metrics.percentile(values, 0.5) == 50.5
    assert metrics.percentile(values, 0.95) == 95.05
    assert round(metrics.percentile(values, 0.99) or 0, 6) == 99.01


def test_every_kind_of_event_is_counted(tmp_path: Path) -> None:
    rec = metrics.MetricsRecorder("dev", tmp_path)
    rec.on_request(RequestEvent("GET", FLOW, 200, 0.010, 1))
    rec.on_request(RequestEvent("get", FLOW, 200, 0.030, 1))
    rec.on_request(RequestEvent("PATCH", FLOW, 429, 0.001, 1, retry_reason="429"))
    rec.on_request(RequestEvent("PATCH", FLOW, None, 0.5, 2, retry_reason="timeout"))
    rec.on_request(RequestEvent("PATCH", FLOW, 200, 0.02, 3))
    rec.on_rate_limit_wait(2.0, "429")
    rec.on_rate_limit_wait(0.5, "pacing")
    rec.on_conflict(ConflictEvent("f1", "merged"))
    rec.on_conflict(ConflictEvent("f2", "failed", {"name": ("a", "b")}))
    rec.on_validation_problem(Problem("main", "name", "architect.flow.field.required", "name is required"))
    rec.on_validation_problem(Problem("main", "name", "architect.flow.field.required", "again"))
    rec.on_mutation(MutationEvent("update", "f1", "Main", 1, 2, "success", latency_s=0.6))
    rec.on_mutation(MutationEvent("create", None, "X", None, None, "failure", "payload.or.params.invalid"))

    doc = rec.snapshot().to_json(samples=False)
    assert doc["total_requests"] == 5
    assert {(r["method"], r["status"]): r["count"] for r in doc["requests"]} == {
        ("GET", "200"): 2,
        ("PATCH", "200"): 1,
        ("PATCH", "429"): 1,
        ("PATCH", "none"): 1,
    }
    get = next(r for r in doc["latency"] if r["method"] == "GET")
    assert get["count"] == 2 and get["p50_s"] == 0.02 and get["max_s"] == 0.03
    assert {r["reason"]: r["count"] for r in doc["retries"]} == {"429": 1, "timeout": 1}
    assert {c["resolution"]: c["count"] for c in doc["conflicts"]} == {"merged": 1, "failed": 1}
    assert doc["rate_limit"]["responses_429"] == 1
    assert doc["rate_limit"]["waits"] == 2 and doc["rate_limit"]["wait_seconds"] == 2.5
    assert doc["validation_failures"] == [{"rule": "architect.flow.field.required", "count": 2}]
    assert {(m["action"], m["outcome"]): m["count"] for m in doc["mutations"]} == {
        ("update", "success"): 1,
        ("create", "failure"): 1,
    }

    path = rec.write()
    prom = path.with_suffix(".prom").read_text()
    samples = _samples(prom)
    key = (
        "genesys_flows_api_requests_total",
        (("method", "GET"), ("path", FLOW), ("stack", "dev"), ("status", "200")),
    )
    assert samples[key] == 2
    assert samples[("genesys_flows_rate_limited_responses_total", (("stack", "dev"),))] == 1
    assert (
        samples[("genesys_flows_rate_limit_wait_seconds_total", (("reason", "429"), ("stack", "dev")))] == 2.0
    )
    inf = (
        "genesys_flows_api_request_duration_seconds_bucket",
        (("le", "+Inf"), ("method", "PATCH"), ("path", FLOW), ("stack", "dev")),
    )
    assert samples[inf] == 3
    quantile = (
        "genesys_flows_api_request_duration_quantile_seconds",
        (("method", "GET"), ("path", FLOW), ("quantile", "0.5"), ("stack", "dev")),
    )
    assert abs(samples[quantile] - 0.02) < 1e-9
    # the registry exposes the same numbers live
    from prometheus_client import generate_latest

    assert _samples(generate_latest(rec.registry).decode())[key] == 2


def test_threads_lose_no_counts(tmp_path: Path) -> None:
    rec = metrics.MetricsRecorder("dev", tmp_path)
    threads, per_thread = 8, 2000

    def work(n: int) -> None:
        for i in range(per_thread):
            rec.on_request(RequestEvent("GET", FLOW, 200 if i % 2 else 404, 0.001 * (n + 1), 1))
            if i % 10 == 0:
                rec.on_validation_problem(Problem("f", "x", f"rule-{n % 2}", "m"))

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    doc = rec.snapshot().to_json(samples=True)
    assert doc["total_requests"] == threads * per_thread
    assert sum(r["count"] for r in doc["requests"] if r["status"] == "200") == threads * per_thread // 2
    assert doc["latency"][0]["count"] == threads * per_thread
    assert sum(v["count"] for v in doc["validation_failures"]) == threads * per_thread // 10


WORKER = textwrap.dedent(
    """
    import sys
    from provider.governance import telemetry
    from provider.platforms.http.recorder import RequestEvent, MutationEvent
    stack, mdir, alog, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    rec = telemetry.Telemetry().recorder(stack, metrics_dir=mdir, audit_log=alog, client_id="dev-rw")
    for i in range(n):
        rec.on_request(RequestEvent("GET", "/api/v2/architect/flows/{flowId}", 200, 0.001 * (i % 7), 1))
    rec.on_mutation(MutationEvent("create", "id", "F", None, 1, "success", latency_s=0.01))
    # no explicit flush: atexit writes the files
    """
)


@pytest.mark.slow
def test_processes_write_their_own_files_and_merge(tmp_path: Path) -> None:
    mdir, alog = tmp_path / "m", tmp_path / "a.jsonl"
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, "dev", str(mdir), str(alog), str(100 + k)])
        for k in range(4)
    ]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    subprocess.run(
        [sys.executable, "-c", WORKER, "staging", str(mdir), str(alog), "5"], check=True, timeout=120
    )

    assert len(metrics.process_files(mdir, "dev")) == 4
    merged = metrics.load(mdir, "dev")
    assert list(merged) == ["dev"]
    doc = merged["dev"].to_json(samples=False)
    assert doc["total_requests"] == sum(100 + k for k in range(4))
    assert len(doc["processes"]) == 4
    assert doc["mutations"] == [{"action": "create", "outcome": "success", "count": 4}]
    # Each process rewrites the merged files at exit. One more process, started after the four have
    # exited, must leave merged files that count all five (written by its at-exit hook, not by us).
    subprocess.run([sys.executable, "-c", WORKER, "dev", str(mdir), str(alog), "1"], check=True, timeout=120)
    total = doc["total_requests"] + 1
    summary, prom = mdir / "dev.json", mdir / "dev.prom"
    assert json.loads(summary.read_text())["total_requests"] == total
    samples = _samples(prom.read_text())
    key = (
        "genesys_flows_api_requests_total",
        (("method", "GET"), ("path", FLOW), ("stack", "dev"), ("status", "200")),
    )
    assert samples[key] == total
    assert metrics.load(mdir, "staging")["staging"].total_requests == 5
    assert set(metrics.load(mdir)) == {"dev", "staging"}


def test_stack_prefixes_do_not_mix(tmp_path: Path) -> None:
    a = metrics.MetricsRecorder("dev", tmp_path)
    b = metrics.MetricsRecorder("dev-eu", tmp_path)
    a.on_request(RequestEvent("GET", FLOWS, 200, 0.1, 1))
    b.on_request(RequestEvent("GET", FLOWS, 200, 0.1, 1))
    b.on_request(RequestEvent("GET", FLOWS, 200, 0.1, 1))
    a.write()
    b.write()
    assert metrics.load(tmp_path, "dev")["dev"].total_requests == 1
    assert metrics.load(tmp_path, "dev-eu")["dev-eu"].total_requests == 2


def test_run_files_are_bounded_and_the_counts_stay_whole(tmp_path: Path) -> None:
    """Finished processes' files beyond the newest KEEP_RUNS are folded into one; a running
    process's file is never folded (it would be counted twice when it writes again)."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    dead_pid = int(done.stdout)  # a process that has exited
    runs = metrics.KEEP_RUNS + 15
    for k in range(runs):
        rec = metrics.MetricsRecorder("dev", tmp_path)
        rec.pid, rec._start_ms = (os.getpid() if k == 0 else dead_pid), 1000 + k
        rec.on_request(RequestEvent("GET", FLOW, 200, 0.01 * (k + 1), 1))
        rec.write()
    assert len(metrics.process_files(tmp_path, "dev")) == runs
    metrics.write_merged(tmp_path, "dev")
    files = metrics.process_files(tmp_path, "dev")
    assert len(files) == metrics.KEEP_RUNS + 2  # the newest, the folded one, and the running one
    assert len(list((tmp_path / "runs").glob("dev-*.prom"))) == metrics.KEEP_RUNS + 1
    assert json.loads((tmp_path / "dev.json").read_text())["total_requests"] == runs
    metrics.write_merged(tmp_path, "dev")  # again: nothing counted twice
    assert json.loads((tmp_path / "dev.json").read_text())["total_requests"] == runs
