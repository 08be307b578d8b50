"""Human renderings: tables, the reference graph as Mermaid or Graphviz, the metrics summary."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], len(value))
    line = "  ".join(h.ljust(widths[i]) for i, h in enumerate(headers)).rstrip()
    sep = "  ".join("-" * w for w in widths)
    body = ["  ".join(v.ljust(widths[i]) for i, v in enumerate(row)).rstrip() for row in cells]
    return "\n".join([line, sep, *body])


def _mermaid_id(key: str) -> str:
    return "f_" + "".join(c if c.isalnum() else "_" for c in key)


def render_mermaid(nodes: list[dict[str, str]], edges: list[dict[str, Any]]) -> str:
    lines = ["graph LR"]
    for n in nodes:
        label = f"{n['key']}<br/>{n['name']}<br/>{n['type']} · {n['lifecycle_state']}".replace('"', "#quot;")
        shape = ("([", "])") if n["lifecycle_state"] == "published" else ("[", "]")
        lines.append(f'  {_mermaid_id(n["key"])}{shape[0]}"{label}"{shape[1]}')
    for e in edges:
        arrow = " -.->|by name| " if e.get("by_name") else " --> "  # closes a cycle: bound by name
        lines.append(f"  {_mermaid_id(e['from'])}{arrow}{_mermaid_id(e['to'])}")
    return "\n".join(lines) + "\n"


def render_dot(nodes: list[dict[str, str]], edges: list[dict[str, Any]]) -> str:
    def q(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["digraph flows {", "  rankdir=LR;", "  node [shape=box, fontname=Helvetica];"]
    for n in nodes:
        label = f"{n['key']}\\n{n['name']}\\n{n['type']} · {n['lifecycle_state']}".replace('"', '\\"')
        style = ', style="rounded,bold"' if n["lifecycle_state"] == "published" else ""
        lines.append(f'  {q(n["key"])} [label="{label}"{style}];')
    for e in edges:
        style = ' [style=dashed, label="by name"]' if e.get("by_name") else ""  # closes a cycle
        lines.append(f"  {q(e['from'])} -> {q(e['to'])}{style};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _v(value: Any) -> str:
    return "-" if value is None else str(value)


def _metrics_human(summary: dict[str, Any]) -> str:
    lines = [
        f"stack {summary['stack']}: {summary['total_requests']} request(s) "
        f"from {len(summary['processes'])} process(es)"
    ]
    lat = [
        [
            r["method"],
            r["path"],
            r["count"],
            _ms(r["p50_s"]),
            _ms(r["p95_s"]),
            _ms(r["p99_s"]),
            _ms(r["max_s"]),
        ]
        for r in summary["latency"]
    ]
    if lat:
        lines += ["", _table(["method", "path", "calls", "p50", "p95", "p99", "max"], lat)]
    req = [[r["method"], r["path"], r["status"], r["count"]] for r in summary["requests"]]
    if req:
        lines += ["", _table(["method", "path", "status", "count"], req)]
    muts = [[m["action"], m["outcome"], m["count"]] for m in summary["mutations"]]
    if muts:
        lines += ["", _table(["mutation", "outcome", "count"], muts)]
    rl = summary["rate_limit"]

    def pairs(rows: list[dict[str, Any]], name: str) -> str:
        return ", ".join(f"{row[name]}={row['count']}" for row in rows) or "none"

    lines += [
        "",
        "retries: " + pairs(summary["retries"], "reason"),
        "conflicts: " + pairs(summary["conflicts"], "resolution"),
        f"rate limited: {rl['responses_429']} 429 response(s), {rl['waits']} wait(s), "
        f"{rl['wait_seconds']:.2f}s waited",
        "validation failures: " + pairs(summary["validation_failures"], "rule"),
    ]
    return "\n".join(lines)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.1f}ms"
