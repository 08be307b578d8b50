"""Persistence of the real-platform flows in the emulator's SQLite database (new tables beside the
Architecture API's, same connections, same single writer thread, WAL + synchronous=FULL).

Asynchronous work (check-in, publish, import and export jobs) completes LAZILY: each carries a due
time (wall clock, persisted), and every real-platform request first settles, in one write
transaction, everything that is due, in due order. Nothing runs in the background, so a restart
(even after kill -9) completes pending work exactly as an uninterrupted server would.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, TypeVar

from ..errors import ApiError, detail
from ..store import Store
from . import render

_SCHEMA = """
CREATE TABLE IF NOT EXISTS gc_flows (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    org TEXT NOT NULL,
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    op_due REAL,
    state TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS gc_flows_live_name ON gc_flows (org, type, name_key) WHERE deleted = 0;
CREATE INDEX IF NOT EXISTS gc_flows_org ON gc_flows (org, deleted);
CREATE INDEX IF NOT EXISTS gc_flows_due ON gc_flows (op_due) WHERE op_due IS NOT NULL;
CREATE TABLE IF NOT EXISTS gc_versions (
    flow_id TEXT NOT NULL,
    num INTEGER NOT NULL,
    doc TEXT NOT NULL,
    config TEXT,
    refs TEXT NOT NULL,
    PRIMARY KEY (flow_id, num)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS gc_jobs (
    id TEXT PRIMARY KEY,
    org TEXT NOT NULL,
    kind TEXT NOT NULL,
    client_id TEXT NOT NULL,
    status TEXT NOT NULL,
    due REAL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS gc_jobs_due ON gc_jobs (due) WHERE due IS NOT NULL;
"""


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def flow_not_found(flow_id: str) -> ApiError:
    return ApiError(
        404,
        "architect.flow.not.found",
        f"Flow '{flow_id[:80]}' was not found.",
        extra={"entityId": flow_id[:80]},
    )


def _flow_deleted(flow_id: str, name: str) -> ApiError:
    return ApiError(
        410,
        "architect.flow.deleted",
        f"Flow '{name}' ({flow_id}) has been deleted.",
        extra={"entityId": flow_id, "entityName": name},
    )


def _conflict(
    code: str, message: str, flow_id: str, name: str, status: int = 409, details: Any = ()
) -> ApiError:
    return ApiError(status, code, message, details, extra={"entityId": flow_id, "entityName": name})


P = ParamSpec("P")
R = TypeVar("R")


def snapshot(read: Callable[Concatenate[Any, P], R]) -> Callable[Concatenate[Any, P], R]:
    """Run a store read in one read transaction: its several queries see one consistent snapshot."""

    @functools.wraps(read)
    def wrapper(self: Any, *args: P.args, **kwargs: P.kwargs) -> R:
        with self.store._read_tx():
            return read(self, *args, **kwargs)

    return wrapper


@dataclass
class FlowRec:
    id: str
    org: str
    type: str
    name: str
    deleted: bool
    state: dict[str, Any]


def holder_text(state: dict[str, Any]) -> str:
    lock = state["lock"]
    return f"{'user' if lock['kind'] == 'user' else 'OAuth client'} '{lock['name']}'"


def held_by(state: dict[str, Any], actor: dict[str, str]) -> bool:
    lock = state.get("lock")
    return lock is not None and lock["kind"] == actor["kind"] and lock["id"] == actor["id"]


class FlowStore:
    """Flows, locks, versions and asynchronous operations (jobs are added by `GenesysStore`)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        store.conn().executescript(_SCHEMA)

    # -- plumbing -----------------------------------------------------------------------------------

    def _tx(self) -> Any:
        return self.store._write_tx()

    def reset(self) -> None:
        with self._tx() as conn:
            for table in ("gc_flows", "gc_versions", "gc_jobs"):
                conn.execute(f"DELETE FROM {table}")

    @staticmethod
    def _load(conn: sqlite3.Connection, org: str, flow_id: str) -> FlowRec | None:
        row = conn.execute(
            "SELECT id, org, type, name, deleted, state FROM gc_flows WHERE id = ? AND org = ?",
            (flow_id, org),
        ).fetchone()
        if row is None:
            return None
        return FlowRec(row[0], row[1], row[2], row[3], bool(row[4]), json.loads(row[5]))

    def _live(self, conn: sqlite3.Connection, org: str, flow_id: str) -> FlowRec:
        rec = self._load(conn, org, flow_id)
        if rec is None:
            raise flow_not_found(flow_id)
        if rec.deleted:
            raise _flow_deleted(flow_id, rec.name)
        return rec

    @staticmethod
    def _save(conn: sqlite3.Connection, rec: FlowRec) -> None:
        op = rec.state.get("op")
        due = op["due"] if op is not None and not op["complete"] else None
        conn.execute(
            "UPDATE gc_flows SET name = ?, name_key = ?, deleted = ?, op_due = ?, state = ? WHERE id = ?",
            (rec.name, rec.name.lower(), int(rec.deleted), due, to_json(rec.state), rec.id),
        )

    @staticmethod
    def _versions(conn: sqlite3.Connection, flow_id: str) -> dict[int, dict[str, Any]]:
        return {
            num: json.loads(doc)
            for num, doc in conn.execute("SELECT num, doc FROM gc_versions WHERE flow_id = ?", (flow_id,))
        }

    def _render(self, conn: sqlite3.Connection, rec: FlowRec) -> dict[str, Any]:
        return render.flow(rec.id, rec.type, rec.name, rec.deleted, rec.state, self._versions(conn, rec.id))

    @staticmethod
    def _version(conn: sqlite3.Connection, flow_id: str, num: int) -> dict[str, Any] | None:
        row = conn.execute(
            "SELECT doc FROM gc_versions WHERE flow_id = ? AND num = ?", (flow_id, num)
        ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    @staticmethod
    def _put_version(
        conn: sqlite3.Connection, flow_id: str, v: dict[str, Any], config: str | None, refs: list[str]
    ) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO gc_versions (flow_id, num, doc, config, refs) VALUES (?, ?, ?, ?, ?)",
            (flow_id, v["num"], to_json(v), config, to_json(refs)),
        )

    @staticmethod
    def _update_version(conn: sqlite3.Connection, flow_id: str, v: dict[str, Any]) -> None:
        conn.execute(
            "UPDATE gc_versions SET doc = ? WHERE flow_id = ? AND num = ?", (to_json(v), flow_id, v["num"])
        )

    def _name_taken(
        self, conn: sqlite3.Connection, org: str, flow_type: str, name: str, but: str = ""
    ) -> bool:
        row = conn.execute(
            "SELECT id FROM gc_flows WHERE org = ? AND type = ? AND name_key = ? AND deleted = 0 AND id != ?",
            (org, flow_type, name.lower(), but),
        ).fetchone()
        return row is not None

    def _insert_flow(
        self, conn: sqlite3.Connection, org: str, flow_type: str, name: str, state: dict[str, Any]
    ) -> FlowRec:
        rec = FlowRec(str(uuid.uuid4()), org, flow_type, name, False, state)
        conn.execute(
            "INSERT INTO gc_flows (id, org, type, name, name_key, state) VALUES (?, ?, ?, ?, ?, ?)",
            (rec.id, org, flow_type, name, name.lower(), to_json(state)),
        )
        return rec

    @staticmethod
    def _new_state(description: str | None, lock: dict[str, str] | None) -> dict[str, Any]:
        return {
            "description": description,
            "lock": lock,
            "published": None,
            "checked_in": None,
            "saved": None,
            "published_by": None,
            "next_num": 1,
            "op": None,
        }

    @staticmethod
    def _busy(rec: FlowRec) -> ApiError | None:
        op = rec.state.get("op")
        if op is not None and not op["complete"]:
            return _conflict(
                "architect.operation.already.in.progress",
                f"Flow '{rec.name}' has a {op['action']} operation in progress; try again when it completes.",
                rec.id,
                rec.name,
            )
        return None

    def _not_busy(self, rec: FlowRec) -> None:
        error = self._busy(rec)
        if error is not None:
            raise error

    # -- settling due work --------------------------------------------------------------------------

    def has_due(self, now: float) -> bool:
        conn = self.store.conn()
        return (
            conn.execute("SELECT 1 FROM gc_flows WHERE op_due <= ? LIMIT 1", (now,)).fetchone() is not None
            or conn.execute("SELECT 1 FROM gc_jobs WHERE due <= ? LIMIT 1", (now,)).fetchone() is not None
        )

    def settle(self, now: float) -> None:
        with self._tx() as conn:
            self._settle(conn, now)

    def _settle(self, conn: sqlite3.Connection, now: float) -> None:
        work: list[tuple[float, str, str]] = [
            (due, "flow", flow_id)
            for flow_id, due in conn.execute("SELECT id, op_due FROM gc_flows WHERE op_due <= ?", (now,))
        ]
        work += [
            (due, "job", job_id)
            for job_id, due in conn.execute("SELECT id, due FROM gc_jobs WHERE due <= ?", (now,))
        ]
        for due, kind, ident in sorted(work):
            if kind == "flow":
                self._complete_operation(conn, ident, due)
            else:
                self._complete_job(conn, ident, due)

    def _complete_job(self, conn: sqlite3.Connection, job_id: str, at: float) -> None:
        raise NotImplementedError  # GenesysStore completes jobs

    def _complete_operation(self, conn: sqlite3.Connection, flow_id: str, at: float) -> None:
        row = conn.execute("SELECT org FROM gc_flows WHERE id = ?", (flow_id,)).fetchone()
        rec = self._load(conn, row[0], flow_id)
        assert rec is not None
        op = rec.state["op"]
        if op["action"] == "CHECKIN":
            self._do_checkin(conn, rec, op["by"], at)
        elif op["action"] == "PUBLISH":
            self._do_publish(conn, rec, op["version"], op["by"], at)
        op["complete"] = True
        op["status"] = "SUCCESS"
        self._save(conn, rec)

    def _do_checkin(self, conn: sqlite3.Connection, rec: FlowRec, actor: dict[str, str], at: float) -> None:
        source = rec.state.get("saved") or rec.state.get("checked_in")
        row = conn.execute(
            "SELECT config, refs FROM gc_versions WHERE flow_id = ? AND num = ?", (rec.id, source)
        ).fetchone()
        num = rec.state["next_num"]
        rec.state["next_num"] = num + 1
        version = {"num": num, "type": "CHECKIN", "created_by": actor, "created": at, "checked_in": at}
        self._put_version(conn, rec.id, version, row[0], json.loads(row[1]))
        rec.state["checked_in"] = num
        rec.state["saved"] = None
        rec.state["lock"] = None

    def _do_publish(
        self, conn: sqlite3.Connection, rec: FlowRec, num: int, actor: dict[str, str], at: float
    ) -> None:
        previous = rec.state.get("published")
        if previous is not None and previous != num:
            old = self._version(conn, rec.id, previous)
            if old is not None:
                old["published_end"] = at
                self._update_version(conn, rec.id, old)
        version = self._version(conn, rec.id, num)
        assert version is not None
        version["type"] = "PUBLISH"
        version["published"] = at
        version.pop("published_end", None)
        self._update_version(conn, rec.id, version)
        rec.state["published"] = num
        rec.state["published_by"] = actor

    # -- reads --------------------------------------------------------------------------------------

    @snapshot
    def get_flow(self, org: str, flow_id: str, include_deleted: bool = False) -> dict[str, Any]:
        conn = self.store.conn()
        rec = self._load(conn, org, flow_id)
        if rec is None:
            raise flow_not_found(flow_id)
        if rec.deleted and not include_deleted:
            raise _flow_deleted(flow_id, rec.name)
        return self._render(conn, rec)

    def flow_name(self, org: str, flow_id: str) -> str | None:
        row = (
            self.store.conn()
            .execute("SELECT name FROM gc_flows WHERE id = ? AND org = ?", (flow_id, org))
            .fetchone()
        )
        return None if row is None else str(row[0])

    @snapshot
    def list_flows(
        self,
        org: str,
        *,
        types: list[str],
        name: str | None,
        include_deleted: bool,
        sort_by: str,
        descending: bool,
        offset: int,
        limit: int,
    ) -> tuple[int, list[dict[str, Any]]]:
        where = ["org = ?"]
        args: list[Any] = [org]
        if types:
            where.append(f"type IN ({','.join('?' * len(types))})")
            args += types
        if name is not None:
            where.append("instr(name_key, ?) > 0")
            args.append(name.lower())
        if not include_deleted:
            where.append("deleted = 0")
        clause = " AND ".join(where)
        conn = self.store.conn()
        column = {"id": "id", "name": "name_key", "type": "type"}[sort_by]
        order = "DESC" if descending else "ASC"
        total = conn.execute(f"SELECT COUNT(*) FROM gc_flows WHERE {clause}", args).fetchone()[0]
        rows = conn.execute(
            f"SELECT id, org, type, name, deleted, state FROM gc_flows WHERE {clause} "
            f"ORDER BY {column} {order}, seq {order} LIMIT ? OFFSET ?",
            (*args, limit, offset),
        ).fetchall()
        docs = [
            self._render(conn, FlowRec(r[0], r[1], r[2], r[3], bool(r[4]), json.loads(r[5]))) for r in rows
        ]
        return total, docs

    def _readable(self, conn: sqlite3.Connection, org: str, flow_id: str, include_deleted: bool) -> FlowRec:
        rec = self._load(conn, org, flow_id)
        if rec is None:
            raise flow_not_found(flow_id)
        if rec.deleted and not include_deleted:
            raise _flow_deleted(flow_id, rec.name)
        return rec

    @snapshot
    def list_versions(
        self, org: str, flow_id: str, include_deleted: bool, offset: int, limit: int
    ) -> tuple[int, list[dict[str, Any]]]:
        conn = self.store.conn()
        rec = self._readable(conn, org, flow_id, include_deleted)
        versions = sorted(self._versions(conn, flow_id).values(), key=lambda v: -v["num"])
        page = versions[offset : offset + limit]
        return len(versions), [render.flow_version(flow_id, rec.name, v) for v in page]

    @staticmethod
    def parse_version(version: str) -> int | None:
        head, dot, tail = version.partition(".")
        if (
            dot
            and tail == "0"
            and head.isascii()
            and head.isdigit()
            and len(head) < 10
            and int(head) >= 1
            and head[0] != "0"
        ):
            return int(head)
        return None

    def _version_or_404(self, conn: sqlite3.Connection, rec: FlowRec, version: str) -> dict[str, Any]:
        num = self.parse_version(version)
        v = None if num is None else self._version(conn, rec.id, num)
        if v is None:
            raise ApiError(
                404,
                "architect.flow.version.missing",
                f"Flow '{rec.name}' has no version '{version[:40]}'.",
                extra={"entityId": rec.id, "entityName": rec.name},
            )
        return v

    @snapshot
    def get_version(self, org: str, flow_id: str, version: str, include_deleted: bool) -> dict[str, Any]:
        conn = self.store.conn()
        rec = self._readable(conn, org, flow_id, include_deleted)
        return render.flow_version(flow_id, rec.name, self._version_or_404(conn, rec, version))

    @snapshot
    def get_configuration(self, org: str, flow_id: str, version: str | None, include_deleted: bool) -> str:
        conn = self.store.conn()
        rec = self._readable(conn, org, flow_id, include_deleted)
        if version is None:
            num = rec.state.get("saved") or rec.state.get("checked_in")
            if num is None:
                raise ApiError(
                    404,
                    "flow.no.config.available",
                    f"Flow '{rec.name}' has no saved or checked-in configuration.",
                    extra={"entityId": rec.id, "entityName": rec.name},
                )
        else:
            num = self._version_or_404(conn, rec, version)["num"]
        row = conn.execute(
            "SELECT config FROM gc_versions WHERE flow_id = ? AND num = ?", (flow_id, num)
        ).fetchone()
        return str(row[0] or "")

    # -- flow writes --------------------------------------------------------------------------------

    def create_flow(
        self, org: str, actor: dict[str, str], flow_type: str, name: str, description: str | None
    ) -> dict[str, Any]:
        with self._tx() as conn:
            self._settle(conn, time.time())
            if self._name_taken(conn, org, flow_type, name):
                raise ApiError(
                    409,
                    "architect.flow.already.exists",
                    f"A flow of type {flow_type} named '{name}' already exists.",
                    extra={"entityName": name},
                )
            rec = self._insert_flow(conn, org, flow_type, name, self._new_state(description, actor))
            return self._render(conn, rec)

    def update_flow(
        self,
        org: str,
        actor: dict[str, str],
        flow_id: str,
        flow_type: str | None,
        name: str,
        description: str | None,
        has_description: bool,
    ) -> dict[str, Any]:
        with self._tx() as conn:
            self._settle(conn, time.time())
            rec = self._live(conn, org, flow_id)
            self._not_busy(rec)
            if not held_by(rec.state, actor):
                raise _conflict(
                    "architect.flow.not.locked.by.user",
                    f"Flow '{rec.name}' is not locked by the caller; check it out first.",
                    rec.id,
                    rec.name,
                )
            if flow_type is not None and flow_type != rec.type:
                raise ApiError(
                    400,
                    "architect.flow.validate.failed",
                    f"The type of flow '{rec.name}' cannot change ({rec.type}).",
                )
            if self._name_taken(conn, org, rec.type, name, but=rec.id):
                raise _conflict(
                    "architect.flow.already.exists",
                    f"A flow of type {rec.type} named '{name}' already exists.",
                    rec.id,
                    name,
                )
            rec.name = name
            if has_description:
                rec.state["description"] = description
            self._save(conn, rec)
            return self._render(conn, rec)

    def _consumers(
        self, conn: sqlite3.Connection, org: str, flow_id: str, pointers: tuple[str, ...]
    ) -> list[tuple[FlowRec, int]]:
        """Other live flows whose version named by one of `pointers` consumes `flow_id`."""
        found: list[tuple[FlowRec, int]] = []
        rows = conn.execute(
            "SELECT f.id, f.org, f.type, f.name, f.deleted, f.state, v.num, v.refs FROM gc_flows f "
            "JOIN gc_versions v ON v.flow_id = f.id WHERE f.org = ? AND f.deleted = 0 AND f.id != ? "
            "AND instr(v.refs, ?) > 0 ORDER BY f.seq",
            (org, flow_id, flow_id),
        ).fetchall()
        seen: set[str] = set()
        for r in rows:
            state = json.loads(r[5])
            if flow_id not in json.loads(r[7]) or r[0] in seen:
                continue
            if any(state.get(p) == r[6] for p in pointers):
                seen.add(r[0])
                found.append((FlowRec(r[0], r[1], r[2], r[3], bool(r[4]), state), r[6]))
        return found

    def _refuse_if_used(
        self, conn: sqlite3.Connection, rec: FlowRec, pointers: tuple[str, ...], code: str, what: str
    ) -> None:
        """409 `code`, one detail per consumer, when a version named by `pointers` of another flow
        uses `rec`; `what` completes "Flow '<name>' …" ({names}: the consumers)."""
        users = self._consumers(conn, rec.org, rec.id, pointers)
        if users:
            names = ", ".join(f"'{u.name}'" for u, _ in users)
            raise _conflict(
                code,
                f"Flow '{rec.name}' {what.format(names=names)}.",
                rec.id,
                rec.name,
                details=[detail(code, "", u.id, u.name) for u, _ in users],
            )

    def delete_flow(self, org: str, actor: dict[str, str], flow_id: str) -> str:
        with self._tx() as conn:
            self._settle(conn, time.time())
            rec = self._live(conn, org, flow_id)
            if rec.state.get("lock") is not None and not held_by(rec.state, actor):
                raise _conflict(
                    "architect.flow.cannot.delete.user.does.not.have.lock",
                    f"Flow '{rec.name}' is locked by {holder_text(rec.state)}; it cannot be deleted.",
                    rec.id,
                    rec.name,
                    status=405,
                )
            self._not_busy(rec)
            self._refuse_if_used(
                conn,
                rec,
                ("published", "checked_in"),
                "architect.flow.cannot.delete.used.in.flows",
                "cannot be deleted: it is used by {names}",
            )
            rec.deleted = True
            rec.state["lock"] = None
            self._save(conn, rec)
            return rec.name

    def checkout(self, org: str, actor: dict[str, str], flow_id: str) -> dict[str, Any]:
        with self._tx() as conn:
            self._settle(conn, time.time())
            rec = self._live(conn, org, flow_id)
            if rec.state.get("lock") is not None and not held_by(rec.state, actor):
                raise _conflict(
                    "architect.flow.locked.by.user",
                    f"Flow '{rec.name}' is locked by {holder_text(rec.state)}.",
                    rec.id,
                    rec.name,
                )
            self._not_busy(rec)
            rec.state["lock"] = actor
            self._save(conn, rec)
            return self._render(conn, rec)

    def _start(
        self, rec: FlowRec, action: str, actor: dict[str, str], now: float, delay: float, **extra: Any
    ) -> dict[str, Any]:
        op = {
            "id": str(uuid.uuid4()),
            "action": action,
            "status": "STARTED",
            "complete": False,
            "by": actor,
            "due": now + delay,
            **extra,
        }
        rec.state["op"] = op
        return render.operation(op)

    def checkin(self, org: str, actor: dict[str, str], flow_id: str, delay: float) -> dict[str, Any]:
        now = time.time()
        with self._tx() as conn:
            self._settle(conn, now)
            rec = self._live(conn, org, flow_id)
            self._not_busy(rec)
            if not held_by(rec.state, actor):
                raise _conflict(
                    "architect.flow.not.locked.by.user",
                    f"Flow '{rec.name}' is not locked by the caller; check it out first.",
                    rec.id,
                    rec.name,
                )
            if rec.state.get("saved") is None and rec.state.get("checked_in") is None:
                raise _conflict(
                    "architect.flow.cannot.checkin.missing.config",
                    f"Flow '{rec.name}' cannot be checked in because there is no saved configuration.",
                    rec.id,
                    rec.name,
                )
            op = self._start(rec, "CHECKIN", actor, now, delay)
            self._save(conn, rec)
        if delay <= 0:
            self.settle(time.time())
        return op

    def _missing_dependencies(
        self, conn: sqlite3.Connection, org: str, refs: list[str]
    ) -> list[tuple[str, str]]:
        missing: list[tuple[str, str]] = []
        for ref in refs:
            dep = self._load(conn, org, ref)
            if dep is None or dep.deleted or dep.state.get("published") is None:
                missing.append((ref, dep.name if dep is not None else ""))
        return missing

    def publish(
        self, org: str, actor: dict[str, str], flow_id: str, version: str | None, delay: float
    ) -> dict[str, Any]:
        now = time.time()
        with self._tx() as conn:
            self._settle(conn, now)
            rec = self._live(conn, org, flow_id)
            if rec.state.get("lock") is not None and not held_by(rec.state, actor):
                raise _conflict(
                    "architect.flow.locked.by.user",
                    f"Flow '{rec.name}' is locked by {holder_text(rec.state)}.",
                    rec.id,
                    rec.name,
                )
            self._not_busy(rec)
            if version is not None:
                num = self._version_or_404(conn, rec, version)["num"]
            else:
                num = rec.state.get("checked_in")
                if num is None:
                    raise _conflict(
                        "architect.flow.cannot.checkin.missing.config",
                        f"Flow '{rec.name}' has no checked-in version to publish.",
                        rec.id,
                        rec.name,
                    )
            refs = json.loads(
                conn.execute(
                    "SELECT refs FROM gc_versions WHERE flow_id = ? AND num = ?", (rec.id, num)
                ).fetchone()[0]
            )
            missing = self._missing_dependencies(conn, org, refs)
            if missing:
                raise _conflict(
                    "architect.flow.cannot.publish.missing.dependencies",
                    f"Flow '{rec.name}' cannot be published: {len(missing)} flow(s) it uses "
                    "have no published version.",
                    rec.id,
                    rec.name,
                    details=[
                        detail("architect.flow.cannot.publish.missing.dependencies", "", i, n)
                        for i, n in missing
                    ],
                )
            op = self._start(rec, "PUBLISH", actor, now, delay, version=num)
            self._save(conn, rec)
        if delay <= 0:
            self.settle(time.time())
        return op

    def deactivate(self, org: str, actor: dict[str, str], flow_id: str) -> dict[str, Any]:
        with self._tx() as conn:
            now = time.time()
            self._settle(conn, now)
            rec = self._live(conn, org, flow_id)
            self._not_busy(rec)
            self._refuse_if_used(
                conn,
                rec,
                ("published",),
                "architect.flow.cannot.deactivate.used.in.flows",
                "cannot be deactivated: published flows use it ({names})",
            )
            num = rec.state.get("published")
            if num is not None:
                v = self._version(conn, rec.id, num)
                if v is not None:
                    v["published_end"] = now
                    self._update_version(conn, rec.id, v)
            rec.state["published"] = None
            rec.state["published_by"] = None
            self._save(conn, rec)
            return self._render(conn, rec)

    def unlock(self, org: str, flow_id: str) -> dict[str, Any]:
        with self._tx() as conn:
            self._settle(conn, time.time())
            rec = self._live(conn, org, flow_id)
            rec.state["lock"] = None
            self._save(conn, rec)
            return self._render(conn, rec)

    # -- admin: acting as a UI user -----------------------------------------------------------------

    def lock_as(
        self, org: str, flow_id: str, actor: dict[str, str], saved_ago: float | None = None
    ) -> dict[str, Any]:
        """Lock the flow as `actor`; with `saved_ago`, the actor also saved a working copy that many
        seconds ago (a SAVE version, `savedVersion`, of the current configuration)."""
        with self._tx() as conn:
            now = time.time()
            self._settle(conn, now)
            rec = self._live(conn, org, flow_id)
            rec.state["lock"] = actor
            source = rec.state.get("saved") or rec.state.get("checked_in")
            if saved_ago is not None and source is not None:
                row = conn.execute(
                    "SELECT config, refs FROM gc_versions WHERE flow_id = ? AND num = ?", (rec.id, source)
                ).fetchone()
                num = rec.state["next_num"]
                rec.state["next_num"] = num + 1
                at = now - saved_ago
                version = {"num": num, "type": "SAVE", "created_by": actor, "created": at, "saved": at}
                self._put_version(conn, rec.id, version, row[0], json.loads(row[1]))
                rec.state["saved"] = num
            self._save(conn, rec)
            return self._render(conn, rec)

    def _new_published_version(
        self,
        conn: sqlite3.Connection,
        rec: FlowRec,
        actor: dict[str, str],
        text: str,
        refs: list[str],
        at: float,
    ) -> None:
        num = rec.state["next_num"]
        rec.state["next_num"] = num + 1
        version = {"num": num, "type": "CHECKIN", "created_by": actor, "created": at, "checked_in": at}
        self._put_version(conn, rec.id, version, text, refs)
        rec.state["checked_in"] = num
        rec.state["saved"] = None
        self._do_publish(conn, rec, num, actor, at)
