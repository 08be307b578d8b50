"""`archctl audit` and `archctl metrics`: the audit trail and the metrics files, read back."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from provider.cli.common import EXIT_OK, CliError, Output, _configured_path, _parse_since
from provider.cli.render import _metrics_human, _table, _v
from provider.governance import audit as audit_mod
from provider.governance import metrics as metrics_mod
from provider.governance import s3_trail, telemetry
from provider.governance.trail import remote_backend


def cmd_audit(args: argparse.Namespace, out: Output) -> int:
    configured = _configured_path(args.file, args.stack, "audit_log")
    backend = None if configured or os.environ.get(telemetry.AUDIT_LOG_ENV) else remote_backend()
    if backend:  # the trail is in the state's bucket (provider/governance/s3_trail.py)
        try:
            read = s3_trail.read_all(
                backend, stack=args.stack, since=_parse_since(args.since), flow=args.flow
            )
        except (OSError, ValueError) as exc:
            raise CliError(f"the audit trail could not be read: {exc}", "connection") from None
        path: object = s3_trail.Location.parse(backend).where
        result = audit_mod.ReadResult(read, 0)
    else:
        path = configured or telemetry.default_audit_log()
        result = audit_mod.read(Path(str(path)), since=_parse_since(args.since), flow=args.flow)
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
            _replaced(e.get("replaced")),
        ]
        for e in entries
    ]
    human = _table(
        [
            "time (UTC)",
            "stack",
            "action",
            "flow",
            "id",
            "version",
            "outcome",
            "error",
            "client",
            "took",
            "replaced",
        ],
        rows,
    )
    note = f"\n({result.invalid_lines} unreadable line(s) skipped)" if result.invalid_lines else ""
    out.emit(doc, f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'} in {path}\n{human}{note}")
    return EXIT_OK


def _replaced(value: object) -> str:
    """Whose work the write replaced: "lock of user Bob (held ≥ 300 s)", "2.0 of user Ann (base 1.0)"."""
    if not isinstance(value, dict):
        return ""
    if value.get("what") == "lock":
        age = value.get("lock_age_s")
        held = f" (held ≥ {float(age):.0f} s)" if isinstance(age, int | float) else " (age unknown)"
        who = value.get("holder_name") or value.get("holder_id") or "unknown"
        return f"lock of {value.get('holder_kind') or 'someone'} {who}{held}"
    who = value.get("by_name") or value.get("by_id") or "unknown"
    by = f" of {value.get('by_kind')} {who}" if value.get("by_kind") else f" of {who}"
    base = f" (base {_v(value.get('base_version'))})" if "base_revision" in value else " (taken down)"
    return f"{_v(value.get('version'))}{by}{base}"


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
