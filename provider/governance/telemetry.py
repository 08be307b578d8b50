"""Telemetry wiring: the `Recorder` per stack that feeds the metrics and the audit trail.

    tel = telemetry.Telemetry()
    rec = tel.recorder("dev", metrics_dir=..., audit_log=..., client_id="dev-rw")
    client = ArchitectClient(settings, recorder=rec)
    with telemetry.flow_context("main-menu"):      # audit entries name the flow's logical key
        client.update_flow(...)
    tel.flush()                                     # also done at exit

Defaults: the metrics folder is the argument, else $GENESYS_FLOWS_METRICS_DIR, else <project>/.metrics;
the audit log is the argument, else $GENESYS_FLOWS_AUDIT_LOG, else the bucket of an s3:// PULUMI_BACKEND_URL
(one object per entry, provider/governance/s3_trail.py), else <project>/.audit/audit.jsonl.

Audit entries are appended (and fsynced) as each mutation is reported. Metrics stay in memory and are
written to this process's own files at process exit (atexit, which also runs after an unhandled
exception or SIGINT, the signal Pulumi stops its plugins with), after a mutation (at most once a second)
and by `Telemetry.flush()`, which the dynamic provider also runs when the engine cancels it (the
engine waits for that answer, 5 s at most: provider/deploy/sdk_patches/host_cancel.py); at exit and
on `flush()` the stack's merged `<stack>.prom`/`<stack>.json` are rewritten too (see
provider/governance/metrics.py).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING

from provider.governance.audit import AuditLog
from provider.governance.metrics import MetricsRecorder, write_merged
from provider.governance.trail import Trail, remote_backend
from provider.paths import PROJECT_DIR
from provider.platforms.http.recorder import ConflictEvent, MutationEvent, Recorder, RequestEvent

if TYPE_CHECKING:
    from provider.domain.problems import Problem

log = logging.getLogger(__name__)

METRICS_DIR_ENV = "GENESYS_FLOWS_METRICS_DIR"
AUDIT_LOG_ENV = "GENESYS_FLOWS_AUDIT_LOG"
#: After a mutation, this process's metrics files are rewritten at most this often (and always at exit).
FLUSH_INTERVAL_S = 1.0

_flow_key: ContextVar[str | None] = ContextVar("genesys_flows_flow_key", default=None)


def default_metrics_dir() -> Path:
    return Path(os.environ.get(METRICS_DIR_ENV) or PROJECT_DIR / ".metrics")


def default_audit_log() -> Path:
    return Path(os.environ.get(AUDIT_LOG_ENV) or PROJECT_DIR / ".audit" / "audit.jsonl")


def resolve_paths(
    metrics_dir: str | os.PathLike[str] | None, audit_log: str | os.PathLike[str] | None
) -> tuple[Path, Path]:
    m = Path(metrics_dir) if metrics_dir else default_metrics_dir()
    a = Path(audit_log) if audit_log else default_audit_log()
    return m.expanduser().resolve(), a.expanduser().resolve()


@contextmanager
def flow_context(flow_key: str) -> Iterator[None]:
    """Marks the calls made inside (in this thread or task) as belonging to the flow `flow_key`."""
    token = _flow_key.set(flow_key)
    try:
        yield
    finally:
        _flow_key.reset(token)


def current_flow_key() -> str | None:
    return _flow_key.get()


class _Sink:
    """The shared state of one (stack, metrics dir, audit log): metrics in memory, the audit file."""

    def __init__(
        self, stack: str, metrics_dir: Path, audit_path: Path, backend_url: str | None = None
    ) -> None:
        self.stack = stack
        self.metrics = MetricsRecorder(stack, metrics_dir)
        self.audit_path = audit_path
        self.backend_url = backend_url  # s3://…: the trail is in the state's bucket (trail.py)
        self._audit: Trail | None = None
        self._audit_lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._last_write = 0.0

    @property
    def audit(self) -> Trail:
        with self._audit_lock:  # opened on first use: a read-only run creates no audit file
            if self._audit is None:
                if self.backend_url:
                    from provider.governance.s3_trail import S3Trail

                    self._audit = S3Trail(self.backend_url, self.stack)
                else:
                    self._audit = AuditLog(self.audit_path, self.stack)
            return self._audit

    def flush(self, *, merged: bool = True) -> None:
        with self._flush_lock:
            self.metrics.write()
            self._last_write = time.monotonic()
            if merged:
                write_merged(self.metrics.metrics_dir, self.stack)

    def flush_soon(self) -> None:
        """This process's metrics files, at most once per FLUSH_INTERVAL_S (after mutations)."""
        if time.monotonic() - self._last_write >= FLUSH_INTERVAL_S:
            self.flush(merged=False)


class TelemetryRecorder:
    """A `Recorder` for one stack: metrics for every event, an audit entry for every mutation."""

    def __init__(self, sink: _Sink, client_id: str | None) -> None:
        self._sink = sink
        self.client_id = client_id

    @property
    def stack(self) -> str:
        return self._sink.stack

    @property
    def metrics(self) -> MetricsRecorder:
        return self._sink.metrics

    @property
    def audit_path(self) -> Path:
        return self._sink.audit_path

    @property
    def audit(self) -> Trail:
        """The stack's audit trail (opened on first use; `OSError` when it cannot be)."""
        return self._sink.audit

    def on_request(self, event: RequestEvent) -> None:
        self._sink.metrics.on_request(event)

    def on_mutation(self, event: MutationEvent) -> None:
        # The audit entry first: it is the record that must survive a crash.
        self._sink.audit.record(event, flow_key=current_flow_key(), client_id=self.client_id)
        self._sink.metrics.on_mutation(event)
        try:
            self._sink.flush_soon()
        except OSError:
            log.exception("could not write the metrics files")

    def on_conflict(self, event: ConflictEvent) -> None:
        self._sink.metrics.on_conflict(event)

    def on_validation_problem(self, problem: Problem) -> None:
        self._sink.metrics.on_validation_problem(problem)

    def on_rate_limit_wait(self, seconds: float, reason: str) -> None:
        self._sink.metrics.on_rate_limit_wait(seconds, reason)

    def flush(self) -> None:
        self._sink.flush()


class Telemetry:
    """The recorders of one process (or test): one shared state per (stack, metrics dir, audit log).

    The dynamic provider keeps one for its process (provider/deploy/resource.py); anything else
    builds its own. Its metrics are written at process exit (`flush_at_exit`) and by `flush()`."""

    def __init__(self, *, flush_at_exit: bool = True) -> None:
        self._sinks: dict[tuple[str, Path, Path, str | None], _Sink] = {}
        self._lock = threading.Lock()
        self._flush_at_exit = flush_at_exit
        self._registered = False

    def recorder(
        self,
        stack: str,
        *,
        metrics_dir: str | os.PathLike[str] | None = None,
        audit_log: str | os.PathLike[str] | None = None,
        client_id: str | None = None,
    ) -> TelemetryRecorder:
        """The recorder of `stack` (its state shared per stack and folders; thread-safe)."""
        metrics_path, audit_path = resolve_paths(metrics_dir, audit_log)
        # An explicit audit file wins; else the trail is beside the state (trail.py).
        backend = None if audit_log or os.environ.get(AUDIT_LOG_ENV) else remote_backend()
        key = (stack, metrics_path, audit_path, backend)
        with self._lock:
            sink = self._sinks.get(key)
            if sink is None:
                sink = self._sinks[key] = _Sink(stack, metrics_path, audit_path, backend)
            if self._flush_at_exit and not self._registered:
                atexit.register(self.flush)
                self._registered = True
        return TelemetryRecorder(sink, client_id)

    def flush(self) -> None:
        """Writes every recorder's metrics files now (per-process and merged)."""
        with self._lock:
            sinks = list(self._sinks.values())
        for sink in sinks:
            try:
                sink.flush()
            except OSError:
                log.exception("could not write the metrics files of stack %s", sink.stack)

    def close(self) -> None:
        """Closes the audit files; no flush at exit any more."""
        with self._lock:
            for sink in self._sinks.values():
                if sink._audit is not None:
                    sink._audit.close()
            self._sinks.clear()
            if self._registered:
                atexit.unregister(self.flush)
                self._registered = False


__all__ = [
    "AUDIT_LOG_ENV",
    "METRICS_DIR_ENV",
    "Recorder",
    "Telemetry",
    "TelemetryRecorder",
    "current_flow_key",
    "flow_context",
]
