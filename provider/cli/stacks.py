"""`archctl import`, `promote` and `schema`: adopting flows, promoting between stacks, the
JSON schemas."""

from __future__ import annotations

import argparse
import json
import sys

from provider.cli import schemas as cli_schemas
from provider.cli.common import EXIT_DIFF, EXIT_OK, Output


def cmd_import(args: argparse.Namespace, out: Output) -> int:
    from provider.ops import importer

    report = importer.import_stack(
        args.stack, flows_dir=getattr(args, "flows", None), overwrite=args.overwrite, note=out.note
    )
    out.emit(report.to_json(), report.render())
    return EXIT_OK if report.ok else EXIT_DIFF


def cmd_promote(args: argparse.Namespace, out: Output) -> int:
    from provider.ops import promote

    def confirm(report: promote.PromoteReport) -> bool:
        """--yes, else a terminal's answer; a stdin that is not a terminal refuses (CI: --yes)."""
        if args.yes:
            return True
        stdin = sys.stdin
        if stdin is None or not stdin.isatty():
            report.refused = (
                "not confirmed: stdin is not a terminal and --yes was not given; nothing was "
                f"deployed. Review the plan above, then run `archctl promote {args.source} "
                f"{args.target} --yes`"
            )
            return False
        if not out.json_mode:
            out.note(report.render_plan())
            report.plan_shown = True
        out.err.write(f"deploy this plan to stack {args.target}? [y/N] ")
        out.err.flush()
        answer = stdin.readline().strip().lower()
        if answer not in ("y", "yes"):
            report.refused = "not confirmed: nothing was deployed"
            return False
        return True

    report = promote.promote(
        args.source,
        args.target,
        flows_dir=getattr(args, "flows", None),
        progress=out.note,
        skip_checks=args.skip_source_check,
        confirm=confirm,
    )
    out.emit(report.to_json(), report.render())
    return EXIT_OK if report.promoted else EXIT_DIFF


def cmd_schema(args: argparse.Namespace, out: Output) -> int:
    names = [args.command_name] if args.command_name else sorted(cli_schemas.SCHEMAS)
    docs = {name: cli_schemas.schema(name) for name in names}
    doc = docs[names[0]] if args.command_name else docs
    out.out.write(json.dumps(doc, indent=2) + "\n")
    return EXIT_OK
