"""The real-platform store as the routes use it: `FlowStore` (flows, locks, versions, operations)
plus Archy YAML import jobs, export jobs, out-of-band edits and dependency tracking."""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
import uuid
from collections.abc import Callable
from typing import Any

from ..errors import ApiError
from . import render
from .domain import (
    FLOW_TYPE_OF_OBJECT,
    REF_BOT,
    REF_COMMON_MODULE,
    REF_DIGITAL_BOT,
    REF_INQUEUE,
    REF_TRANSFER_SECURE,
    REF_TYPES,
    STUB_TYPES,
    ArchyError,
    Reference,
    parse_archy,
    stub_yaml,
)
from .flows import FlowRec, FlowStore, held_by, holder_text, snapshot, to_json

IMPORT = "import"
# How a job's Failure names a missing reference of each kind (a transfer names a "flow").
_KIND_WORDS = {
    REF_COMMON_MODULE: "common module",
    REF_BOT: "bot flow",
    REF_DIGITAL_BOT: "digital bot flow",
    REF_INQUEUE: "in-queue flow",
    REF_TRANSFER_SECURE: "secure call flow",
}
EXPORT = "export"


class GenesysStore(FlowStore):
    def publish_as(self, org: str, flow_id: str, actor: dict[str, str], text: str) -> dict[str, Any]:
        """An out-of-band edit: `text` becomes a new checked-in and published version by `actor`."""
        now = time.time()
        with self._tx() as conn:
            self._settle(conn, now)
            rec = self._live(conn, org, flow_id)
            try:
                refs = [r for r in self._resolve(conn, org, parse_archy(text).references, rec)[0] if r]
            except ArchyError:
                refs = []
            self._new_published_version(conn, rec, actor, text, refs, now)
            self._save(conn, rec)
            return self._render(conn, rec)

    def seed_as(self, org: str, actor: dict[str, str], text: str) -> dict[str, Any]:
        """A flow built by someone else (a UI user, e.g. a bot another team owns): created from the
        Archy `text` with one published version by `actor`; 409 when its (type, name) is taken."""
        try:
            doc = parse_archy(text)
        except ArchyError as exc:
            raise ApiError(400, "bad.request", str(exc)) from None
        now = time.time()
        with self._tx() as conn:
            self._settle(conn, now)
            if self._name_taken(conn, org, doc.flow_type, doc.name):
                raise ApiError(409, "architect.flow.already.exists", f"Flow '{doc.name}' already exists.")
            state = self._new_state(doc.description, None)
            rec = self._insert_flow(conn, org, doc.flow_type, doc.name, state)
            refs = [r for r in self._resolve(conn, org, doc.references, rec)[0] if r]
            self._new_published_version(conn, rec, actor, text, refs, now)
            self._save(conn, rec)
            return self._render(conn, rec)

    # -- jobs ---------------------------------------------------------------------------------------

    def register_job(self, org: str, client_id: str, create_stubs: bool, ttl: float) -> dict[str, Any]:
        job_id = str(uuid.uuid4())
        data = {
            "create_stubs": create_stubs,
            "url_sig": secrets.token_urlsafe(24),
            "header_sig": secrets.token_hex(24),
            "expires": time.time() + ttl,
            "messages": [],
            "flow_id": None,
        }
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO gc_jobs (id, org, kind, client_id, status, data) "
                "VALUES (?, ?, ?, ?, 'Registered', ?)",
                (job_id, org, IMPORT, client_id, to_json(data)),
            )
        return {"id": job_id, **data}

    def _job(self, conn: sqlite3.Connection, job_id: str) -> tuple[str, str, str, str, dict[str, Any]] | None:
        row = conn.execute(
            "SELECT org, kind, client_id, status, data FROM gc_jobs WHERE id = ?", (job_id,)
        ).fetchone()
        return None if row is None else (row[0], row[1], row[2], row[3], json.loads(row[4]))

    def upload(
        self,
        job_id: str,
        url_sig: str,
        header_sig: str,
        body: bytes,
        delay: float,
        job_fault: Callable[[], str | None],
    ) -> str | None:
        """Accept an upload; None when accepted, else why it is refused (403)."""
        now = time.time()
        with self._tx() as conn:
            job = self._job(conn, job_id)
            if job is None or job[1] != IMPORT:
                return "No such upload."
            _, _, _, status, data = job
            if not secrets.compare_digest(url_sig, data["url_sig"]):
                return "The request signature does not match."
            if not secrets.compare_digest(header_sig, data["header_sig"]):
                return "A required header is missing or wrong."
            if now >= data["expires"]:
                return "Request has expired."
            if status != "Registered":
                return "This upload URL has already been used."
            forced = job_fault()
            try:
                data["yaml"] = body.decode("utf-8")
            except UnicodeDecodeError:
                data["yaml"] = ""
                forced = forced or "The flow definition is not UTF-8 text."
            data["forced"] = forced
            conn.execute(
                "UPDATE gc_jobs SET status = 'Started', due = ?, data = ? WHERE id = ?",
                (now + delay, to_json(data), job_id),
            )
        if delay <= 0:
            self.settle(time.time())
        return None

    def _finish_job(self, conn: sqlite3.Connection, job_id: str, status: str, data: dict[str, Any]) -> None:
        data.pop("yaml", None) if status == "Failure" else None
        conn.execute(
            "UPDATE gc_jobs SET status = ?, due = NULL, data = ? WHERE id = ?",
            (status, to_json(data), job_id),
        )

    def _complete_job(self, conn: sqlite3.Connection, job_id: str, at: float) -> None:
        job = self._job(conn, job_id)
        assert job is not None
        org, kind, client_id, _, data = job
        if kind == EXPORT:
            self._finish_job(conn, job_id, "Success", data)
            return
        try:
            self._run_import(conn, org, client_id, data, at)
        except ArchyError as exc:
            data["messages"].append(render.job_message(str(exc), at))
            self._finish_job(conn, job_id, "Failure", data)
            return
        self._finish_job(conn, job_id, "Success", data)

    def _resolve(
        self, conn: sqlite3.Connection, org: str, refs: list[Reference], own: FlowRec | None
    ) -> tuple[list[str], list[tuple[Reference, FlowRec | None]]]:
        """Flow ids of the references, and the ones that are unknown or unpublished."""
        ids: list[str] = []
        bad: list[tuple[Reference, FlowRec | None]] = []
        for ref in refs:
            sql = "SELECT id FROM gc_flows WHERE org = ? AND deleted = 0 AND name_key = ?"
            args: list[Any] = [org, ref.name.lower()]
            types = REF_TYPES[ref.kind]
            if types:
                sql += f" AND type IN ({', '.join('?' for _ in types)})"
                args.extend(types)
            candidates = [self._load(conn, org, r[0]) for r in conn.execute(sql, args)]
            found = [c for c in candidates if c is not None]
            # Ambiguous transfer targets: a published flow first, then the secure call flow for a
            # secure transfer, then the type's name (a stable, documented order).
            found.sort(
                key=lambda c: (
                    c.state.get("published") is None,
                    c.type != STUB_TYPES[ref.kind],
                    c.type,
                )
            )
            if own is not None and any(c.id == own.id for c in found):
                continue  # a flow naming itself is not a dependency
            if not found:
                bad.append((ref, None))
                continue
            best = found[0]
            if best.state.get("published") is None:
                bad.append((ref, best))
            ids.append(best.id)
        return ids, bad

    def _run_import(
        self, conn: sqlite3.Connection, org: str, client_id: str, data: dict[str, Any], at: float
    ) -> None:
        if data.get("forced"):
            raise ArchyError(data["forced"])
        text = data.get("yaml", "")
        doc = parse_archy(text)
        actor = render.client_actor(client_id)
        row = conn.execute(
            "SELECT id FROM gc_flows WHERE org = ? AND type = ? AND name_key = ? AND deleted = 0",
            (org, doc.flow_type, doc.name.lower()),
        ).fetchone()
        rec = self._load(conn, org, row[0]) if row is not None else None
        if rec is not None:
            if rec.state.get("lock") is not None and not held_by(rec.state, actor):
                raise ArchyError(
                    f"Flow '{rec.name}' ({rec.type}, {rec.id}) is locked by another entity "
                    f"({holder_text(rec.state)}). You can use the --forceUnlock command line parameter "
                    "to unlock the flow and publish it."
                )
            if self._busy(rec) is not None:
                raise ArchyError(f"Flow '{rec.name}' has an operation in progress.")
        ids, bad = self._resolve(conn, org, doc.references, rec)
        unknown = [ref for ref, found in bad if found is None]
        unpublished = [found for _, found in bad if found is not None]
        if unpublished or (unknown and not data["create_stubs"]):
            parts = [f"'{ref.name}' ({_KIND_WORDS.get(ref.kind, 'flow')}) does not exist" for ref in unknown]
            parts += [f"'{f.name}' ({f.type}) has no published version" for f in unpublished]
            raise ArchyError(
                f"Flow '{doc.name}' references flows that cannot be used: {'; '.join(parts)}."
                + (" Use createStubs to create stubs for unknown flows." if unknown else "")
            )
        for ref in unknown:
            stub_type = STUB_TYPES[ref.kind]
            stub = self._insert_flow(conn, org, stub_type, ref.name, self._new_state(None, None))
            self._new_published_version(conn, stub, actor, stub_yaml(stub_type, ref.name), [], at)
            self._save(conn, stub)
            ids.append(stub.id)
        if rec is None:
            rec = self._insert_flow(
                conn, org, doc.flow_type, doc.name, self._new_state(doc.description, None)
            )
        elif doc.description is not None:
            rec.state["description"] = doc.description
        rec.state["lock"] = None
        self._new_published_version(conn, rec, actor, text, list(dict.fromkeys(ids)), at)
        self._save(conn, rec)
        data["flow_id"] = rec.id

    @snapshot
    def get_job(self, org: str, job_id: str, kind: str) -> tuple[str, dict[str, Any]] | None:
        job = self._job(self.store.conn(), job_id)
        if job is None or job[0] != org or job[1] != kind:
            return None
        return job[3], job[4]

    # -- export jobs --------------------------------------------------------------------------------

    def register_export(
        self, org: str, client_id: str, wanted: list[dict[str, Any]], delay: float
    ) -> dict[str, Any]:
        """`wanted`: [{id | name+type, version, fileName}]; resolved now, content served at download."""
        now = time.time()
        job_id = str(uuid.uuid4())
        with self._tx() as conn:
            self._settle(conn, now)
            items: list[dict[str, Any]] = []
            messages: list[dict[str, Any]] = []
            for want in wanted:
                item, problem = self._export_item(conn, org, want)
                if problem is not None:
                    messages.append(render.job_message(problem, now))
                else:
                    items.append(item)
            data = {
                "items": items,
                "messages": messages,
                "sig": secrets.token_urlsafe(24),
                "total": len(wanted),
            }
            status = "Failure" if messages else "Started"
            conn.execute(
                "INSERT INTO gc_jobs (id, org, kind, client_id, status, due, data) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (job_id, org, EXPORT, client_id, status, None if messages else now + delay, to_json(data)),
            )
        if delay <= 0:
            self.settle(time.time())
        return {"id": job_id, "status": status, "totalFlows": len(wanted)}

    def _export_item(
        self, conn: sqlite3.Connection, org: str, want: dict[str, Any]
    ) -> tuple[dict[str, Any], str | None]:
        rec: FlowRec | None
        if want.get("id"):
            rec = self._load(conn, org, want["id"])
        else:
            row = conn.execute(
                "SELECT id FROM gc_flows WHERE org = ? AND type = ? AND name_key = ? AND deleted = 0",
                (org, want.get("type") or "", str(want.get("name") or "").lower()),
            ).fetchone()
            rec = None if row is None else self._load(conn, org, row[0])
        label = want.get("id") or f"{want.get('type')} '{want.get('name')}'"
        if rec is None or rec.deleted:
            return {}, f"Flow {label} was not found."
        if want.get("version"):
            num = self.parse_version(want["version"])
            if num is None or self._version(conn, rec.id, num) is None:
                return {}, f"Flow '{rec.name}' has no version '{str(want['version'])[:40]}'."
        else:
            num = rec.state.get("published") or rec.state.get("checked_in")
            if num is None:
                return {}, f"Flow '{rec.name}' has no published or checked-in version to export."
        file_name = want.get("fileName") or f"{rec.name}_{rec.type}"
        return {"flow_id": rec.id, "num": num, "file": f"{file_name}.yaml"}, None

    @snapshot
    def download(self, job_id: str, sig: str) -> list[tuple[str, str]] | None:
        """(file name, YAML text) of each exported flow; None when the URL is not valid."""
        conn = self.store.conn()
        job = self._job(conn, job_id)
        if (
            job is None
            or job[1] != EXPORT
            or job[3] != "Success"
            or not secrets.compare_digest(sig, job[4]["sig"])
        ):
            return None
        files: list[tuple[str, str]] = []
        for item in job[4]["items"]:
            row = conn.execute(
                "SELECT config FROM gc_versions WHERE flow_id = ? AND num = ?", (item["flow_id"], item["num"])
            ).fetchone()
            files.append((item["file"], str(row[0] or "") if row else ""))
        return files

    # -- dependency tracking ------------------------------------------------------------------------

    @snapshot
    def consumed(
        self, org: str, flow_id: str, version: str, object_type: str, include_deleted: bool = False
    ) -> list[dict[str, Any]]:
        conn = self.store.conn()
        rec = self._readable(conn, org, flow_id, include_deleted)
        self._check_object_type(rec, object_type)
        v = self._version_or_404(conn, rec, version)
        refs = json.loads(
            conn.execute(
                "SELECT refs FROM gc_versions WHERE flow_id = ? AND num = ?", (rec.id, v["num"])
            ).fetchone()[0]
        )
        result = []
        for ref in refs:
            dep = self._load(conn, org, ref)
            if dep is not None:
                result.append(
                    render.dependency(dep.id, dep.name, dep.type, dep.state.get("published"), dep.deleted)
                )
        return result

    @snapshot
    def consuming(
        self, org: str, flow_id: str, object_type: str, flow_filter: str | None
    ) -> list[dict[str, Any]]:
        conn = self.store.conn()
        rec = self._readable(conn, org, flow_id, False)
        self._check_object_type(rec, object_type)
        pointers = {"published": ("published",), "checkedIn": ("checked_in",)}.get(
            flow_filter or "", ("published", "checked_in")
        )
        return [
            render.dependency(u.id, u.name, u.type, num, False)
            for u, num in self._consumers(conn, org, flow_id, pointers)
        ]

    @staticmethod
    def _check_object_type(rec: FlowRec, object_type: str) -> None:
        if FLOW_TYPE_OF_OBJECT.get(object_type) != rec.type:
            raise ApiError(
                404,
                "architect.dependency.object.not.found",
                f"No {object_type[:40]} object with id '{rec.id}' (flow '{rec.name}' is a {rec.type} flow).",
                extra={"entityId": rec.id},
            )
