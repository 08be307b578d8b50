"""Metrics of API calls, mutations, conflicts, rate-limit waits and validation problems.

One `MetricsRecorder` per process and stack keeps the counts and latency samples in memory (under a
lock: several provider threads record at once) and exposes them through a prometheus_client
`CollectorRegistry` (a custom collector reading that state). `write()` stores this process's data in
its own files, so processes never overwrite each other's counts:

    <metrics_dir>/runs/<stack>-<pid>-<start ms>.json   raw counts and latency samples of one process
    <metrics_dir>/runs/<stack>-<pid>-<start ms>.prom   the same, in the Prometheus text format

and `write_merged()` (under an fcntl lock) merges every per-process file of the stack into

    <metrics_dir>/<stack>.prom    for node_exporter's textfile collector (one file per stack, so the
                                  collector never sees the same series twice)
    <metrics_dir>/<stack>.json    the JSON summary: counts, retries, conflicts, 429s, waits,
                                  validation failures, and p50/p95/p99 latency per operation.

Bounded: `write_merged` folds the files of finished processes beyond the newest `KEEP_RUNS` of a stack
into one `runs/<stack>-0-0.json` ("earlier runs", its latency samples capped at `KEEP_SAMPLES` per
operation), so `runs/` holds at most KEEP_RUNS + 1 files per stack plus those of running processes,
and the merged counts stay whole.

The JSON shape (`SUMMARY_FORMAT`) is documented in the README (*Metrics files*); `archctl metrics`
reads the same files.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, write_to_textfile
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from provider.platforms.http.recorder import ConflictEvent, MutationEvent, RequestEvent
from provider.procs import pid_alive

if TYPE_CHECKING:
    from prometheus_client import Metric

    from provider.domain.problems import Problem

SUMMARY_FORMAT = "genesys-flows.metrics/1"
#: Histogram buckets, in seconds.
BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
QUANTILES: tuple[tuple[str, float], ...] = (("p50", 0.50), ("p95", 0.95), ("p99", 0.99))
#: The status label of an attempt that got no response (connection error, timeout).
NO_RESPONSE = "none"
#: Per stack, the per-process files kept as they are; older ones (of finished processes) are folded.
KEEP_RUNS = 20
#: Latency samples kept per operation in the folded file (the newest).
KEEP_SAMPLES = 10_000
KEEP_PROCESSES = 1_000


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """The q-quantile (0..1) by linear interpolation between closest ranks; None when empty."""
    if not sorted_values:
        return None
    if len(sorted_values) == 1:
        return float(sorted_values[0])
    pos = q * (len(sorted_values) - 1)
    lo = math.floor(pos)
    hi = math.ceil(pos)
    frac = pos - lo
    return float(sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * frac)


@dataclass
class MetricsData:
    """Counts and samples: one process's, or several merged. Plain data, no lock (see MetricsRecorder)."""

    stack: str
    requests: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (method, path, status)
    latencies: dict[tuple[str, str], list[float]] = field(default_factory=dict)  # (method, path)
    retries: Counter[str] = field(default_factory=Counter)  # reason
    conflicts: Counter[str] = field(default_factory=Counter)  # resolution
    waits: Counter[str] = field(default_factory=Counter)  # reason -> number of waits
    wait_seconds: dict[str, float] = field(default_factory=dict)  # reason -> seconds waited
    validation: Counter[str] = field(default_factory=Counter)  # rule
    mutations: Counter[tuple[str, str]] = field(default_factory=Counter)  # (action, outcome)
    mutation_latencies: dict[str, list[float]] = field(default_factory=dict)  # action
    processes: list[dict[str, Any]] = field(default_factory=list)

    # -- derived --------------------------------------------------------------------------------
    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    @property
    def rate_limited(self) -> int:
        return sum(n for (_, _, status), n in self.requests.items() if status == "429")

    def merge(self, other: MetricsData) -> None:
        self.requests.update(other.requests)
        for key, values in other.latencies.items():
            self.latencies.setdefault(key, []).extend(values)
        self.retries.update(other.retries)
        self.conflicts.update(other.conflicts)
        self.waits.update(other.waits)
        for reason, seconds in other.wait_seconds.items():
            self.wait_seconds[reason] = self.wait_seconds.get(reason, 0.0) + seconds
        self.validation.update(other.validation)
        self.mutations.update(other.mutations)
        for action, values in other.mutation_latencies.items():
            self.mutation_latencies.setdefault(action, []).extend(values)
        self.processes.extend(other.processes)

    def copy(self) -> MetricsData:
        data = MetricsData(self.stack)
        data.merge(self)
        return data

    # -- JSON -----------------------------------------------------------------------------------
    def to_json(self, *, samples: bool) -> dict[str, Any]:
        """The summary document; with `samples` the raw latencies too (what merging needs)."""

        def stats(values: list[float]) -> dict[str, Any]:
            ordered = sorted(values)
            out: dict[str, Any] = {"count": len(ordered), "sum_s": round(sum(ordered), 6)}
            for name, q in QUANTILES:
                value = percentile(ordered, q)
                out[f"{name}_s"] = None if value is None else round(value, 6)
            out["max_s"] = round(ordered[-1], 6) if ordered else None
            if samples:
                out["samples_s"] = [round(v, 6) for v in ordered]
            return out

        return {
            "format": SUMMARY_FORMAT,
            "stack": self.stack,
            "generated": utc_now(),
            "processes": sorted(self.processes, key=lambda p: (p.get("started", ""), p.get("pid", 0))),
            "total_requests": self.total_requests,
            "requests": [
                {"method": m, "path": p, "status": s, "count": n}
                for (m, p, s), n in sorted(self.requests.items())
            ],
            "latency": [
                {"method": m, "path": p, **stats(values)} for (m, p), values in sorted(self.latencies.items())
            ],
            "retries": [{"reason": r, "count": n} for r, n in sorted(self.retries.items())],
            "conflicts": [{"resolution": r, "count": n} for r, n in sorted(self.conflicts.items())],
            "rate_limit": {
                "responses_429": self.rate_limited,
                "waits": sum(self.waits.values()),
                "wait_seconds": round(sum(self.wait_seconds.values()), 6),
                "by_reason": [
                    {"reason": r, "waits": self.waits[r], "seconds": round(self.wait_seconds.get(r, 0.0), 6)}
                    for r in sorted(self.waits)
                ],
            },
            "validation_failures": [{"rule": r, "count": n} for r, n in sorted(self.validation.items())],
            "mutations": [
                {"action": a, "outcome": o, "count": n} for (a, o), n in sorted(self.mutations.items())
            ],
            "mutation_latency": [
                {"action": a, **stats(values)} for a, values in sorted(self.mutation_latencies.items())
            ],
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> MetricsData:
        data = cls(str(doc.get("stack", "")))
        for row in doc.get("requests", []):
            data.requests[(row["method"], row["path"], str(row["status"]))] += int(row["count"])
        for row in doc.get("latency", []):
            data.latencies.setdefault((row["method"], row["path"]), []).extend(
                float(v) for v in row.get("samples_s", [])
            )
        for row in doc.get("retries", []):
            data.retries[row["reason"]] += int(row["count"])
        for row in doc.get("conflicts", []):
            data.conflicts[row["resolution"]] += int(row["count"])
        for row in doc.get("rate_limit", {}).get("by_reason", []):
            data.waits[row["reason"]] += int(row["waits"])
            data.wait_seconds[row["reason"]] = data.wait_seconds.get(row["reason"], 0.0) + float(
                row["seconds"]
            )
        for row in doc.get("validation_failures", []):
            data.validation[row["rule"]] += int(row["count"])
        for row in doc.get("mutations", []):
            data.mutations[(row["action"], row["outcome"])] += int(row["count"])
        for row in doc.get("mutation_latency", []):
            data.mutation_latencies.setdefault(row["action"], []).extend(
                float(v) for v in row.get("samples_s", [])
            )
        data.processes = list(doc.get("processes", []))
        return data


def _histogram(
    name: str, doc: str, labels: list[str], series: Iterable[tuple[list[str], list[float]]]
) -> HistogramMetricFamily:
    family = HistogramMetricFamily(name, doc, labels=labels)
    for label_values, values in series:
        buckets: list[tuple[str, float]] = []
        for bound in BUCKETS:
            buckets.append((repr(bound), float(sum(1 for v in values if v <= bound))))
        buckets.append(("+Inf", float(len(values))))
        family.add_metric(label_values, buckets, sum_value=sum(values))
    return family


def _counter(stack: str, name: str, doc: str, label: str, counts: Counter[str]) -> CounterMetricFamily:
    """A counter family with one series per key of `counts`, labelled with the stack and `label`."""
    family = CounterMetricFamily(name, doc, labels=["stack", label])
    for value, n in sorted(counts.items()):
        family.add_metric([stack, value], n)
    return family


def families(data: MetricsData) -> list[Metric]:
    """The Prometheus metric families for `data` (every series labelled with the stack)."""
    return [*_api_families(data), *_limit_families(data), *_mutation_families(data)]


def _api_families(data: MetricsData) -> list[Metric]:
    """API attempts: counts, latency histogram and quantiles."""
    s = data.stack
    out: list[Metric] = []
    requests = CounterMetricFamily(
        "genesys_flows_api_requests",
        "Architecture API attempts by method, path template and status ('none': no response).",
        labels=["stack", "method", "path", "status"],
    )
    for (method, path, status), n in sorted(data.requests.items()):
        requests.add_metric([s, method, path, status], n)
    out.append(requests)
    out.append(
        _histogram(
            "genesys_flows_api_request_duration_seconds",
            "Latency of Architecture API attempts by operation (method and path template).",
            ["stack", "method", "path"],
            (([s, m, p], v) for (m, p), v in sorted(data.latencies.items())),
        )
    )
    quantiles = GaugeMetricFamily(
        "genesys_flows_api_request_duration_quantile_seconds",
        "p50/p95/p99 latency of Architecture API attempts by operation, from the recorded samples.",
        labels=["stack", "method", "path", "quantile"],
    )
    for (method, path), values in sorted(data.latencies.items()):
        ordered = sorted(values)
        for _, q in QUANTILES:
            value = percentile(ordered, q)
            if value is not None:
                quantiles.add_metric([s, method, path, str(q)], value)
    out.append(quantiles)
    return out


def _limit_families(data: MetricsData) -> list[Metric]:
    """Retries, conflicts, rate limits and validation problems."""
    s = data.stack
    out: list[Metric] = []
    out.append(
        _counter(s, "genesys_flows_api_retries", "Retried attempts by reason.", "reason", data.retries)
    )
    out.append(
        _counter(
            s,
            "genesys_flows_conflicts",
            "Version conflicts (409 general.resource.conflict) by resolution.",
            "resolution",
            data.conflicts,
        )
    )
    limited = CounterMetricFamily(
        "genesys_flows_rate_limited_responses", "429 responses received.", labels=["stack"]
    )
    limited.add_metric([s], data.rate_limited)
    out.append(limited)
    waits = CounterMetricFamily(
        "genesys_flows_rate_limit_waits",
        "Waits before retrying a rate-limited call.",
        labels=["stack", "reason"],
    )
    wait_seconds = CounterMetricFamily(
        "genesys_flows_rate_limit_wait_seconds",
        "Time spent waiting on rate limits.",
        labels=["stack", "reason"],
    )
    for reason, n in sorted(data.waits.items()):
        waits.add_metric([s, reason], n)
        wait_seconds.add_metric([s, reason], data.wait_seconds.get(reason, 0.0))
    out += [waits, wait_seconds]
    out.append(
        _counter(
            s, "genesys_flows_validation_failures", "Validation problems by rule.", "rule", data.validation
        )
    )
    return out


def _mutation_families(data: MetricsData) -> list[Metric]:
    """Flow creates, updates and deletes: counts and durations."""
    s = data.stack
    out: list[Metric] = []
    mutations = CounterMetricFamily(
        "genesys_flows_mutations",
        "Flow creates/updates/deletes by outcome.",
        labels=["stack", "action", "outcome"],
    )
    for (action, outcome), n in sorted(data.mutations.items()):
        mutations.add_metric([s, action, outcome], n)
    out.append(mutations)
    out.append(
        _histogram(
            "genesys_flows_mutation_duration_seconds",
            "Duration of a whole mutation (retries and conflict resolution included).",
            ["stack", "action"],
            (([s, a], v) for a, v in sorted(data.mutation_latencies.items())),
        )
    )
    return out


class _DataCollector(Collector):
    def __init__(self, snapshot: Any) -> None:
        self._snapshot = snapshot

    def collect(self) -> Iterable[Metric]:
        return families(self._snapshot())


def registry_for(data: MetricsData) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_DataCollector(lambda: data))
    return registry


class MetricsRecorder:
    """A `provider.platforms.http.recorder.Recorder` that counts everything for one stack in this process."""

    def __init__(self, stack: str, metrics_dir: Path) -> None:
        self.stack = stack
        self.metrics_dir = Path(metrics_dir)
        self.pid = os.getpid()
        self.started = utc_now()
        self._start_ms = int(time.time() * 1000)
        self._lock = threading.Lock()
        self._data = MetricsData(stack)
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(_DataCollector(self.snapshot))

    # -- the Recorder protocol ------------------------------------------------------------------
    def on_request(self, event: RequestEvent) -> None:
        status = NO_RESPONSE if event.status is None else str(event.status)
        with self._lock:
            self._data.requests[(event.method.upper(), event.path_template, status)] += 1
            key = (event.method.upper(), event.path_template)
            self._data.latencies.setdefault(key, []).append(max(0.0, float(event.latency_s)))
            if event.retry_reason:
                self._data.retries[event.retry_reason] += 1

    def on_mutation(self, event: MutationEvent) -> None:
        with self._lock:
            self._data.mutations[(event.action, event.outcome)] += 1
            self._data.mutation_latencies.setdefault(event.action, []).append(
                max(0.0, float(event.latency_s))
            )

    def on_conflict(self, event: ConflictEvent) -> None:
        with self._lock:
            self._data.conflicts[event.resolution] += 1

    def on_validation_problem(self, problem: Problem) -> None:
        with self._lock:
            self._data.validation[str(getattr(problem, "rule", "unknown"))] += 1

    def on_rate_limit_wait(self, seconds: float, reason: str) -> None:
        with self._lock:
            self._data.waits[reason] += 1
            self._data.wait_seconds[reason] = self._data.wait_seconds.get(reason, 0.0) + max(0.0, seconds)

    # -- reading and writing --------------------------------------------------------------------
    def snapshot(self) -> MetricsData:
        with self._lock:
            data = self._data.copy()
        data.processes = [{"pid": self.pid, "started": self.started, "updated": utc_now()}]
        return data

    @property
    def base_name(self) -> str:
        return f"{_safe(self.stack)}-{self.pid}-{self._start_ms}"

    def write(self) -> Path:
        """This process's files (JSON with samples, and .prom); returns the JSON path."""
        runs = self.metrics_dir / "runs"
        runs.mkdir(parents=True, exist_ok=True)
        data = self.snapshot()
        json_path = runs / f"{self.base_name}.json"
        _atomic_write(json_path, json.dumps(data.to_json(samples=True), indent=1, sort_keys=True) + "\n")
        write_to_textfile(str(runs / f"{self.base_name}.prom"), registry_for(data))
        return json_path


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "default"


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _dir_lock(metrics_dir: Path) -> Iterator[None]:
    metrics_dir.mkdir(parents=True, exist_ok=True)
    with open(metrics_dir / ".lock", "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def process_files(metrics_dir: Path, stack: str | None = None) -> list[Path]:
    runs = Path(metrics_dir) / "runs"
    if not runs.is_dir():
        return []
    pattern = f"{_safe(stack)}-*.json" if stack else "*.json"
    files = []
    for path in sorted(runs.glob(pattern)):
        # "<stack>-<pid>-<ms>": a stack named "dev" must not pick up "dev-eu"'s files.
        parts = path.stem.rsplit("-", 2)
        if stack is None or (len(parts) == 3 and parts[0] == _safe(stack)):
            files.append(path)
    return files


def load(
    metrics_dir: Path, stack: str | None = None, since: datetime | None = None
) -> dict[str, MetricsData]:
    """Every per-process file (of `stack`, of processes started at or after `since`), merged per stack."""
    merged: dict[str, MetricsData] = {}
    for path in process_files(metrics_dir, stack):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a file being replaced, or not ours
        if doc.get("format") != SUMMARY_FORMAT:
            continue
        data = MetricsData.from_json(doc)
        if since is not None and not _started_since(data.processes, since):
            continue
        for proc in data.processes:
            proc.setdefault("file", path.name)
        merged.setdefault(data.stack, MetricsData(data.stack)).merge(data)
    return merged


def _started_since(processes: list[dict[str, Any]], since: datetime) -> bool:
    for proc in processes:
        try:
            started = datetime.fromisoformat(str(proc["started"]).replace("Z", "+00:00"))
        except (KeyError, ValueError):
            continue
        if started >= since:
            return True
    return False


def write_merged(metrics_dir: Path, stack: str) -> tuple[Path, Path]:
    """Merge every process's files of `stack` into `<stack>.prom` and `<stack>.json` (under a lock)."""
    metrics_dir = Path(metrics_dir)
    with _dir_lock(metrics_dir):
        fold_old_runs(metrics_dir, stack)
        data = load(metrics_dir, stack).get(stack, MetricsData(stack))
        prom = metrics_dir / f"{_safe(stack)}.prom"
        summary = metrics_dir / f"{_safe(stack)}.json"
        write_to_textfile(str(prom), registry_for(data))
        _atomic_write(summary, json.dumps(data.to_json(samples=False), indent=1, sort_keys=True) + "\n")
    return prom, summary

    return True


def fold_old_runs(metrics_dir: Path, stack: str, keep: int = KEEP_RUNS) -> int:
    """Fold the per-process files of `stack` beyond the newest `keep` (of processes that are no longer
    running) into `runs/<stack>-0-0.json`; returns how many were folded. Call under `_dir_lock`."""
    archive = Path(metrics_dir) / "runs" / f"{_safe(stack)}-0-0.json"
    files = [p for p in process_files(metrics_dir, stack) if p != archive]

    def number(path: Path, index: int) -> int:
        part = path.stem.rsplit("-", 2)[index]
        return int(part) if part.isdigit() else 0

    files.sort(key=lambda p: number(p, 2))  # by start time
    old = [p for p in files[: max(0, len(files) - keep)] if not pid_alive(number(p, 1))]
    if not old:
        return 0
    folded = MetricsData(stack)
    for path in [archive, *old]:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if doc.get("format") == SUMMARY_FORMAT:
            folded.merge(MetricsData.from_json(doc))
    for key, values in folded.latencies.items():
        folded.latencies[key] = values[-KEEP_SAMPLES:]
    for action, values in folded.mutation_latencies.items():
        folded.mutation_latencies[action] = values[-KEEP_SAMPLES:]
    folded.processes = folded.processes[-KEEP_PROCESSES:]
    _atomic_write(archive, json.dumps(folded.to_json(samples=True), indent=1, sort_keys=True) + "\n")
    for path in old:
        for stale in (path, path.with_suffix(".prom")):
            with contextlib.suppress(OSError):
                stale.unlink()
    return len(old)
