"""In-memory request statistics (they reset with the process and with `POST /_emulator/reset`)."""

from __future__ import annotations

import re
import threading
from collections import Counter, deque
from typing import Any

from .genesys.objects import TYPES as ORG_OBJECT_TYPES

FLOWS = "/api/v2/architect/flows"
FLOW = "/api/v2/architect/flows/{flowId}"
VERSIONS = "/api/v2/architect/flows/{flowId}/versions"
VERSION = "/api/v2/architect/flows/{flowId}/versions/{versionId}"
DEPENDENCIES = "/api/v2/architect/dependencytracking/object"
TOKEN = "/oauth/token"
UNMATCHED = "(unmatched)"
# The real Genesys Cloud flows API.
GC_FLOWS = "/api/v2/flows"
GC_FLOW = "/api/v2/flows/{flowId}"
GC_JOBS = "/api/v2/flows/jobs"
GC_JOB = "/api/v2/flows/jobs/{jobId}"
GC_EXPORTS = "/api/v2/flows/export/jobs"
GC_EXPORT = "/api/v2/flows/export/jobs/{jobId}"
GC_UPLOAD = "/_upload/{jobId}"
GC_DOWNLOAD = "/_download/{jobId}"
GC_ACTIONS = {
    a: f"/api/v2/flows/actions/{a}" for a in ("checkout", "checkin", "publish", "deactivate", "unlock")
}

_TEMPLATES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"/api/v2/architect/flows"), FLOWS),
    (re.compile(r"/api/v2/architect/flows/([^/]+)"), FLOW),
    (re.compile(r"/api/v2/architect/flows/([^/]+)/versions"), VERSIONS),
    (re.compile(r"/api/v2/architect/flows/([^/]+)/versions/[^/]+"), VERSION),
    (re.compile(r"/api/v2/architect/dependencytracking/object"), DEPENDENCIES),
    (re.compile(r"/oauth/token"), TOKEN),
    (re.compile(r"/api/v2/flows"), GC_FLOWS),
    (re.compile(r"/api/v2/flows/jobs"), GC_JOBS),
    (re.compile(r"/api/v2/flows/jobs/([^/]+)"), GC_JOB),
    (re.compile(r"/api/v2/flows/export/jobs"), GC_EXPORTS),
    (re.compile(r"/api/v2/flows/export/jobs/([^/]+)"), GC_EXPORT),
    *((re.compile(re.escape(path)), path) for path in GC_ACTIONS.values()),
    (re.compile(r"/api/v2/flows/([^/]+)"), GC_FLOW),
    (re.compile(r"/api/v2/flows/([^/]+)/versions"), "/api/v2/flows/{flowId}/versions"),
    (re.compile(r"/api/v2/flows/([^/]+)/versions/[^/]+"), "/api/v2/flows/{flowId}/versions/{versionId}"),
    (
        re.compile(r"/api/v2/flows/([^/]+)/versions/[^/]+/configuration"),
        "/api/v2/flows/{flowId}/versions/{versionId}/configuration",
    ),
    (re.compile(r"/api/v2/flows/([^/]+)/latestconfiguration"), "/api/v2/flows/{flowId}/latestconfiguration"),
    (
        re.compile(r"/api/v2/architect/dependencytracking/consumedresources"),
        "/api/v2/architect/dependencytracking/consumedresources",
    ),
    (
        re.compile(r"/api/v2/architect/dependencytracking/consumingresources"),
        "/api/v2/architect/dependencytracking/consumingresources",
    ),
    # the org objects flows name (genesys/objects.py): listings and GETs by id
    *((re.compile(re.escape(t.route)), t.route) for t in ORG_OBJECT_TYPES.values()),
    *((re.compile(re.escape(t.route) + r"/[^/]+"), t.route + "/{id}") for t in ORG_OBJECT_TYPES.values()),
    (re.compile(r"/_upload/[^/]+"), GC_UPLOAD),
    (re.compile(r"/_download/[^/]+"), GC_DOWNLOAD),
]
_NOT_COUNTED = re.compile(
    r"/_emulator(/.*)?|/healthz|/openapi\.json|/openapi-genesys-cloud\.json|/docs(/.*)?|/redoc"
)
_WRITE_SUCCESS = {
    ("POST", FLOWS): 201,
    ("PATCH", FLOW): 200,
    ("DELETE", FLOW): 204,
    # The real platform answers 200 to every write (its uploads too).
    ("POST", GC_FLOWS): 200,
    ("PUT", GC_FLOW): 200,
    ("DELETE", GC_FLOW): 200,
    ("POST", GC_JOBS): 200,
    ("POST", GC_EXPORTS): 200,
    ("PUT", GC_UPLOAD): 200,
    **{("POST", path): 200 for path in GC_ACTIONS.values()},
}


def is_counted(path: str) -> bool:
    return _NOT_COUNTED.fullmatch(path) is None


def template_of(path: str) -> tuple[str, str | None]:
    """The path template of a request path, and the flow id in it (if any)."""
    for pattern, template in _TEMPLATES:
        match = pattern.fullmatch(path)
        if match is not None:
            return template, (match.group(1) if match.groups() else None)
    return UNMATCHED, None


class Stats:
    def __init__(self, write_log_size: int = 100_000) -> None:
        self._lock = threading.Lock()
        self._write_log_size = write_log_size
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.requests: Counter[tuple[str, str, int]] = Counter()
            self.total_requests = 0
            self.token_requests = 0
            self.writes = 0
            self.rate_limited = 0
            self.dropped = 0
            self.faults_injected = 0
            self.write_seq = 0
            self.write_log: deque[dict[str, Any]] = deque(maxlen=self._write_log_size)

    def record(self, method: str, path: str, status: int, fault: str | None, state: dict[str, Any]) -> None:
        template, path_flow_id = template_of(path)
        with self._lock:
            self.requests[(method, template, status)] += 1
            self.total_requests += 1
            if template == TOKEN:
                self.token_requests += 1
            if status == 429:
                self.rate_limited += 1
            if fault is not None:
                self.faults_injected += 1
                if fault.startswith("drop"):
                    self.dropped += 1
            if (method, template) in _WRITE_SUCCESS:
                if status == _WRITE_SUCCESS[(method, template)]:
                    self.writes += 1
                self.write_seq += 1
                self.write_log.append(
                    {
                        "seq": self.write_seq,
                        "method": method,
                        "path": template,
                        "flow_id": state.get("flow_id", path_flow_id),
                        "flow_name": state.get("flow_name"),
                        "status": status,
                        "client_id": state.get("client_id"),
                        "org": state.get("org"),
                        "fault": fault,
                    }
                )

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": [
                    {"method": m, "path": p, "status": s, "count": c}
                    for (m, p, s), c in sorted(self.requests.items())
                ],
                "total_requests": self.total_requests,
                "token_requests": self.token_requests,
                "writes": self.writes,
                "rate_limited": self.rate_limited,
                "dropped": self.dropped,
                "faults_injected": self.faults_injected,
                "write_log": list(self.write_log),
            }
