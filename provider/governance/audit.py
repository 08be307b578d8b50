"""The audit trail: one JSON line per mutation (create, update, delete) and its outcome.

Lines are formatted by python-json-logger and appended by `FsyncHandler`: one `write(2)` per line on a
file opened with O_APPEND (so several processes append without interleaving), under an flock, then
`fsync`. A line that `record()` returned for is on disk: a process killed right after keeps it. The
file is never rewritten or truncated by this code.

Entry fields (see the README, *Audit trail*): timestamp (UTC, ISO 8601), event ("mutation"), action,
stack, flow_key, flow_id, flow_name, version_before, version_after, outcome, error_code, correlation_id,
latency_s, client_id, pid, and `replaced` when the write replaced someone's work (a forced unlock: the
holder and the lock's age; an overwrite: the live version and who published it). Never a secret or a
token: entries are built from a fixed set of fields.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from provider.platforms.http.recorder import MutationEvent

ENTRY_FIELDS: tuple[str, ...] = (
    "timestamp",
    "event",
    "action",
    "stack",
    "flow_key",
    "flow_id",
    "flow_name",
    "version_before",
    "version_after",
    "outcome",
    "error_code",
    "correlation_id",
    "latency_s",
    "client_id",
    "pid",
)


class FsyncHandler(logging.Handler):
    """Appends each formatted record as one line, with a single write, then fsyncs the file."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        created = not self.path.exists()
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        if created:  # make the new directory entry durable too
            _fsync_dir(self.path.parent)

    def emit(self, record: logging.LogRecord) -> None:
        # No `handleError`: a failed write or fsync must reach `AuditLog.record`'s caller, or an entry
        # that never reached the disk would look recorded.
        data = (self.format(record).replace("\n", " ") + "\n").encode("utf-8")
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            view = memoryview(data)
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
            os.fsync(self._fd)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        try:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1
        finally:
            super().close()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class _AuditFormatter(JsonFormatter):
    """Only the fields given in the record's dict message, in ENTRY_FIELDS order."""

    def __init__(self) -> None:
        super().__init__(
            fmt=[], reserved_attrs=list(logging.LogRecord("", 0, "", 0, "", None, None).__dict__)
        )

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        ordered = {name: log_data.get(name) for name in ENTRY_FIELDS}
        ordered.update({k: v for k, v in log_data.items() if k not in ordered and k != "message"})
        return ordered


def utc_timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class AuditLog:
    """Writes mutation entries for one stack to one file (thread-safe)."""

    _counter = 0
    _counter_lock = threading.Lock()

    def __init__(self, path: Path, stack: str) -> None:
        self.path = Path(path)
        self.stack = stack
        with AuditLog._counter_lock:
            AuditLog._counter += 1
            n = AuditLog._counter
        self._logger = logging.getLogger(f"genesys_flows.audit.{os.getpid()}.{n}")
        self._logger.propagate = False
        self._logger.setLevel(logging.INFO)
        self._handler = FsyncHandler(self.path)
        self._handler.setFormatter(_AuditFormatter())
        self._logger.addHandler(self._handler)

    def record(
        self, event: MutationEvent, *, flow_key: str | None = None, client_id: str | None = None
    ) -> dict[str, Any]:
        """Append the entry for `event`; returns it once it is on disk (`OSError` when it could not be
        written)."""
        entry = mutation_entry(event, self.stack, flow_key=flow_key, client_id=client_id)
        self._logger.info(entry)
        return entry

    def append(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Append a ready-made entry (an intent or its outcome, see provider/governance/intents.py);
        returns it once it is on disk (`OSError` when it could not be written)."""
        full = {"timestamp": utc_timestamp(), "stack": self.stack, "pid": os.getpid(), **entry}
        self._logger.info(full)
        return full

    @property
    def location(self) -> str:
        """Where the entries are (for messages and as the journal's cache key)."""
        return str(self.path)

    def entries(self) -> list[dict[str, Any]]:
        """Every entry of the file, oldest first (all stacks: the caller filters)."""
        return read(self.path).entries

    def close(self) -> None:
        self._logger.removeHandler(self._handler)
        self._handler.close()


def mutation_entry(
    event: MutationEvent, stack: str, *, flow_key: str | None, client_id: str | None
) -> dict[str, Any]:
    """The audit entry of a mutation (a fixed set of fields: never a secret or a token), and, when the
    write replaced someone's work, `replaced` (whose lock, which version: names, ids, versions, times)."""
    entry: dict[str, Any] = {
        "timestamp": utc_timestamp(),
        "event": "mutation",
        "action": event.action,
        "stack": stack,
        "flow_key": flow_key,
        "flow_id": event.flow_id,
        "flow_name": event.flow_name,
        "version_before": event.version_before,
        "version_after": event.version_after,
        "outcome": event.outcome,
        "error_code": event.error_code,
        "correlation_id": event.correlation_id,
        "latency_s": round(float(event.latency_s), 6),
        "client_id": event.client_id or client_id,
        "pid": os.getpid(),
    }
    if event.replaced:
        entry["replaced"] = {str(k): v for k, v in event.replaced.items()}
    return entry


@dataclass(frozen=True)
class ReadResult:
    entries: list[dict[str, Any]]
    invalid_lines: int  # lines that are not JSON objects (e.g. a torn last line of another writer)


def parse_time(text: str) -> datetime:
    """An ISO 8601 time (a date alone means its midnight UTC; no zone means UTC)."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def iter_lines(path: Path) -> Iterator[str]:
    with open(path, encoding="utf-8", errors="replace") as fh:
        yield from fh


def matches(entry: dict[str, Any], *, since: datetime | None, flow: str | None) -> bool:
    """Whether an entry is at or after `since` (an unreadable time is not) and about `flow` (its key,
    id or name), each filter when given."""
    if since is not None:
        try:
            if parse_time(str(entry.get("timestamp", ""))) < since:
                return False
        except ValueError:
            return False
    return flow is None or flow in (entry.get("flow_key"), entry.get("flow_id"), entry.get("flow_name"))


def read(path: Path, *, since: datetime | None = None, flow: str | None = None) -> ReadResult:
    """The entries of the audit file, oldest first, filtered by time and flow (key, id or name)."""
    entries: list[dict[str, Any]] = []
    invalid = 0
    if not Path(path).is_file():  # missing, or a device (/dev/full reads zeros forever): no entries
        return ReadResult([], 0)
    for line in iter_lines(Path(path)):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            invalid += 1
            continue
        if not isinstance(entry, dict):
            invalid += 1
            continue
        if matches(entry, since=since, flow=flow):
            entries.append(entry)
    return ReadResult(entries, invalid)
