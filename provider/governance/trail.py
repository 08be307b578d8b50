"""The audit trail's one interface, and where a stack's trail lives: beside its state.

Two implementations: `AuditLog` (provider/governance/audit.py: one fsynced JSON line per entry in a
local file) for the file backend, `S3Trail` (provider/governance/s3_trail.py: one object per entry in
the state's bucket) for an `s3://` backend. The write-ahead intent journal (intents.py) is kept in the
trail, so it lives where the state lives too: a runner that keeps nothing between jobs (CI) finds the
killed run's intents in the bucket.

Which one: an explicit audit file (the stack's `auditLog`, or $GENESYS_FLOWS_AUDIT_LOG) is used as it
is; otherwise an `s3://` PULUMI_BACKEND_URL means the bucket, anything else the local default file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from provider.platforms.http.recorder import MutationEvent

BACKEND_URL_ENV = "PULUMI_BACKEND_URL"


class Trail(Protocol):
    """One stack's append-only audit trail. `append` and `record` return once the entry is durable
    (`OSError` when it could not be stored: the caller refuses the write it was for)."""

    stack: str

    @property
    def location(self) -> str: ...

    def record(
        self, event: MutationEvent, *, flow_key: str | None = None, client_id: str | None = None
    ) -> dict[str, Any]: ...

    def append(self, entry: dict[str, Any]) -> dict[str, Any]: ...

    def entries(self) -> list[dict[str, Any]]: ...

    def close(self) -> None: ...


def remote_backend(env: Mapping[str, str] | None = None) -> str | None:
    """The `s3://` backend URL the stack's state is in, else None (file backend, or none set):
    PULUMI_BACKEND_URL, else the backend `pulumi login` made current ($PULUMI_HOME/credentials.json)."""
    env = os.environ if env is None else env
    url = env.get(BACKEND_URL_ENV, "").strip()
    if not url:
        home = Path(env.get("PULUMI_HOME") or Path.home() / ".pulumi")
        try:
            current = json.loads((home / "credentials.json").read_text()).get("current")
        except (OSError, ValueError, AttributeError):
            current = None
        url = current.strip() if isinstance(current, str) else ""
    return url if url.startswith("s3://") else None
