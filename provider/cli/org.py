"""`archctl export`, `diff` and `drift`: live orgs as snapshots, compared by logical key."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from provider.cli.common import (
    EXIT_DIFF,
    EXIT_OK,
    CliError,
    Output,
    Progress,
    _connection_from_args,
    _flows_dir,
    _stack,
)
from provider.cli.render import _table
from provider.domain import snapshot as snap
from provider.ops import sources


def _live_snapshot(args: argparse.Namespace, out: Output, *, stack: str | None = None) -> snap.Snapshot:
    """The live org of `--stack` (or of the given stack name), else of the explicit connection options."""
    result: snap.Snapshot = _live_read(args, out, stack=stack, content=False)
    return result


def _live_read(args: argparse.Namespace, out: Output, *, stack: str | None, content: bool) -> Any:
    """The live org as a snapshot; with `content`, the `sources.OrgRead` (on a platform that reads
    content apart: raw texts and per-flow failures) instead."""
    stack_name = stack or getattr(args, "stack", None)
    progress = Progress(out.err, "reading flows")
    if stack_name:
        info = _stack(stack_name)
        connection = info.connection
        platform = sources.platform_for(connection, info.platform, stack=stack_name)
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
        platform = sources.platform_for(connection, getattr(args, "platform", None))
        known = {}
        definitions = sources.definition_docs_or_empty(_flows_dir(args), {})
        source = {"kind": "org", "api_url": connection.api_base_url, "label": connection.api_base_url}
    read = sources.org_read(
        platform, known_ids=known, definitions=definitions, source=source, progress=progress
    )
    progress.done(f"{len(read.snapshot.flows)} flows")
    return (read, platform) if content else read.snapshot


def cmd_export(args: argparse.Namespace, out: Output) -> int:
    if not (args.stack or args.api_url or args.region):
        raise CliError(
            "export needs --stack S, or --api-url/--region (with the OAuth client in the environment)"
        )
    read, platform = _live_read(args, out, stack=None, content=True)
    if read.content_apart:
        return _export_archy(args, out, read, platform)
    snapshot = read.snapshot
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


def _export_archy(args: argparse.Namespace, out: Output, read: sources.OrgRead, platform: Any) -> int:
    """Content read apart (genesys-cloud): `<key>.archy.yaml` + `<key>.yaml` definitions; a flow
    whose export failed is reported (exit 1) and the others are written."""
    out_dir = Path(args.out)
    progress = Progress(out.err, "writing files")
    subs: dict[str, str] | None = None
    definitions_dir: Path | None = None
    if args.stack:  # the stack's placeholders put back: the export deploys to any environment
        info = _stack(args.stack, with_state=False)
        subs, definitions_dir = dict(info.substitutions), _flows_dir(args, info)
    exported = sources.write_export(
        platform, read, out_dir, substitutions=subs, definitions_dir=definitions_dir
    )
    paths, removed, ambiguous = exported.written, exported.removed, exported.ambiguous
    progress.done(f"{len(paths)} files in {out_dir}")
    snapshot = read.snapshot
    rows = [
        {
            "key": key,
            "id": snapshot.ids.get(key, ""),
            "name": doc["name"],
            "type": doc["type"],
            "file": str(out_dir / f"{key}.yaml"),
            "archy_file": str(out_dir / f"{key}.archy.yaml"),
        }
        for key, doc in sorted(snapshot.flows.items())
        if key not in read.errors
    ]
    failed = [{"key": k, "id": snapshot.ids.get(k, ""), "error": e} for k, e in sorted(read.errors.items())]
    doc = {"out": str(out_dir), "source": snapshot.label, "count": len(rows), "flows": rows, "failed": failed}
    doc |= {"removed": [str(p) for p in removed], "ambiguous": ambiguous}
    human = _table(["key", "name", "type", "id"], [[r["key"], r["name"], r["type"], r["id"]] for r in rows])
    lines = [
        f"exported {len(rows)} flow(s) from {snapshot.label} to {out_dir} (Archy YAML + definitions)",
        human,
    ]
    lines += [f"failed: {f['key']} ({f['id']}): {f['error']}" for f in failed]
    lines += [f"removed (a key this export no longer writes): {p.name}" for p in removed]
    lines += [f"ambiguous: {a}" for a in ambiguous]
    out.emit(doc, "\n".join(lines))
    return EXIT_DIFF if failed else EXIT_OK


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
    from provider.ops import promote

    result = promote.compare(a, b, subs_a, subs_b)
    out.emit(result.to_json(), result.render())
    return EXIT_OK if result.identical else EXIT_DIFF


def cmd_drift(args: argparse.Namespace, out: Output) -> int:
    from provider.ops import promote

    progress = Progress(out.err, "reading flows")
    result, published = promote.drift_details(
        args.stack, flows_dir=getattr(args, "flows", None), include_all=args.all, progress=progress
    )
    progress.done()
    doc: dict[str, Any] = {"stack": args.stack, "drift": not result.identical, "diff": result.to_json()}
    if published:
        doc["published"] = published
    human = (
        f"stack {args.stack}: no drift"
        if result.identical
        else f"stack {args.stack}: drift\n{result.render()}"
    )
    for p in published:
        moved = p["state_revision"] is not None and p["state_revision"] != p["revision"]
        human += f"\n{p['key']}: live version published by {p['published_by'] or '(unknown)'}" + (
            f" (version pointers {p['state_revision']} in the state → {p['revision']} live)" if moved else ""
        )
    out.emit(doc, human)
    return EXIT_OK if result.identical else EXIT_DIFF
