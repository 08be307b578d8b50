"""Persistence in SQLite (stdlib `sqlite3`, WAL, `synchronous=FULL`).

Every write runs on one dedicated writer thread inside one `BEGIN IMMEDIATE` transaction that holds
the precondition (`_version`), the rule checks that need other flows (references, cycles, names, flows
in use) and the write itself: two writers can never both pass the same check, and a write is
acknowledged only after its transaction is committed to disk. Reads use their own connection per
thread and see a consistent snapshot (WAL readers never block the writer).

Each flow row keeps the flow's full JSON document as served, and `flow_versions` keeps the full
document of every version, so GETs answer straight from the stored text.
"""

from __future__ import annotations

import asyncio
import functools
import json
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from .errors import ApiError, detail
from .rules import (
    ERR_IMMUTABLE,
    ERR_REF_CYCLE,
    ERR_REF_UNKNOWN,
    ERR_REF_UNPUBLISHED,
    ERR_REQUIRED,
    ERR_TRANSITION,
    LIFECYCLE_STATES,
    TRANSITIONS,
    Problem,
    invalid_payload,
    validate_content,
)

T = TypeVar("T")

FLOWS_PATH = "/api/v2/architect/flows"
SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS flows (
    id TEXT PRIMARY KEY,
    org TEXT NOT NULL,
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    lifecycle_state TEXT NOT NULL,
    version INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    date_created TEXT NOT NULL,
    date_modified TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS flows_live_name ON flows (org, type, name_key) WHERE deleted = 0;
CREATE INDEX IF NOT EXISTS flows_org_name ON flows (org, deleted, name_key);
CREATE INDEX IF NOT EXISTS flows_org_modified ON flows (org, deleted, date_modified);
CREATE TABLE IF NOT EXISTS flow_versions (
    flow_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    lifecycle_state TEXT NOT NULL,
    date_modified TEXT NOT NULL,
    modified_by_client TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (flow_id, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS flow_refs (
    org TEXT NOT NULL,
    src TEXT NOT NULL,
    dst TEXT NOT NULL,
    PRIMARY KEY (src, dst)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS flow_refs_dst ON flow_refs (dst);
CREATE INDEX IF NOT EXISTS flow_refs_org ON flow_refs (org);
CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    org TEXT NOT NULL,
    scopes TEXT NOT NULL,
    issued_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
"""


def now_iso() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def flow_uri(flow_id: str) -> str:
    return f"{FLOWS_PATH}/{flow_id}"


def _not_found(flow_id: str) -> ApiError:
    return ApiError(404, "not.found", f"Flow '{flow_id[:80]}' was not found in this organization.")


def _deleted(flow_id: str) -> ApiError:
    return ApiError(
        410,
        "architect.flow.deleted",
        f"Flow '{flow_id}' was deleted.",
        [detail("architect.flow.deleted", "", flow_id)],
    )


def _conflict(flow_id: str, name: str, sent: int, current: int) -> ApiError:
    return ApiError(
        409,
        "general.resource.conflict",
        f"The version precondition failed: flow '{flow_id}' is at version {current}, not {sent}. "
        f"Current version: {current}.",
        [detail("general.resource.conflict", "_version", flow_id, str(current))],
    )


@dataclass(frozen=True)
class FlowRow:
    id: str
    name: str
    type: str
    lifecycle_state: str
    version: int
    deleted: bool
    doc: str


@dataclass(frozen=True)
class TokenRow:
    client_id: str
    org: str
    scopes: frozenset[str]
    expires_at: float
    revoked: bool


class Store:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="emulator-writer")
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        conn = self.conn()
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(_SCHEMA)
        conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)", (SCHEMA_VERSION,)
        )

    # -- connections and transactions ---------------------------------------------------------------

    def conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30.0)
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA synchronous=FULL")
            self._local.conn = conn
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def _write_tx(self) -> Iterator[sqlite3.Connection]:
        conn = self.conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def _read_tx(self) -> Iterator[sqlite3.Connection]:
        conn = self.conn()
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        """Run one write operation on the writer thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writer, functools.partial(fn, *args))

    def close(self) -> None:
        with suppress(Exception):
            self._writer.submit(self._checkpoint).result(timeout=10)
        self._writer.shutdown(wait=True)
        with self._connections_lock:
            for conn in self._connections:
                with suppress(sqlite3.Error):
                    conn.close()
            self._connections.clear()

    def _checkpoint(self) -> None:
        self.conn().execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- loading ------------------------------------------------------------------------------------

    @staticmethod
    def _row(conn: sqlite3.Connection, org: str, flow_id: str) -> FlowRow | None:
        row = conn.execute(
            "SELECT id, name, type, lifecycle_state, version, deleted, doc FROM flows "
            "WHERE id = ? AND org = ?",
            (flow_id, org),
        ).fetchone()
        if row is None:
            return None
        return FlowRow(row[0], row[1], row[2], row[3], row[4], bool(row[5]), row[6])

    def _live(self, conn: sqlite3.Connection, org: str, flow_id: str) -> FlowRow:
        row = self._row(conn, org, flow_id)
        if row is None:
            raise _not_found(flow_id)
        if row.deleted:
            raise _deleted(flow_id)
        return row

    @staticmethod
    def _live_flows(
        conn: sqlite3.Connection, org: str, ids: Sequence[str]
    ) -> dict[str, tuple[str, str, str, int]]:
        """id -> (name, type, lifecycle_state, version) of the live flows among `ids`."""
        found: dict[str, tuple[str, str, str, int]] = {}
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in conn.execute(
                f"SELECT id, name, type, lifecycle_state, version FROM flows "
                f"WHERE org = ? AND deleted = 0 AND id IN ({marks})",
                (org, *chunk),
            ):
                found[row[0]] = (row[1], row[2], row[3], row[4])
        return found

    @staticmethod
    def _consumers(
        conn: sqlite3.Connection, org: str, flow_id: str, *, published_only: bool
    ) -> list[tuple[str, str]]:
        sql = (
            "SELECT f.id, f.name FROM flow_refs r JOIN flows f ON f.id = r.src "
            "WHERE r.dst = ? AND r.org = ? AND f.deleted = 0"
        )
        if published_only:
            sql += " AND f.lifecycle_state = 'published'"
        return [(r[0], r[1]) for r in conn.execute(sql + " ORDER BY f.name_key, f.id", (flow_id, org))]

    # -- rules that need the organization's flows --------------------------------------------------

    def _reference_problems(
        self,
        conn: sqlite3.Connection,
        org: str,
        flow_id: str | None,
        doc: dict[str, Any],
        *,
        check_cycles: bool = True,
    ) -> list[Problem]:
        problems: list[Problem] = []
        refs: list[str] = doc.get("references", [])
        if not refs:
            return problems
        live = self._live_flows(conn, org, refs)
        published = doc.get("lifecycle_state") == "published"
        for i, ref in enumerate(refs):
            field = f"references[{i}]"
            if flow_id is not None and ref == flow_id:
                problems.append(
                    Problem(
                        ERR_REF_UNKNOWN, field, "A flow cannot reference itself.", ref, doc.get("name", "")
                    )
                )
            elif ref not in live:
                problems.append(
                    Problem(
                        ERR_REF_UNKNOWN,
                        field,
                        f"Reference '{ref[:80]}' names no live flow of this organization.",
                        ref[:200],
                    )
                )
            elif published and live[ref][2] != "published":
                problems.append(
                    Problem(
                        ERR_REF_UNPUBLISHED,
                        field,
                        f"A published flow can reference only published flows; "
                        f"'{live[ref][0]}' ({ref}) is {live[ref][2]}.",
                        ref,
                        live[ref][0],
                    )
                )
        # The graph is acyclic before every write: only changed references can close a cycle.
        if flow_id is not None and check_cycles:
            problems.extend(self._cycle_problems(conn, org, flow_id, doc.get("name", ""), refs, live))
        return problems

    def _cycle_problems(
        self,
        conn: sqlite3.Connection,
        org: str,
        flow_id: str,
        name: str,
        refs: list[str],
        live: dict[str, tuple[str, str, str, int]],
    ) -> list[Problem]:
        graph: dict[str, list[str]] = {}
        for src, dst in conn.execute("SELECT src, dst FROM flow_refs WHERE org = ?", (org,)):
            if src != flow_id:
                graph.setdefault(src, []).append(dst)
        problems: list[Problem] = []
        for i, ref in enumerate(refs):
            if ref == flow_id or ref not in live:
                continue
            # Breadth-first search from `ref` back to this flow: the shortest cycle through this edge.
            parents: dict[str, str | None] = {ref: None}
            queue = [ref]
            found = False
            while queue and not found:
                nxt: list[str] = []
                for node in queue:
                    for dst in graph.get(node, ()):
                        if dst == flow_id:
                            parents[flow_id] = node
                            found = True
                            break
                        if dst not in parents:
                            parents[dst] = node
                            nxt.append(dst)
                    if found:
                        break
                queue = nxt
            if not found:
                continue
            path: list[str] = []
            step: str | None = parents[flow_id]
            while step is not None:
                path.append(step)
                step = parents[step]
            cycle = [flow_id, *reversed(path)]
            names = self._live_flows(conn, org, cycle)
            names[flow_id] = (name, "", "", 0)
            shown = " -> ".join(f"'{names.get(n, ('?',))[0]}' ({n})" for n in [*cycle, flow_id])
            message = f"References form a cycle: {shown}."
            for n in cycle:
                problems.append(
                    Problem(ERR_REF_CYCLE, f"references[{i}]", message, n, names.get(n, ("",))[0])
                )
        return problems

    def _check_name_free(
        self, conn: sqlite3.Connection, org: str, flow_type: str, name: str, exclude: str | None
    ) -> None:
        row = conn.execute(
            "SELECT id, name FROM flows "
            "WHERE org = ? AND type = ? AND name_key = ? AND deleted = 0 AND id != ?",
            (org, flow_type, name.casefold(), exclude or ""),
        ).fetchone()
        if row is not None:
            raise ApiError(
                409,
                "architect.flow.name.duplicate",
                f"Another {flow_type} flow is already named '{row[1]}' "
                "(names are unique per type, case-insensitively).",
                [detail("architect.flow.name.duplicate", "name", row[0], row[1])],
            )

    # -- flow writes --------------------------------------------------------------------------------

    @staticmethod
    def _full(
        flow_id: str, content: dict[str, Any], version: int, created: str, modified: str
    ) -> dict[str, Any]:
        return {
            "id": flow_id,
            "name": content["name"],
            "description": content["description"],
            "type": content["type"],
            "lifecycle_state": content["lifecycle_state"],
            "_version": version,
            "blocks": content["blocks"],
            "references": content["references"],
            "dateCreated": created,
            "dateModified": modified,
            "selfUri": flow_uri(flow_id),
        }

    @staticmethod
    def _insert_version(conn: sqlite3.Connection, full: dict[str, Any], client_id: str, doc: str) -> None:
        conn.execute(
            "INSERT INTO flow_versions "
            "(flow_id, version, lifecycle_state, date_modified, modified_by_client, doc) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (full["id"], full["_version"], full["lifecycle_state"], full["dateModified"], client_id, doc),
        )

    @staticmethod
    def _set_refs(conn: sqlite3.Connection, org: str, flow_id: str, refs: list[str]) -> None:
        conn.execute("DELETE FROM flow_refs WHERE src = ?", (flow_id,))
        conn.executemany(
            "INSERT INTO flow_refs (org, src, dst) VALUES (?, ?, ?)", [(org, flow_id, ref) for ref in refs]
        )

    def create_flow(self, org: str, client_id: str, body: dict[str, Any]) -> tuple[str, str]:
        """Create a flow from a shape-checked body; returns (id, document)."""
        content = {
            "name": body.get("name"),
            "description": body.get("description", ""),
            "type": body.get("type", "INBOUNDCALL"),
            "lifecycle_state": body.get("lifecycle_state"),
            "blocks": body.get("blocks", []),
            "references": body.get("references", []),
        }
        if content["name"] is None:
            del content["name"]
        if content["lifecycle_state"] is None:
            del content["lifecycle_state"]
        problems = validate_content(content, creating=True)
        with self._write_tx() as conn:
            problems += self._reference_problems(conn, org, None, content)
            if problems:
                raise invalid_payload(problems)
            self._check_name_free(conn, org, content["type"], content["name"], None)
            flow_id = str(uuid.uuid4())
            stamp = now_iso()
            full = self._full(flow_id, content, 1, stamp, stamp)
            doc = dumps(full)
            try:
                conn.execute(
                    "INSERT INTO flows (id, org, type, name, name_key, lifecycle_state, version, deleted, "
                    "date_created, date_modified, doc) VALUES (?, ?, ?, ?, ?, ?, 1, 0, ?, ?, ?)",
                    (
                        flow_id,
                        org,
                        full["type"],
                        full["name"],
                        full["name"].casefold(),
                        full["lifecycle_state"],
                        stamp,
                        stamp,
                        doc,
                    ),
                )
            except sqlite3.IntegrityError:
                self._check_name_free(conn, org, content["type"], content["name"], None)
                raise
            self._insert_version(conn, full, client_id, doc)
            self._set_refs(conn, org, flow_id, content["references"])
        return flow_id, doc

    def patch_flow(self, org: str, client_id: str, flow_id: str, body: dict[str, Any]) -> tuple[str, str]:
        """Apply a shape-checked PATCH body; returns (name, document)."""
        with self._write_tx() as conn:
            row = self._live(conn, org, flow_id)
            if "_version" not in body:
                raise invalid_payload(
                    [
                        Problem(
                            ERR_REQUIRED,
                            "_version",
                            "Field '_version' (the version you last read) is required.",
                        )
                    ]
                )
            if body["_version"] != row.version:
                raise _conflict(flow_id, row.name, body["_version"], row.version)
            current = json.loads(row.doc)
            problems: list[Problem] = []
            if "id" in body and body["id"] != flow_id:
                problems.append(Problem(ERR_IMMUTABLE, "id", "Field 'id' cannot be changed.", flow_id))
            if "type" in body and body["type"] != current["type"]:
                problems.append(
                    Problem(
                        ERR_IMMUTABLE,
                        "type",
                        f"Field 'type' cannot be changed (it is {current['type']}).",
                        flow_id,
                    )
                )
            content = {
                key: body.get(key, current[key])
                for key in ("name", "description", "lifecycle_state", "blocks", "references")
            }
            content["type"] = current["type"]
            problems += validate_content(content, creating=False)
            old_state, new_state = current["lifecycle_state"], content["lifecycle_state"]
            if (
                new_state in LIFECYCLE_STATES
                and new_state != old_state
                and (old_state, new_state) not in TRANSITIONS
            ):
                problems.append(
                    Problem(
                        ERR_TRANSITION,
                        "lifecycle_state",
                        f"A flow cannot go from {old_state} to {new_state}.",
                        flow_id,
                    )
                )
            problems += self._reference_problems(
                conn, org, flow_id, content, check_cycles=content["references"] != current["references"]
            )
            if problems:
                raise invalid_payload(problems)
            if old_state == "published" and new_state != "published":
                consumers = self._consumers(conn, org, flow_id, published_only=True)
                if consumers:
                    raise ApiError(
                        409,
                        "architect.flow.in.use",
                        f"Flow '{row.name}' cannot leave published: published flows reference it: "
                        + ", ".join(f"'{n}' ({i})" for i, n in consumers[:20]),
                        [
                            detail("architect.flow.in.use", "lifecycle_state", i, n)
                            for i, n in consumers[:100]
                        ],
                    )
            self._check_name_free(conn, org, content["type"], content["name"], flow_id)
            keys = ("name", "description", "lifecycle_state", "blocks", "references")
            if all(content[k] == current[k] for k in keys):
                return row.name, row.doc
            version = row.version + 1
            stamp = now_iso()
            full = self._full(flow_id, content, version, current["dateCreated"], stamp)
            doc = dumps(full)
            conn.execute(
                "UPDATE flows SET name = ?, name_key = ?, lifecycle_state = ?, version = ?, "
                "date_modified = ?, doc = ? WHERE id = ?",
                (
                    full["name"],
                    full["name"].casefold(),
                    full["lifecycle_state"],
                    version,
                    stamp,
                    doc,
                    flow_id,
                ),
            )
            self._insert_version(conn, full, client_id, doc)
            if content["references"] != current["references"]:
                self._set_refs(conn, org, flow_id, content["references"])
        return full["name"], doc

    def delete_flow(self, org: str, flow_id: str, version: int | None) -> str:
        """Soft-delete a flow; returns its name."""
        with self._write_tx() as conn:
            row = self._live(conn, org, flow_id)
            if version is not None and version != row.version:
                raise _conflict(flow_id, row.name, version, row.version)
            consumers = self._consumers(conn, org, flow_id, published_only=False)
            if consumers:
                raise ApiError(
                    409,
                    "architect.flow.in.use",
                    f"Flow '{row.name}' cannot be deleted: other flows reference it: "
                    + ", ".join(f"'{n}' ({i})" for i, n in consumers[:20]),
                    [detail("architect.flow.in.use", "", i, n) for i, n in consumers[:100]],
                )
            conn.execute("UPDATE flows SET deleted = 1, date_modified = ? WHERE id = ?", (now_iso(), flow_id))
            conn.execute("DELETE FROM flow_refs WHERE src = ?", (flow_id,))
        return row.name

    def reset(self) -> None:
        with self._write_tx() as conn:
            conn.execute("DELETE FROM flows")
            conn.execute("DELETE FROM flow_versions")
            conn.execute("DELETE FROM flow_refs")

    # -- flow reads ---------------------------------------------------------------------------------

    def get_flow(self, org: str, flow_id: str) -> str:
        return self._live(self.conn(), org, flow_id).doc

    def get_flow_name_checked(self, org: str, flow_id: str) -> str:
        """The name of a live flow (404 unknown, 410 deleted)."""
        return self._live(self.conn(), org, flow_id).name

    def list_flows(
        self,
        org: str,
        *,
        name: str | None,
        flow_type: str | None,
        state: str | None,
        sort_by: str,
        sort_order: str,
        offset: int,
        limit: int,
    ) -> tuple[int, list[str]]:
        where = ["org = ?", "deleted = 0"]
        params: list[Any] = [org]
        if name is not None:
            where.append("name_key = ?")
            params.append(name.casefold())
        if flow_type is not None:
            where.append("type = ?")
            params.append(flow_type)
        if state is not None:
            where.append("lifecycle_state = ?")
            params.append(state)
        clause = " AND ".join(where)
        direction = "DESC" if sort_order == "desc" else "ASC"
        column = "date_modified" if sort_by == "dateModified" else "name_key"
        with self._read_tx() as conn:
            total = conn.execute(f"SELECT COUNT(*) FROM flows WHERE {clause}", params).fetchone()[0]
            if offset >= total:
                return total, []
            docs = [
                r[0]
                for r in conn.execute(
                    f"SELECT doc FROM flows WHERE {clause} ORDER BY {column} {direction}, id {direction} "
                    "LIMIT ? OFFSET ?",
                    (*params, limit, offset),
                )
            ]
        return total, docs

    def list_versions(
        self, org: str, flow_id: str, *, offset: int, limit: int
    ) -> tuple[int, list[dict[str, Any]]]:
        with self._read_tx() as conn:
            self._live(conn, org, flow_id)
            total = conn.execute(
                "SELECT COUNT(*) FROM flow_versions WHERE flow_id = ?", (flow_id,)
            ).fetchone()[0]
            if offset >= total:
                return total, []
            rows = conn.execute(
                "SELECT version, lifecycle_state, date_modified, modified_by_client FROM flow_versions "
                "WHERE flow_id = ? ORDER BY version DESC LIMIT ? OFFSET ?",
                (flow_id, limit, offset),
            ).fetchall()
        return total, [
            {"version": r[0], "lifecycle_state": r[1], "dateModified": r[2], "modifiedByClient": r[3]}
            for r in rows
        ]

    def get_version(self, org: str, flow_id: str, version: int) -> str:
        with self._read_tx() as conn:
            self._live(conn, org, flow_id)
            row = conn.execute(
                "SELECT doc FROM flow_versions WHERE flow_id = ? AND version = ?", (flow_id, version)
            ).fetchone()
        if row is None:
            raise ApiError(404, "not.found", f"Flow '{flow_id}' has no version {version}.")
        return str(row[0])

    def dependencies(self, org: str, flow_id: str, *, consumed: bool, consuming: bool) -> dict[str, Any]:
        with self._read_tx() as conn:
            row = self._live(conn, org, flow_id)
            doc = json.loads(row.doc)
            consumed_list: list[dict[str, Any]] = []
            consuming_list: list[dict[str, Any]] = []
            if consumed and doc["references"]:
                live = self._live_flows(conn, org, doc["references"])
                consumed_list = [self._dependency(i, *live[i]) for i in doc["references"] if i in live]
                consumed_list.sort(key=lambda d: (d["name"].casefold(), d["id"]))
            if consuming:
                sql = (
                    "SELECT f.id, f.name, f.type, f.lifecycle_state, f.version FROM flow_refs r "
                    "JOIN flows f ON f.id = r.src WHERE r.dst = ? AND r.org = ? AND f.deleted = 0 "
                    "ORDER BY f.name_key, f.id"
                )
                consuming_list = [self._dependency(*r) for r in conn.execute(sql, (flow_id, org))]
        return {
            "id": row.id,
            "name": row.name,
            "type": row.type,
            "version": row.version,
            "consumedResources": consumed_list,
            "consumingResources": consuming_list,
        }

    @staticmethod
    def _dependency(flow_id: str, name: str, flow_type: str, state: str, version: int) -> dict[str, Any]:
        return {
            "id": flow_id,
            "name": name,
            "type": flow_type,
            "version": version,
            "lifecycle_state": state,
            "selfUri": flow_uri(flow_id),
        }

    # -- tokens -------------------------------------------------------------------------------------

    def insert_token(
        self, token_hash: str, client_id: str, org: str, scopes: frozenset[str], issued: float, expires: float
    ) -> None:
        with self._write_tx() as conn:
            conn.execute(
                "INSERT INTO tokens (token_hash, client_id, org, scopes, issued_at, expires_at, revoked) "
                "VALUES (?, ?, ?, ?, ?, ?, 0)",
                (token_hash, client_id, org, " ".join(sorted(scopes)), issued, expires),
            )

    def find_token(self, token_hash: str) -> TokenRow | None:
        row = (
            self.conn()
            .execute(
                "SELECT client_id, org, scopes, expires_at, revoked FROM tokens WHERE token_hash = ?",
                (token_hash,),
            )
            .fetchone()
        )
        if row is None:
            return None
        return TokenRow(row[0], row[1], frozenset(row[2].split()), row[3], bool(row[4]))

    def revoke_tokens(self, client_id: str | None, now: float) -> list[str]:
        """Revoke the live (unrevoked, unexpired) tokens of a client (all when None); returns their hashes."""
        with self._write_tx() as conn:
            sql = "SELECT token_hash FROM tokens WHERE revoked = 0 AND expires_at > ?"
            params: list[Any] = [now]
            if client_id is not None:
                sql += " AND client_id = ?"
                params.append(client_id)
            hashes = [r[0] for r in conn.execute(sql, params)]
            if client_id is None:
                conn.execute("UPDATE tokens SET revoked = 1")
            else:
                conn.execute("UPDATE tokens SET revoked = 1 WHERE client_id = ?", (client_id,))
        return hashes
