"""`archctl import`, `promote` and `schema`: adopting flows, promoting between stacks, the
JSON schemas."""

from __future__ import annotations

import argparse
import json

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

    report = promote.promote(
        args.source,
        args.target,
        flows_dir=getattr(args, "flows", None),
        progress=out.note,
        skip_checks=args.skip_source_check,
    )
    out.emit(report.to_json(), report.render())
    return EXIT_OK if report.ok else EXIT_DIFF


def cmd_schema(args: argparse.Namespace, out: Output) -> int:
    names = [args.command_name] if args.command_name else sorted(cli_schemas.SCHEMAS)
    docs = {name: cli_schemas.schema(name) for name in names}
    doc = docs[names[0]] if args.command_name else docs
    out.out.write(json.dumps(doc, indent=2) + "\n")
    return EXIT_OK
