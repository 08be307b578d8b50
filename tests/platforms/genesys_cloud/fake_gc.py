"""An in-process fake of the real Genesys Cloud flows API (the contract's section 2 subset the
platform uses), mounted as a requests transport adapter: everything above the socket — the
requestor, auth, retries, the proxy — runs for real. For fast unit tests of decisions and faults;
the emulator process is the faithful one.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from provider.domain import archy
from provider.platforms.http.pool import ClientPool

UPLOAD_HEADERS = {"Content-Type": "text/plain", "x-amz-meta-jobid": ""}


@dataclass
class Version:
    id: str
    type: str
    config: str | None
    consumed: list[str]
    by_user: str | None = None
    by_client: str | None = None


@dataclass
class FFlow:
    id: str
    name: str
    type: str
    description: str = ""
    locked_user: str | None = None
    locked_client: str | None = None
    versions: list[Version] = field(default_factory=list)
    published: str | None = None
    checked_in: str | None = None
    published_by: str | None = None
    deleted: bool = False
    op_pending: int = 0  # GETs before the current operation completes
    op_name: str | None = None


@dataclass
class Fault:
    method: str
    path: str  # prefix of the path
    status: int | None = None  # answer this status without applying
    drop_after: bool = False  # apply, then drop the connection
    count: int = 1
    body: Any = None
    drop_before: bool = False  # drop the connection without applying


class FakeGenesysCloud(BaseAdapter):
    def __init__(self, base_url: str, pool: ClientPool) -> None:
        """Serves `base_url` to the platforms built on `pool` (mounted on the pool's session)."""
        super().__init__()
        self.base_url = base_url
        self.lock = threading.RLock()
        self.flows: dict[str, FFlow] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.exports: dict[str, str] = {}
        self.log: list[tuple[str, str, int | None]] = []
        self.faults: list[Fault] = []
        self.job_polls = 1  # GETs answering Started before a job ends
        self.op_polls = 1  # GETs of the flow before a checkin/publish completes
        self.job_failures: list[str] = []  # texts of the next jobs that fail
        self.rebuilding = 0  # dependency tracking answers 206 this many times
        self.unlock_allowed: set[str] = {"admin"}
        self.delete_hook: Callable[[str], None] | None = None
        self._ids = itertools.count(1)
        pool.session(base_url).mount(base_url, self)

    # ------------------------------------------------------------------ helpers for tests

    def fail_next(
        self,
        method: str,
        path: str,
        *,
        status: int | None = None,
        drop_after: bool = False,
        count: int = 1,
        body: Any = None,
        drop_before: bool = False,
    ) -> None:
        self.faults.append(Fault(method, path, status, drop_after, count, body, drop_before))

    def writes(self) -> list[tuple[str, str, int | None]]:
        return [e for e in self.log if e[0] != "GET" and e[1] != "/oauth/token"]

    def api_calls(self) -> list[tuple[str, str, int | None]]:
        return [e for e in self.log if e[1] != "/oauth/token"]

    def by_name(self, name: str) -> list[FFlow]:
        return [f for f in self.flows.values() if f.name.casefold() == name.casefold() and not f.deleted]

    def seed(self, yaml_text: str, *, user: str | None = "Ann Architect", published: bool = True) -> FFlow:
        with self.lock:
            flow = self._deploy(yaml_text, client=None, user=user)
            if not published:
                flow.published = None
            return flow

    def lock_as_user(self, flow_id: str, user: str) -> None:
        with self.lock:
            self.flows[flow_id].locked_user = user

    def publish_as_user(self, flow_id: str, yaml_text: str, user: str) -> None:
        with self.lock:
            flow = self.flows[flow_id]
            self._new_version(flow, yaml_text, user=user, client=None, publish=True)

    # ------------------------------------------------------------------ the adapter

    def close(self) -> None:
        pass

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        parts = urlsplit(request.url or "")
        path = parts.path
        query = {k: v for k, v in parse_qs(parts.query).items()}
        method = request.method or "GET"
        with self.lock:
            fault = next((f for f in self.faults if f.method == method and path.startswith(f.path)), None)
            if fault is not None:
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                if fault.drop_before:
                    self.log.append((method, path, None))
                    raise requests.exceptions.ConnectionError("connection reset before an answer")
                if fault.status is not None:
                    self.log.append((method, path, fault.status))
                    return self._response(
                        request, fault.status, fault.body or {"code": "injected", "message": "injected"}
                    )
            status, body, headers = self._route(method, path, query, request)
            self.log.append((method, path, status))
        if fault is not None and fault.drop_after:
            raise requests.exceptions.ConnectionError("connection dropped after the request was applied")
        return self._response(request, status, body, headers)

    def _response(
        self, request: requests.PreparedRequest, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> requests.Response:
        resp = requests.Response()
        resp.status_code = status
        resp.request = request
        resp.url = request.url or ""
        if isinstance(body, str):
            resp._content = body.encode()
            ctype = "text/plain"
        else:
            resp._content = b"" if body is None else json.dumps(body).encode()
            ctype = "application/json"
        resp.encoding = "utf-8"
        resp.headers = CaseInsensitiveDict(
            {"Content-Type": ctype, "ININ-Correlation-Id": str(uuid.uuid4()), **(headers or {})}
        )
        return resp

    def _caller(self, request: requests.PreparedRequest) -> str | None:
        auth = request.headers.get("Authorization", "")
        return auth.removeprefix("Bearer tok-") if auth.startswith("Bearer tok-") else None

    def _route(
        self,
        method: str,
        path: str,
        q: dict[str, list[str]],
        request: requests.PreparedRequest,
    ) -> tuple[int, Any, dict[str, str] | None]:
        if path == "/oauth/token":
            raw = request.headers.get("Authorization", "").removeprefix("Basic ")
            client = base64.b64decode(raw).decode().split(":", 1)[0]
            return 200, {"access_token": f"tok-{client}", "expires_in": 3600, "token_type": "bearer"}, None
        if path.startswith("/_upload/"):
            return self._upload(path.rsplit("/", 1)[1], request)
        if path.startswith("/_download/"):
            if "Authorization" in request.headers:
                return 400, {"code": "bearer.on.presigned"}, None
            return 200, self.exports[path.rsplit("/", 1)[1]], None
        client = self._caller(request)
        if client is None:
            return 401, {"code": "bad.credentials"}, None
        one = lambda key: q.get(key, [None])[0]  # noqa: E731
        if path == "/api/v2/flows" and method == "GET":
            return 200, self._listing(one("type"), one("name")), None
        if path == "/api/v2/flows/jobs" and method == "POST":
            job = str(uuid.uuid4())
            self.jobs[job] = {"id": job, "status": "Registered", "polls": 0, "messages": [], "flow": None}
            headers = {**UPLOAD_HEADERS, "x-amz-meta-jobid": job}
            self.jobs[job]["headers"] = headers
            self.jobs[job]["client"] = client
            return (
                200,
                {"id": job, "presignedUrl": f"{self.base_url}/_upload/{job}", "headers": headers},
                None,
            )
        if path.startswith("/api/v2/flows/jobs/") and method == "GET":
            job = self.jobs[path.rsplit("/", 1)[1]]
            if job["status"] == "Started":
                job["polls"] += 1
                if job["polls"] > self.job_polls:
                    job["status"] = job.pop("outcome")
            answer = {
                "id": job["id"],
                "status": job["status"],
                "command": "Publish",
                "messages": [{"text": t, "type": "Error"} for t in job["messages"]],
            }
            if job["flow"]:
                answer["flow"] = {"id": job["flow"]}
            return 200, answer, None
        if path == "/api/v2/flows/export/jobs" and method == "POST":
            body = json.loads(request.body or b"{}")
            ref = body["flows"][0]["flow"]
            flow = self.flows[ref["id"]]
            wanted = ref.get("version") or flow.checked_in
            version = next(v for v in flow.versions if v.id == wanted)
            job = str(uuid.uuid4())
            self.exports[job] = version.config or ""
            return 200, {"id": job, "status": "Started"}, None
        if path.startswith("/api/v2/flows/export/jobs/"):
            job = path.rsplit("/", 1)[1]
            return (
                200,
                {"id": job, "status": "Success", "downloadUrl": f"{self.base_url}/_download/{job}"},
                None,
            )
        if path.startswith("/api/v2/flows/actions/"):
            return self._action(path.rsplit("/", 1)[1], one("flow") or "", client)
        if path.startswith("/api/v2/architect/dependencytracking/"):
            if self.rebuilding > 0:
                self.rebuilding -= 1
                return 206, {"message": "being rebuilt"}, None
            if path.endswith("consumedresources"):
                return 200, self._consumed(one("id") or "", one("version")), None
            return 200, self._consuming(one("id") or "", one("flowFilter") or "published"), None
        if path.startswith("/api/v2/flows/"):
            flow = self.flows.get(path.rsplit("/", 1)[1])
            if flow is None:
                return 404, {"code": "architect.flow.not.found", "status": 404}, None
            if flow.deleted:
                return 410, {"code": "architect.flow.deleted", "status": 410}, None
            if method == "GET":
                if flow.op_pending > 0:
                    flow.op_pending -= 1
                return 200, self._flow_json(flow), None
            if method == "PUT":
                return self._put(flow, json.loads(request.body or b"{}"), client)
            if method == "DELETE":
                return self._delete(flow, client)
        return 404, {"code": "not.found"}, None

    # ------------------------------------------------------------------ behaviour

    def _flow_json(self, flow: FFlow) -> dict[str, Any]:
        def ver(vid: str | None) -> dict[str, Any] | None:
            if vid is None:
                return None
            v = next(x for x in flow.versions if x.id == vid)
            out: dict[str, Any] = {"id": v.id, "type": v.type}
            if v.by_user:
                out["createdBy"] = {"id": v.by_user, "name": v.by_user}
            if v.by_client:
                out["createdByClient"] = {"id": v.by_client}
            return out

        body: dict[str, Any] = {
            "id": flow.id,
            "name": flow.name,
            "type": flow.type,
            "description": flow.description,
            "active": flow.published is not None,
            "deleted": flow.deleted,
            "selfUri": f"/api/v2/flows/{flow.id}",
        }
        if flow.locked_user:
            body["lockedUser"] = {"id": flow.locked_user, "name": flow.locked_user}
        if flow.locked_client:
            body["lockedClient"] = {"id": flow.locked_client, "name": flow.locked_client}
        if flow.published:
            body["publishedVersion"] = ver(flow.published)
        if flow.checked_in:
            body["checkedInVersion"] = ver(flow.checked_in)
        if flow.published_by:
            body["publishedBy"] = {"id": flow.published_by, "name": flow.published_by}
        if flow.op_name:
            done = flow.op_pending <= 0
            body["currentOperation"] = {
                "id": "op",
                "actionName": flow.op_name,
                "complete": done,
                "actionStatus": "SUCCESS" if done else "STARTED",
            }
        return body

    def _listing(self, type_: str | None, name: str | None) -> dict[str, Any]:
        hits = [
            f
            for f in self.flows.values()
            if not f.deleted
            and (type_ is None or f.type.lower() == type_)
            and (name is None or name.casefold() in f.name.casefold())
        ]  # not exact, like the real one
        return {
            "entities": [self._flow_json(f) for f in hits],
            "pageSize": 500,
            "pageNumber": 1,
            "total": len(hits),
        }

    def _new_version(
        self, flow: FFlow, text: str | None, *, user: str | None, client: str | None, publish: bool
    ) -> None:
        consumed: list[str] = []
        if text is not None:
            for ref in archy.parse(text).references:
                target = next(
                    (
                        f
                        for f in self.flows.values()
                        if not f.deleted and f.name.casefold() == ref.name.casefold()
                    ),
                    None,
                )
                if target is not None:
                    consumed.append(target.id)
        vid = f"{len(flow.versions) + 1}.0"
        flow.versions.append(Version(vid, "PUBLISH" if publish else "CHECKIN", text, consumed, user, client))
        flow.checked_in = vid
        if publish:
            flow.published = vid
            flow.published_by = user or client

    def _deploy(self, text: str, *, client: str | None, user: str | None) -> FFlow:
        doc = archy.parse(text)
        flow = next(
            (
                f
                for f in self.flows.values()
                if not f.deleted and f.type == doc.type and f.name.casefold() == doc.name.casefold()
            ),
            None,
        )
        if flow is None:
            flow = FFlow(id=str(uuid.uuid4()), name=doc.name, type=doc.type, description=doc.description)
            self.flows[flow.id] = flow
        flow.description = doc.description
        self._new_version(flow, text, user=user, client=client, publish=True)
        return flow

    def _upload(
        self, job_id: str, request: requests.PreparedRequest
    ) -> tuple[int, Any, dict[str, str] | None]:
        job = self.jobs.get(job_id)
        if job is None or "Authorization" in request.headers:
            return 403, {"code": "forbidden"}, None
        for key, value in job["headers"].items():
            if request.headers.get(key) != value:
                return 403, {"code": "signature.mismatch"}, None
        if job["status"] != "Registered":
            return 403, {"code": "already.used"}, None
        text = (request.body or b"").decode() if isinstance(request.body, bytes) else str(request.body)
        job["status"] = "Started"
        if self.job_failures:
            job["outcome"] = "Failure"
            job["messages"] = [self.job_failures.pop(0)]
            return 200, None, None
        doc = archy.parse(text)
        existing = next(
            (
                f
                for f in self.flows.values()
                if not f.deleted and f.type == doc.type and f.name.casefold() == doc.name.casefold()
            ),
            None,
        )
        if existing is not None and (
            existing.locked_user or (existing.locked_client and existing.locked_client != job["client"])
        ):
            job["outcome"] = "Failure"
            job["messages"] = [f"Flow {doc.name} is locked by another entity. Use --forceUnlock"]
            return 200, None, None
        flow = self._deploy(text, client=job["client"], user=None)
        flow.locked_client = None
        job["outcome"] = "Success"
        job["flow"] = flow.id
        return 200, None, None

    def _action(self, name: str, flow_id: str, client: str) -> tuple[int, Any, dict[str, str] | None]:
        flow = self.flows.get(flow_id)
        if flow is None:
            return 404, {"code": "architect.flow.not.found"}, None
        if flow.deleted:
            return 410, {"code": "architect.flow.deleted"}, None
        other = flow.locked_user or (flow.locked_client if flow.locked_client != client else None)
        if name == "checkout":
            if other:
                return (
                    409,
                    {"code": "architect.flow.locked.by.user", "message": "Flow is locked by another user"},
                    None,
                )
            flow.locked_client = client
            return 200, self._flow_json(flow), None
        if name == "checkin":
            if flow.locked_client != client:
                return 409, {"code": "architect.flow.not.locked.by.user"}, None
            config = (
                next(v.config for v in flow.versions if v.id == flow.checked_in) if flow.checked_in else None
            )
            was_published = flow.published
            self._new_version(flow, config, user=None, client=client, publish=False)
            flow.published = was_published
            flow.locked_client = None
            flow.op_name, flow.op_pending = "CHECKIN", self.op_polls
            return (
                200,
                {"id": "op", "complete": False, "actionName": "CHECKIN", "actionStatus": "STARTED"},
                None,
            )
        if name == "publish":
            if other:
                return 409, {"code": "architect.flow.locked.by.user"}, None
            config = next(v.config for v in flow.versions if v.id == flow.checked_in)
            self._new_version(flow, config, user=None, client=client, publish=True)
            flow.op_name, flow.op_pending = "PUBLISH", self.op_polls
            return (
                200,
                {"id": "op", "complete": False, "actionName": "PUBLISH", "actionStatus": "STARTED"},
                None,
            )
        if name == "deactivate":
            users = [
                f
                for f in self.flows.values()
                if not f.deleted
                and f.published
                and flow.id in next(v.consumed for v in f.versions if v.id == f.published)
            ]
            if users:
                return 409, {"code": "architect.flow.cannot.deactivate.used.in.flows"}, None
            flow.published = None
            return 200, self._flow_json(flow), None
        if name == "unlock":
            if client not in self.unlock_allowed:
                return 403, {"code": "missing.permissions", "message": "Missing architect:flow:unlock"}, None
            flow.locked_user = flow.locked_client = None
            return 200, self._flow_json(flow), None
        return 404, {"code": "not.found"}, None

    def _put(self, flow: FFlow, body: dict[str, Any], client: str) -> tuple[int, Any, dict[str, str] | None]:
        if flow.locked_client != client or flow.locked_user:
            return 409, {"code": "architect.flow.not.locked.by.user"}, None
        clash = [f for f in self.by_name(body.get("name", "")) if f.type == flow.type and f.id != flow.id]
        if clash:
            return 409, {"code": "architect.flow.already.exists"}, None
        flow.name = body.get("name", flow.name)
        flow.description = body.get("description", flow.description)
        return 200, self._flow_json(flow), None

    def _users_of(self, flow_id: str) -> list[FFlow]:
        out = []
        for f in self.flows.values():
            if f.deleted:
                continue
            for vid in {f.published, f.checked_in} - {None}:
                if flow_id in next(v.consumed for v in f.versions if v.id == vid):
                    out.append(f)
                    break
        return out

    def _delete(self, flow: FFlow, client: str) -> tuple[int, Any, dict[str, str] | None]:
        if flow.locked_user or (flow.locked_client and flow.locked_client != client):
            return 405, {"code": "architect.flow.cannot.delete.user.does.not.have.lock"}, None
        users = self._users_of(flow.id)
        if users:
            return (
                409,
                {
                    "code": "architect.flow.cannot.delete.used.in.flows",
                    "message": "in use",
                    "details": [
                        {"errorCode": "used.in.flow", "entityId": u.id, "entityName": u.name} for u in users
                    ],
                },
                None,
            )
        flow.deleted = True
        if self.delete_hook:
            self.delete_hook(flow.id)
        return 200, None, None

    def _consumed(self, flow_id: str, version: str | None) -> dict[str, Any]:
        flow = self.flows[flow_id]
        v = next(x for x in flow.versions if x.id == version)
        return {
            "entities": [
                {"id": i, "name": self.flows[i].name, "type": self.flows[i].type + "FLOW"} for i in v.consumed
            ]
        }

    def _consuming(self, flow_id: str, flow_filter: str) -> dict[str, Any]:
        out = []
        for f in self.flows.values():
            vid = f.published if flow_filter == "published" else f.checked_in
            if f.deleted or vid is None:
                continue
            if flow_id in next(v.consumed for v in f.versions if v.id == vid):
                out.append({"id": f.id, "name": f.name, "type": f.type + "FLOW"})
        return {"entities": out}
