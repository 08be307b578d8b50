"""`archctl validate` and `archctl graph`: the definitions (or an org) checked and drawn."""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path

from provider.cli.common import EXIT_DIFF, EXIT_OK, CliError, Output, _stack
from provider.cli.org import _live_snapshot
from provider.cli.render import render_dot, render_mermaid
from provider.domain import snapshot as snap
from provider.ops import sources


def cmd_validate(args: argparse.Namespace, out: Output) -> int:
    info = _stack(args.stack, with_state=False) if args.stack else None
    directory = Path(args.directory) if args.directory else sources.flows_dir_for(info)
    subs = info.substitutions if info else None
    result = sources.validate_definitions(directory, subs, info.platform if info else None)
    doc = {
        "ok": not result.problems,
        "directory": str(directory),
        "flows": result.keys,
        "order": result.order,
        "problems": [
            {"flow": p.flow, "field": p.field, "rule": p.rule, "message": p.message} for p in result.problems
        ],
    }
    if result.problems:
        lines = [f"{len(result.problems)} problem(s) in {directory}:"]
        lines += [f"  {p.flow}: {p.field or '(flow)'}: {p.rule}: {p.message}" for p in result.problems]
    else:
        lines = [f"{len(result.keys)} flow definition(s) in {directory}: no problems"]
        if result.order:
            lines.append("deploy order: " + ", ".join(result.order))
    out.emit(doc, "\n".join(lines))
    return EXIT_DIFF if result.problems else EXIT_OK


def graph_of(flows: dict[str, snap.FlowDoc]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    nodes = [
        {"key": k, "name": d["name"], "type": d["type"], "lifecycle_state": d["lifecycle_state"]}
        for k, d in sorted(flows.items())
    ]
    edges = [{"from": k, "to": r} for k, d in sorted(flows.items()) for r in sorted(d["references"])]
    for e in edges:  # a reference outside the set still gets a node
        if e["to"] not in flows and not any(n["key"] == e["to"] for n in nodes):
            nodes.append({"key": e["to"], "name": "(outside the set)", "type": "?", "lifecycle_state": "?"})
    return nodes, edges


def cmd_graph(args: argparse.Namespace, out: Output) -> int:
    if args.stack or args.api_url or args.region:
        snapshot = _live_snapshot(args, out)
        flows, source = snapshot.flows, snapshot.label
    else:
        directory = Path(args.directory) if args.directory else sources.project_dir() / "flows"
        if snap.is_snapshot(directory):
            flows, source = snap.read(directory).flows, str(directory)
        else:
            subs = _stack(args.stack, with_state=False).substitutions if args.stack else {}
            flows, source = sources.definition_docs(directory, subs), str(directory)
    nodes, edges = graph_of(flows)
    text = render_mermaid(nodes, edges) if args.format == "mermaid" else render_dot(nodes, edges)
    rendered = None
    if args.render:
        dot = shutil.which("dot")
        if dot is None:
            raise CliError("--render needs Graphviz's `dot` on PATH (e.g. apt-get install graphviz)", "usage")
        target = Path(args.render)
        fmt = target.suffix.lstrip(".") or "svg"
        proc = subprocess.run(
            [dot, f"-T{fmt}", "-o", str(target)],
            input=render_dot(nodes, edges),
            text=True,
            capture_output=True,
            check=False,
        )
        if proc.returncode != 0:
            raise CliError(f"dot failed: {proc.stderr.strip()}", "failure", EXIT_DIFF)
        rendered = str(target)
    doc = {
        "source": source,
        "format": args.format,
        "nodes": nodes,
        "edges": edges,
        "text": text,
        "rendered": rendered,
    }
    human = text if not rendered else f"{text}\nrendered to {rendered}"
    out.emit(doc, human)
    return EXIT_OK
