"""Pulumi's stack locks in a DIY backend (file:// or s3://), read and removed on purpose.

Pulumi writes `.pulumi/locks/<org>/<project>/<stack>/<id>.json` ({pid, username, hostname,
timestamp}) for the length of an update and refuses a second runner while it exists. A runner killed
-9 leaves its lock behind. On the file backend, scripts/up's backend repair removes a lock whose
process, on this host, is gone (backend_repair.py); a lock in a shared bucket may be another
machine's, whose process nobody here can see: it is only removed by `archctl unlock --stack S`, which
names the lock's host, process and age and asks first (audited).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from provider.deploy.sdk_patches.backend_repair import PROJECT
from provider.governance.s3_trail import Location, StoreError, explain
from provider.procs import pid_alive


@dataclass(frozen=True)
class StackLock:
    key: str  # the file path (file backend) or the object key (s3)
    pid: int | None
    username: str
    hostname: str
    timestamp: datetime | None

    def age_s(self, now: datetime | None = None) -> float | None:
        if self.timestamp is None:
            return None
        return ((now or datetime.now(UTC)) - self.timestamp).total_seconds()

    def describe(self) -> str:
        age = self.age_s()
        age_text = "of unknown age" if age is None else f"taken {_duration(age)} ago"
        when = self.timestamp.isoformat(timespec="seconds") if self.timestamp else "?"
        return f"{self.username}@{self.hostname} (pid {self.pid}) at {when}, {age_text}"

    def alive_here(self) -> bool:
        """Its process runs on this host (then it is not stale)."""
        return self.hostname == socket.gethostname() and self.pid is not None and pid_alive(self.pid)


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def _parse(key: str, content: bytes) -> StackLock:
    try:
        data: dict[str, Any] = json.loads(content)
    except ValueError:
        data = {}
    try:
        stamp: datetime | None = datetime.fromisoformat(str(data.get("timestamp")).replace("Z", "+00:00"))
        if stamp is not None and stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC)
    except ValueError:
        stamp = None
    pid = data.get("pid")
    return StackLock(
        key=key,
        pid=int(pid) if isinstance(pid, int) else None,
        username=str(data.get("username") or "?"),
        hostname=str(data.get("hostname") or "?"),
        timestamp=stamp,
    )


def _file_root(url: str) -> Path:
    return Path(unquote(urlparse(url).path)).expanduser() / ".pulumi"


def stack_locks(
    url: str, stack: str, project: str = PROJECT, env: Mapping[str, str] | None = None
) -> list[StackLock]:
    """The locks of `stack` in the backend at `url` (file:// or s3://; S3 keys from `env` if given)."""
    if url.startswith("s3://"):
        from botocore.exceptions import BotoCoreError, ClientError

        where = Location.parse(url)
        client = where.client(env)
        prefix = f"{where.prefix}.pulumi/locks/"
        found = []
        try:
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=where.bucket, Prefix=prefix):
                for obj in page.get("Contents") or []:
                    key = str(obj["Key"])
                    parts = key[len(prefix) :].split("/")
                    if len(parts) >= 3 and parts[-3:-1] == [project, stack] and key.endswith(".json"):
                        body = client.get_object(Bucket=where.bucket, Key=key)["Body"].read(1 << 16)
                        found.append(_parse(key, body))
        except (BotoCoreError, ClientError) as exc:
            raise StoreError(5, explain(exc, where)) from None
        return found
    root = _file_root(url)
    return [_parse(str(p), p.read_bytes()) for p in sorted(root.glob(f"locks/*/{project}/{stack}/*.json"))]


def remove(url: str, lock: StackLock) -> None:
    if url.startswith("s3://"):
        from botocore.exceptions import BotoCoreError, ClientError

        where = Location.parse(url)
        try:
            where.client().delete_object(Bucket=where.bucket, Key=lock.key)
        except (BotoCoreError, ClientError) as exc:
            raise StoreError(5, explain(exc, where)) from None
    else:
        Path(lock.key).unlink(missing_ok=True)
