"""`archctl validate` and `archctl graph`: the definitions (or an org) checked and drawn."""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path
from typing import Any

from provider import platforms
from provider.cli.common import EXIT_DIFF, EXIT_OK, CliError, Output, _stack, error_code, error_kind
from provider.cli.org import _live_snapshot
from provider.cli.render import render_dot, render_mermaid
from provider.domain import snapshot as snap
from provider.domain.graph import closing_edges
from provider.ops import sources


def cmd_validate(args: argparse.Namespace, out: Output) -> int:
    info = _stack(args.stack, with_state=False) if args.stack else None
    subs = info.substitutions if info else None
    platform = info.platform if info else None
    if args.directory:
        directory = Path(args.directory)
    elif info is not None:
        directory = sources.flows_dir_for(info)
    else:  # the current stack's folder (its file read offline: no passphrase, no network)
        directory, platform = _current_stack_folder(out)
    result = sources.validate_definitions(directory, subs, platform)
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
        lines += [f"note: {p}: deployed with a stub first (bound by name)" for p in result.notes]
    failed = bool(result.problems)
    if info is not None and not result.problems:  # the org objects the flows name, in its org
        from provider.ops import org_gate

        verdict = org_gate.check_stack(info, directory)
        if verdict.cause is not None:  # the org was not checked at all: an error, not a problem list
            raise CliError(
                verdict.error or str(verdict.cause), error_kind(verdict.cause), error_code(verdict.cause)
            )
        doc["org_objects"] = org_gate.to_json(verdict)
        lines += [m for m in (verdict.error, verdict.warning, verdict.note) if m]
        if (
            verdict.result is not None
            and verdict.result.checked
            and not verdict.error
            and not verdict.warning
        ):
            lines.append(
                f"org objects: {verdict.result.checked} name(s) found in the org of stack {info.stack} "
                f"({verdict.result.calls} read-only call(s))"
            )
        failed = verdict.error is not None
        doc["ok"] = not failed
    out.emit(doc, "\n".join(lines))
    return EXIT_DIFF if failed else EXIT_OK


def _current_stack_folder(out: Output) -> tuple[Path, str | None]:
    """The folder and platform of the current stack (`stack_org.current_stack`: $GENESYS_FLOWS_STACK,
    else gc-dev), from its stack file; <project>/flows when it has none."""
    from provider.deploy import stack_org

    name = stack_org.current_stack()
    values = stack_org.stack_file_values(sources.project_dir(), name)
    if values is None:
        return sources.project_dir() / "flows", None
    folder = values.get("flowsDir")
    path = Path(str(folder)) if folder else Path("flows")
    out.note(f"validating stack {name}'s definitions ({path}); another: --stack NAME or a folder")
    platform = values.get("platform")
    return (
        path if path.is_absolute() else sources.project_dir() / path,
        stack_org.default_platform(str(platform) if platform else None),
    )


def graph_of(
    flows: dict[str, snap.FlowDoc], *, cycles: bool = True
) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """Nodes and edges; with `cycles` (a platform where a cycle deploys), the edges that close a
    cycle are marked `by_name` (elsewhere a cycle is a problem, and nothing closes it)."""
    nodes = [
        {"key": k, "name": d["name"], "type": d["type"], "lifecycle_state": d["lifecycle_state"]}
        for k, d in sorted(flows.items())
    ]
    edges: list[dict[str, Any]] = [
        {"from": k, "to": r} for k, d in sorted(flows.items()) for r in sorted(d["references"])
    ]
    # The references that close a cycle (genesys-cloud deploys them by name, stubbing the target).
    edges_of = {k: [r for r in d["references"] if r in flows] for k, d in flows.items()}
    closing = set(closing_edges(edges_of)) if cycles else set()
    for e in edges:
        if (e["from"], e["to"]) in closing:
            e["by_name"] = True
    for e in edges:  # a reference outside the set still gets a node
        if e["to"] not in flows and not any(n["key"] == e["to"] for n in nodes):
            nodes.append({"key": e["to"], "name": "(outside the set)", "type": "?", "lifecycle_state": "?"})
    return nodes, edges


def cmd_graph(args: argparse.Namespace, out: Output) -> int:
    if args.stack or args.api_url or args.region:
        snapshot = _live_snapshot(args, out)
        flows, source = snapshot.flows, snapshot.label
        name = (
            _stack(args.stack, with_state=False).platform if args.stack else getattr(args, "platform", None)
        )
        cycles = platforms.kind(name).cycles
    else:
        directory = Path(args.directory) if args.directory else sources.project_dir() / "flows"
        cycles = platforms.for_folder(directory).cycles
        if snap.is_snapshot(directory):
            flows, source = snap.read(directory).flows, str(directory)
        else:
            subs = _stack(args.stack, with_state=False).substitutions if args.stack else {}
            flows, source = sources.definition_docs(directory, subs), str(directory)
    nodes, edges = graph_of(flows, cycles=cycles)
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
