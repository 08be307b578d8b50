"""`archctl`: governance commands for the flows — validate, graph, export, diff, drift, audit, metrics,
import, promote.

Human output by default, `--json` for CI (schemas: `archctl schema COMMAND`, provider/cli_schemas.py).
Exit codes: 0 clean, 1 differences or failures, 2 usage, configuration or connection error.
Run as `archctl ...` (console script) or `python -m provider.cli ...`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn, TextIO

from pulumi import automation as auto

from provider.cli import schemas as cli_schemas
from provider.deploy import sources
from provider.domain import snapshot as snap
from provider.domain.loading import DefinitionError
from provider.errors import ArchitectError, AuthError, ConfigurationError, ForbiddenError, TransportError
from provider.governance import audit as audit_mod
from provider.governance import metrics as metrics_mod
from provider.governance import telemetry
from provider.platforms.http.settings import ConnectionSettings

EXIT_OK = 0
EXIT_DIFF = 1
EXIT_USAGE = 2


class CliError(Exception):
    """A failure that ends the command with exit code 2 (usage, configuration, connection)."""

    def __init__(self, message: str, kind: str = "usage", code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.kind = kind
        self.code = code


@dataclass
class Output:
    """Where results go: stdout for the result, stderr for progress and notes."""

    json_mode: bool
    out: TextIO
    err: TextIO

    def emit(self, doc: dict[str, Any], human: str) -> None:
        if self.json_mode:
            self.out.write(json.dumps(doc, indent=2, sort_keys=False, default=str) + "\n")
        else:
            self.out.write(human.rstrip("\n") + "\n")

    def note(self, text: str) -> None:
        self.err.write(text + "\n")
        self.err.flush()


class Progress:
    """Progress on stderr: a rewritten line on a terminal, else a line every 10% (or every 50 items)."""

    def __init__(self, err: TextIO, label: str) -> None:
        self.err = err
        self.label = label
        self.tty = bool(getattr(err, "isatty", lambda: False)())
        self._last_bucket = -1
        self._shown = False

    def __call__(self, done: int, total: int | None, item: str = "") -> None:
        if self.tty:
            of = f"/{total}" if total else ""
            self.err.write(f"\r{self.label}: {done}{of} {item[:40]:<40}")
            self.err.flush()
            self._shown = True
            return
        bucket = (done * 10 // total) if total else done // 50
        if bucket != self._last_bucket or (total and done == total):
            self._last_bucket = bucket
            of = f"/{total}" if total else ""
            self.err.write(f"{self.label}: {done}{of}\n")
            self.err.flush()

    def done(self, text: str = "") -> None:
        if self.tty and self._shown:
            self.err.write("\r" + " " * 70 + "\r")
        if text:
            self.err.write(f"{self.label}: {text}\n")
        self.err.flush()


# ----------------------------------------------------------------------------------------- helpers


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


def _connection_from_args(args: argparse.Namespace) -> ConnectionSettings:
    try:
        return ConnectionSettings.resolve(
            region=getattr(args, "region", None),
            api_url=getattr(args, "api_url", None),
            client_id=getattr(args, "client_id", None),
        )
    except ConfigurationError as exc:
        raise CliError(str(exc), "configuration") from exc


def _stack(name: str, *, with_state: bool = True) -> sources.StackInfo:
    try:
        return sources.stack_info(name, with_state=with_state)
    except ConfigurationError as exc:
        raise CliError(str(exc), "configuration") from exc


def _parse_since(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return audit_mod.parse_time(text)
    except ValueError as exc:
        raise CliError(
            f"--since {text!r}: expected an ISO 8601 date or time, e.g. 2026-11-28T10:00Z"
        ) from exc


def _configured_path(explicit: str | None, stack: str | None, setting: str) -> Path | None:
    """The option's path, else the stack's configured one (`metrics_dir` or `audit_log`), else None."""
    if explicit:
        return Path(explicit)
    configured = getattr(_stack(stack, with_state=False), setting) if stack else None
    return Path(configured) if configured else None


def _flows_dir(args: argparse.Namespace, info: sources.StackInfo | None = None) -> Path:
    return sources.flows_dir_for(info, getattr(args, "flows", None))


# ---------------------------------------------------------------------------------------- validate


def cmd_validate(args: argparse.Namespace, out: Output) -> int:
    directory = Path(args.directory) if args.directory else sources.project_dir() / "flows"
    subs = _stack(args.stack, with_state=False).substitutions if args.stack else None
    result = sources.validate_definitions(directory, subs)
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


# ------------------------------------------------------------------------------------------- graph


def _mermaid_id(key: str) -> str:
    return "f_" + "".join(c if c.isalnum() else "_" for c in key)


def render_mermaid(nodes: list[dict[str, str]], edges: list[dict[str, str]]) -> str:
    lines = ["graph LR"]
    for n in nodes:
        label = f"{n['key']}<br/>{n['name']}<br/>{n['type']} · {n['lifecycle_state']}".replace('"', "#quot;")
        shape = ("([", "])") if n["lifecycle_state"] == "published" else ("[", "]")
        lines.append(f'  {_mermaid_id(n["key"])}{shape[0]}"{label}"{shape[1]}')
    for e in edges:
        lines.append(f"  {_mermaid_id(e['from'])} --> {_mermaid_id(e['to'])}")
    return "\n".join(lines) + "\n"


def render_dot(nodes: list[dict[str, str]], edges: list[dict[str, str]]) -> str:
    def q(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["digraph flows {", "  rankdir=LR;", "  node [shape=box, fontname=Helvetica];"]
    for n in nodes:
        label = f"{n['key']}\\n{n['name']}\\n{n['type']} · {n['lifecycle_state']}".replace('"', '\\"')
        style = ', style="rounded,bold"' if n["lifecycle_state"] == "published" else ""
        lines.append(f'  {q(n["key"])} [label="{label}"{style}];')
    for e in edges:
        lines.append(f"  {q(e['from'])} -> {q(e['to'])};")
    lines.append("}")
    return "\n".join(lines) + "\n"


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


# ------------------------------------------------------------------------------------------ export


def _live_snapshot(args: argparse.Namespace, out: Output, *, stack: str | None = None) -> snap.Snapshot:
    """The live org of `--stack` (or of the given stack name), else of the explicit connection options."""
    stack_name = stack or getattr(args, "stack", None)
    progress = Progress(out.err, "reading flows")
    if stack_name:
        info = _stack(stack_name)
        connection = info.connection
        known = info.flow_ids
        definitions = sources.definition_docs_or_empty(_flows_dir(args, info), info.substitutions)
        source = {
            "kind": "org",
            "stack": stack_name,
            "api_url": connection.api_base_url,
            "label": f"stack:{stack_name}",
        }
    else:
        connection = _connection_from_args(args)
        known = {}
        definitions = sources.definition_docs_or_empty(_flows_dir(args), {})
        source = {"kind": "org", "api_url": connection.api_base_url, "label": connection.api_base_url}
    client = sources.client_for(connection)
    result = sources.org_snapshot(
        client, known_ids=known, definitions=definitions, source=source, progress=progress
    )
    progress.done(f"{len(result.flows)} flows")
    return result


def cmd_export(args: argparse.Namespace, out: Output) -> int:
    if not (args.stack or args.api_url or args.region):
        raise CliError(
            "export needs --stack S, or --api-url/--region (with the OAuth client in the environment)"
        )
    snapshot = _live_snapshot(args, out)
    progress = Progress(out.err, "writing files")
    paths = snap.write(snapshot, Path(args.out))
    progress.done(f"{len(paths)} files in {args.out}")
    rows = [
        {
            "key": key,
            "id": snapshot.ids.get(key, ""),
            "name": doc["name"],
            "type": doc["type"],
            "file": str(Path(args.out) / f"{key}.yaml"),
        }
        for key, doc in sorted(snapshot.flows.items())
    ]
    doc = {"out": str(args.out), "source": snapshot.label, "count": len(rows), "flows": rows}
    human = _table(["key", "name", "type", "id"], [[r["key"], r["name"], r["type"], r["id"]] for r in rows])
    out.emit(doc, f"exported {len(rows)} flow(s) from {snapshot.label} to {args.out}\n{human}")
    return EXIT_OK


# -------------------------------------------------------------------------------------------- diff


def _resolve_side(spec: str, args: argparse.Namespace, out: Output) -> tuple[snap.Snapshot, str | None]:
    """A diff side: a snapshot folder, a definitions folder, `stack:NAME`, or `live` (the connection
    options). Returns the snapshot and, for a stack, its name."""
    if spec.startswith("stack:"):
        name = spec.split(":", 1)[1]
        return _live_snapshot(args, out, stack=name), name
    if spec == "live":
        return _live_snapshot(args, out), None
    path = Path(spec)
    if path.is_dir():
        if snap.is_snapshot(path) or not any(path.glob("*.yaml")):
            try:
                return snap.read(path), None
            except snap.SnapshotError as exc:
                raise CliError(str(exc)) from exc
        # A definitions folder (no index): substitutions of --stack, if given.
        subs = _stack(args.stack, with_state=False).substitutions if args.stack else {}
        docs = sources.definition_docs(path, subs)
        return snap.Snapshot(flows=docs, source={"kind": "definitions", "label": str(path)}), None
    candidates = sources.project_dir() / "stacks" / f"Pulumi.{spec}.yaml"
    if candidates.exists():
        return _live_snapshot(args, out, stack=spec), spec
    raise CliError(f"{spec!r} is neither a folder, `stack:NAME`, a stack in stacks/, nor `live`")


def cmd_diff(args: argparse.Namespace, out: Output) -> int:
    a, stack_a = _resolve_side(args.a, args, out)
    b, stack_b = _resolve_side(args.b, args, out)
    subs_a = subs_b = None
    if stack_a and stack_b and not args.raw:
        subs_a = _stack(stack_a, with_state=False).substitutions
        subs_b = _stack(stack_b, with_state=False).substitutions
    from provider.deploy import promote

    result = promote.compare(a, b, subs_a, subs_b)
    out.emit(result.to_json(), result.render())
    return EXIT_OK if result.identical else EXIT_DIFF


# ------------------------------------------------------------------------------------------- drift


def cmd_drift(args: argparse.Namespace, out: Output) -> int:
    from provider.deploy import promote

    progress = Progress(out.err, "reading flows")
    result = promote.source_drift(
        args.stack, flows_dir=getattr(args, "flows", None), include_all=args.all, progress=progress
    )
    progress.done()
    doc = {"stack": args.stack, "drift": not result.identical, "diff": result.to_json()}
    human = (
        f"stack {args.stack}: no drift"
        if result.identical
        else f"stack {args.stack}: drift\n{result.render()}"
    )
    out.emit(doc, human)
    return EXIT_OK if result.identical else EXIT_DIFF


# ------------------------------------------------------------------------------------------- audit


def cmd_audit(args: argparse.Namespace, out: Output) -> int:
    path = _configured_path(args.file, args.stack, "audit_log") or telemetry.default_audit_log()
    result = audit_mod.read(path, since=_parse_since(args.since), flow=args.flow)
    entries = [e for e in result.entries if not args.stack or e.get("stack") == args.stack]
    if args.limit:
        entries = entries[-args.limit :]
    doc = {
        "file": str(path),
        "count": len(entries),
        "invalid_lines": result.invalid_lines,
        "entries": entries,
    }
    rows = [
        [
            e.get("timestamp"),
            e.get("stack"),
            e.get("action"),
            e.get("flow_key") or e.get("flow_name"),
            (e.get("flow_id") or "")[:8],
            f"{_v(e.get('version_before'))}→{_v(e.get('version_after'))}",
            e.get("outcome"),
            e.get("error_code") or "",
            e.get("client_id") or "",
            f"{float(e.get('latency_s') or 0) * 1000:.0f}ms",
        ]
        for e in entries
    ]
    human = _table(
        ["time (UTC)", "stack", "action", "flow", "id", "version", "outcome", "error", "client", "took"], rows
    )
    note = f"\n({result.invalid_lines} unreadable line(s) skipped)" if result.invalid_lines else ""
    out.emit(doc, f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'} in {path}\n{human}{note}")
    return EXIT_OK


def _v(value: Any) -> str:
    return "-" if value is None else str(value)


# ----------------------------------------------------------------------------------------- metrics


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


def cmd_metrics(args: argparse.Namespace, out: Output) -> int:
    directory = _configured_path(args.dir, args.stack, "metrics_dir") or telemetry.default_metrics_dir()
    merged = metrics_mod.load(directory, args.stack, _parse_since(args.since))
    written: list[str] = []
    if args.write:
        for stack in sorted(merged):
            written += [str(p) for p in metrics_mod.write_merged(directory, stack)]
    summaries = [merged[s].to_json(samples=False) for s in sorted(merged)]
    doc = {"dir": str(directory), "stacks": summaries, "written": written}
    if summaries:
        human = "\n\n".join(_metrics_human(s) for s in summaries)
    else:
        human = f"no metrics in {directory}" + (f" for stack {args.stack}" if args.stack else "")
    if written:
        human += "\n\nwrote " + ", ".join(written)
    out.emit(doc, human)
    return EXIT_OK


# ------------------------------------------------------------------------------------------ import


def cmd_import(args: argparse.Namespace, out: Output) -> int:
    from provider.deploy import importer

    report = importer.import_stack(
        args.stack, flows_dir=getattr(args, "flows", None), overwrite=args.overwrite, note=out.note
    )
    out.emit(report.to_json(), report.render())
    return EXIT_OK if report.ok else EXIT_DIFF


# ----------------------------------------------------------------------------------------- promote


def cmd_promote(args: argparse.Namespace, out: Output) -> int:
    from provider.deploy import promote

    report = promote.promote(
        args.source,
        args.target,
        flows_dir=getattr(args, "flows", None),
        progress=out.note,
        skip_checks=args.skip_source_check,
    )
    out.emit(report.to_json(), report.render())
    return EXIT_OK if report.ok else EXIT_DIFF


# ------------------------------------------------------------------------------------------ schema


def cmd_schema(args: argparse.Namespace, out: Output) -> int:
    names = [args.command_name] if args.command_name else sorted(cli_schemas.SCHEMAS)
    docs = {name: cli_schemas.schema(name) for name in names}
    doc = docs[names[0]] if args.command_name else docs
    out.out.write(json.dumps(doc, indent=2) + "\n")
    return EXIT_OK


# ------------------------------------------------------------------------------------------ parser


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise CliError(f"{self.prog}: {message}")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print one JSON document (see `archctl schema`)")


def _connection(p: argparse.ArgumentParser, *, stack_help: str) -> None:
    g = p.add_argument_group("organization (a stack, or explicit connection settings)")
    g.add_argument("--stack", help=stack_help)
    g.add_argument("--region", help="Genesys Cloud region, e.g. us-east-1 (or GENESYSCLOUD_REGION)")
    g.add_argument(
        "--api-url", help="explicit API base URL, e.g. http://127.0.0.1:8099 (or GENESYSCLOUD_API_URL)"
    )
    g.add_argument(
        "--client-id",
        help="OAuth client id (or GENESYSCLOUD_OAUTHCLIENT_ID); "
        "the secret is read only from GENESYSCLOUD_OAUTHCLIENT_SECRET",
    )


def _flows_opt(p: argparse.ArgumentParser) -> None:
    p.add_argument("--flows", metavar="DIR", help="the flow definitions folder (default: <project>/flows)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="archctl",
        description="Governance for Genesys Cloud Architect flows as code: validate, graph, export, diff, "
        "drift, audit, metrics, import, promote.",
        epilog="Exit codes: 0 clean, 1 differences or failures, 2 usage, configuration or connection error.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("validate", help="offline validation and pre-check of the definitions")
    p.add_argument("directory", nargs="?", help="definitions folder (default: <project>/flows)")
    p.add_argument("--stack", help="apply this stack's substitutions first (read from its config, offline)")
    _common(p)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("graph", help="the reference graph, as Mermaid or Graphviz source")
    p.add_argument("directory", nargs="?", help="definitions or snapshot folder (default: <project>/flows)")
    p.add_argument("--format", choices=["mermaid", "dot"], default="mermaid")
    p.add_argument("--render", metavar="OUT.svg", help="render with Graphviz `dot` (format from the suffix)")
    _connection(p, stack_help="graph the live org of this stack instead of the definitions")
    _flows_opt(p)
    _common(p)
    p.set_defaults(func=cmd_graph)

    p = sub.add_parser("export", help="snapshot every flow of an org into a folder, one file per flow")
    p.add_argument("--out", required=True, metavar="DIR", help="the snapshot folder")
    _connection(p, stack_help="export the org of this stack (its state names the flows)")
    _flows_opt(p)
    _common(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "diff",
        help="structural differences between two snapshots, a snapshot and an org, or two stacks",
        description="A and B: a snapshot folder, a definitions folder, `stack:NAME` (or a NAME with "
        "stacks/Pulumi.NAME.yaml) for a stack's live org, or `live` for the org given by the connection "
        "options. Two stacks are compared with each stack's substitution values replaced by their "
        "placeholders (--raw: as they are).",
    )
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument(
        "--raw", action="store_true", help="compare two stacks without undoing their substitutions"
    )
    _connection(p, stack_help="the stack whose substitutions apply to a definitions folder, or `live`'s org")
    _flows_opt(p)
    _common(p)
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser(
        "drift", help="the live org of a stack against the definitions (substitutions applied)"
    )
    p.add_argument("--stack", required=True)
    p.add_argument("--all", action="store_true", help="also list live flows neither defined nor in the stack")
    _flows_opt(p)
    _common(p)
    p.set_defaults(func=cmd_drift)

    p = sub.add_parser("audit", help="the audit trail, as a table")
    p.add_argument("--since", help="only entries at or after this time (ISO 8601, UTC if no zone)")
    p.add_argument("--flow", metavar="KEY", help="only this flow (logical key, id or name)")
    p.add_argument("--stack", help="only this stack (and its configured audit log)")
    p.add_argument(
        "--file", help="the audit log (default: $GENESYS_FLOWS_AUDIT_LOG or <project>/.audit/audit.jsonl)"
    )
    p.add_argument("--limit", type=int, help="only the last N entries")
    _common(p)
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("metrics", help="the metrics summaries (all processes merged), as tables")
    p.add_argument("--dir", help="metrics folder (default: $GENESYS_FLOWS_METRICS_DIR or <project>/.metrics)")
    p.add_argument("--stack", help="only this stack")
    p.add_argument("--since", help="only processes started at or after this time")
    p.add_argument(
        "--write", action="store_true", help="also rewrite the merged <stack>.prom and <stack>.json"
    )
    _common(p)
    p.set_defaults(func=cmd_metrics)

    p = sub.add_parser(
        "import", help="adopt the flows of an existing org: write definitions, import into the stack"
    )
    p.add_argument("--stack", required=True)
    p.add_argument(
        "--overwrite", action="store_true", help="replace existing definition files of the same key"
    )
    _flows_opt(p)
    _common(p)
    p.set_defaults(func=cmd_import)

    p = sub.add_parser(
        "promote", help="deploy the target stack after checking the source, then verify parity"
    )
    p.add_argument("source")
    p.add_argument("target")
    p.add_argument(
        "--skip-source-check",
        action="store_true",
        help="do not refuse when the source has pending changes or drift",
    )
    _flows_opt(p)
    _common(p)
    p.set_defaults(func=cmd_promote)

    p = sub.add_parser("schema", help="print the JSON Schema of a command's --json output")
    p.add_argument("command_name", nargs="?", choices=sorted(cli_schemas.SCHEMAS), metavar="COMMAND")
    p.set_defaults(func=cmd_schema, json=True)
    return parser


def _error_kind(exc: Exception) -> str:
    if isinstance(exc, ConfigurationError):
        return "configuration"
    if isinstance(exc, AuthError | ForbiddenError):
        return "auth"
    if isinstance(exc, TransportError):
        return "connection"
    return "failure"


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    out_stream = stdout or sys.stdout
    err_stream = stderr or sys.stderr
    argv = list(sys.argv[1:] if argv is None else argv)
    json_mode = "--json" in argv
    output = Output(json_mode, out_stream, err_stream)
    parser = build_parser()
    try:
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help and --version
            return int(exc.code or 0) if isinstance(exc.code, int) or exc.code is None else EXIT_USAGE
        if not getattr(args, "command", None):
            parser.print_help(err_stream)
            return EXIT_USAGE
        output.json_mode = bool(getattr(args, "json", False))
        func: Callable[[argparse.Namespace, Output], int] = args.func
        return func(args, output)
    except CliError as exc:
        return _fail(output, exc.kind, str(exc), exc.code)
    except (ConfigurationError, AuthError, ForbiddenError, TransportError) as exc:
        return _fail(output, _error_kind(exc), str(exc), EXIT_USAGE)
    except ArchitectError as exc:
        return _fail(output, "failure", str(exc), EXIT_DIFF)
    except DefinitionError as exc:
        return _fail(output, "failure", str(exc), EXIT_DIFF)
    except auto.CommandError as exc:
        return _fail(output, "engine", _engine_message(exc), EXIT_DIFF)
    except KeyboardInterrupt:
        return _fail(output, "failure", "interrupted", EXIT_USAGE)


def _engine_message(exc: Exception) -> str:
    """The useful tail of a failed engine command (its stderr/stdout can be long)."""
    text = str(exc).strip()
    lines = [line for line in text.splitlines() if line.strip()]
    return "\n".join(lines[-40:]) or type(exc).__name__


def _fail(output: Output, kind: str, message: str, code: int) -> int:
    if output.json_mode:
        output.out.write(json.dumps({"error": {"kind": kind, "message": message}}, indent=2) + "\n")
    else:
        output.err.write(f"archctl: error: {message}\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
