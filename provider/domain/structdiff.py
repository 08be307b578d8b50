"""Structural differences between two sets of flows keyed by logical key (see provider/domain/snapshot.py).

Per flow: added (only in B), removed (only in A) or changed. Per changed flow, a list of `Change`s:

- kind "field":      name, description or type differ (a → b)
- kind "lifecycle":  lifecycle_state differs
- kind "reference":  a reference (logical key) added or removed
- kind "block":      blocks are matched by id across the whole tree:
                     "added" / "removed" (with its parent), "moved" (another parent, or another place
                     among the siblings it shares with the other side), "changed" (its type or
                     reference differs; `field` says which)
- kind "content":    the Archy YAML differs (genesys-cloud; compared in canonical form); `a`/`b`
                     hold the differing lines, as a unified diff in `describe`

Ids and versions are never compared (snapshot documents do not hold them).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from provider.domain.fields import FILE_ORDER
from provider.domain.snapshot import FlowDoc, normalize

#: Managed fields compared as plain values ("field" changes); the others have their own kinds.
SCALAR_FIELDS: tuple[str, ...] = tuple(
    f for f in FILE_ORDER if f not in ("lifecycle_state", "references", "blocks")
)

ROOT = "(root)"


@dataclass(frozen=True)
class Change:
    kind: str  # field | lifecycle | reference | block | content
    change: str  # changed | added | removed | moved
    field: str | None = None  # the flow field, or the block field for a changed block
    block: str | None = None  # block id (kind "block")
    a: Any = None
    b: Any = None

    def describe(self) -> str:
        if self.kind == "content":
            return "archy content:\n" + "\n".join(f"      {line}" for line in content_lines(self.a, self.b))
        if self.kind in ("field", "lifecycle"):
            return f"{self.field}: {_show(self.a)} → {_show(self.b)}"
        if self.kind == "reference":
            sign = "+" if self.change == "added" else "-"
            return f"references: {sign} {self.b if self.change == 'added' else self.a}"
        if self.change == "added":
            return f"block {self.block}: added under {self.b}"
        if self.change == "removed":
            return f"block {self.block}: removed from {self.a}"
        if self.change == "moved":
            return f"block {self.block}: moved from {self.a} to {self.b}"
        return f"block {self.block}: {self.field} {_show(self.a)} → {_show(self.b)}"


def content_lines(a: Any, b: Any, limit: int = 40) -> list[str]:
    """A unified diff of two Archy texts (at most `limit` lines)."""
    lines = list(
        difflib.unified_diff(str(a or "").splitlines(), str(b or "").splitlines(), "A", "B", n=1, lineterm="")
    )[2:]
    return lines[:limit] + ([f"... {len(lines) - limit} more line(s)"] if len(lines) > limit else [])


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, str):
        text = value if len(value) <= 80 else value[:77] + "..."
        return repr(text)
    return str(value)


@dataclass
class FlowDiff:
    key: str
    status: str  # added | removed | changed
    name: str
    changes: list[Change] = field(default_factory=list)


@dataclass
class DiffResult:
    a: str
    b: str
    flows: list[FlowDiff] = field(default_factory=list)
    unchanged: int = 0

    @property
    def identical(self) -> bool:
        return not self.flows

    def summary(self) -> dict[str, int]:
        out = {"added": 0, "removed": 0, "changed": 0, "unchanged": self.unchanged}
        for flow in self.flows:
            out[flow.status] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "identical": self.identical,
            "summary": self.summary(),
            "flows": [
                {
                    "key": f.key,
                    "status": f.status,
                    "name": f.name,
                    "changes": [asdict(c) for c in f.changes],
                }
                for f in self.flows
            ],
        }

    def render(self) -> str:
        """Human output: one line per flow, an indented line per change."""
        if self.identical:
            return f"no differences between {self.a} and {self.b} ({self.unchanged} flows)"
        lines = [f"differences between A = {self.a} and B = {self.b}:"]
        marks = {"added": "+", "removed": "-", "changed": "~"}
        for f in self.flows:
            where = {"added": " (only in B)", "removed": " (only in A)", "changed": ""}[f.status]
            lines.append(f"{marks[f.status]} {f.key} [{f.name}]{where}")
            lines.extend(f"    {c.describe()}" for c in f.changes)
        s = self.summary()
        lines.append(
            f"{s['changed']} changed, {s['added']} only in B, {s['removed']} only in A, "
            f"{s['unchanged']} identical"
        )
        return "\n".join(lines)


@dataclass(frozen=True)
class _BlockInfo:
    type: str
    reference: str | None
    parent: str
    children: tuple[str, ...]


def _index(blocks: list[dict[str, Any]]) -> tuple[dict[str, _BlockInfo], dict[str, tuple[str, ...]]]:
    """block id → info, and parent id → ordered child ids (ROOT for the top level)."""
    info: dict[str, _BlockInfo] = {}
    order: dict[str, tuple[str, ...]] = {ROOT: tuple(b["id"] for b in blocks)}
    stack: list[tuple[dict[str, Any], str]] = [(b, ROOT) for b in reversed(blocks)]
    while stack:
        block, parent = stack.pop()
        children = block.get("children") or []
        ids = tuple(c["id"] for c in children)
        # A duplicate id (invalid anyway) keeps its first occurrence.
        info.setdefault(block["id"], _BlockInfo(block["type"], block.get("reference"), parent, ids))
        order.setdefault(block["id"], ids)
        stack.extend((c, block["id"]) for c in reversed(children))
    return info, order


def _lcs(a: list[str], b: list[str]) -> set[str]:
    """The members of a longest common subsequence of a and b."""
    n, m = len(a), len(b)
    table = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            table[i][j] = table[i + 1][j + 1] + 1 if a[i] == b[j] else max(table[i + 1][j], table[i][j + 1])
    out: set[str] = set()
    i = j = 0
    while i < n and j < m:
        if a[i] == b[j]:
            out.add(a[i])
            i += 1
            j += 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    return out


def _position(parent: str, order: Mapping[str, tuple[str, ...]], block: str) -> str:
    siblings = order.get(parent, ())
    index = siblings.index(block) if block in siblings else -1
    return f"{parent}[{index}]"


def diff_blocks(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> list[Change]:
    ia, oa = _index(a)
    ib, ob = _index(b)
    changes: list[Change] = []
    # Moves within the same parent: the common children out of the longest common order.
    reordered: set[str] = set()
    for parent in set(oa) & set(ob):
        if parent != ROOT and (parent not in ia or parent not in ib):
            continue
        common = set(oa[parent]) & set(ob[parent])
        seq_a = [c for c in oa[parent] if c in common]
        seq_b = [c for c in ob[parent] if c in common]
        if seq_a != seq_b:
            reordered |= common - _lcs(seq_a, seq_b)
    for block_id in sorted(set(ia) | set(ib)):
        if block_id not in ib:
            changes.append(Change("block", "removed", block=block_id, a=ia[block_id].parent))
            continue
        if block_id not in ia:
            changes.append(Change("block", "added", block=block_id, b=ib[block_id].parent))
            continue
        x, y = ia[block_id], ib[block_id]
        if x.parent != y.parent or block_id in reordered:
            changes.append(
                Change(
                    "block",
                    "moved",
                    block=block_id,
                    a=_position(x.parent, oa, block_id),
                    b=_position(y.parent, ob, block_id),
                )
            )
        if x.type != y.type:
            changes.append(Change("block", "changed", field="type", block=block_id, a=x.type, b=y.type))
        if x.reference != y.reference:
            changes.append(
                Change("block", "changed", field="reference", block=block_id, a=x.reference, b=y.reference)
            )
    return changes


def diff_flow(a: FlowDoc, b: FlowDoc) -> list[Change]:
    a, b = normalize(a), normalize(b)
    changes: list[Change] = []
    for name in SCALAR_FIELDS:
        if a[name] != b[name]:
            changes.append(Change("field", "changed", field=name, a=a[name], b=b[name]))
    if a["lifecycle_state"] != b["lifecycle_state"]:
        changes.append(
            Change(
                "lifecycle",
                "changed",
                field="lifecycle_state",
                a=a["lifecycle_state"],
                b=b["lifecycle_state"],
            )
        )
    refs_a, refs_b = set(a["references"]), set(b["references"])
    changes.extend(Change("reference", "removed", field="references", a=r) for r in sorted(refs_a - refs_b))
    changes.extend(Change("reference", "added", field="references", b=r) for r in sorted(refs_b - refs_a))
    changes.extend(diff_blocks(a["blocks"], b["blocks"]))
    if (a.get("archy") is not None or b.get("archy") is not None) and a.get("archy") != b.get("archy"):
        changes.append(Change("content", "changed", field="archy", a=a.get("archy"), b=b.get("archy")))
    return changes


def diff(
    a: Mapping[str, FlowDoc],
    b: Mapping[str, FlowDoc],
    *,
    a_label: str = "A",
    b_label: str = "B",
) -> DiffResult:
    result = DiffResult(a_label, b_label)
    for key in sorted(set(a) | set(b)):
        if key not in b:
            result.flows.append(FlowDiff(key, "removed", str(a[key].get("name", ""))))
        elif key not in a:
            result.flows.append(FlowDiff(key, "added", str(b[key].get("name", ""))))
        else:
            changes = diff_flow(a[key], b[key])
            if changes:
                result.flows.append(FlowDiff(key, "changed", str(b[key].get("name", "")), changes))
            else:
                result.unchanged += 1
    return result
