"""`archctl migrate terraform DIR`: a CX-as-Code configuration's flows as definitions
(provider/ops/migrate.py), and with `--stack` adopted by the stack."""

from __future__ import annotations

import argparse

from provider.cli.common import EXIT_DIFF, EXIT_OK, CliError, Output


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser | None = None) -> None:
    p = sub.add_parser(
        "migrate",
        help="turn a CX-as-Code configuration's genesyscloud_flow resources into definitions",
        description="Read the genesyscloud_flow resources of a Terraform configuration (its .tf files) and "
        "write one definition per flow (the Archy file copied, per-flow substitutions); with --stack, "
        "adopt the org's flows into the stack so that its first `pulumi up` shows no change.",
    )
    p.add_argument("source", choices=["terraform"], help="what to migrate from")
    p.add_argument("directory", metavar="DIR", help="the Terraform configuration (one module's folder)")
    p.add_argument("--out", metavar="FOLDER", help="the definitions folder (default: the stack's)")
    p.add_argument("--stack", help="import the org's flows into this stack after writing the definitions")
    p.add_argument("--overwrite", action="store_true", help="replace existing files of the same key")
    p.add_argument("--json", action="store_true", help="print one JSON document (see `archctl schema`)")
    p.set_defaults(func=cmd_migrate)


def cmd_migrate(args: argparse.Namespace, out: Output) -> int:
    from provider.ops import migrate
    from provider.platforms.migrations import TerraformError

    try:
        report, imported = migrate.migrate(
            args.directory, out=args.out, stack=args.stack, overwrite=args.overwrite, note=out.note
        )
    except TerraformError as exc:
        raise CliError(str(exc), kind="configuration") from None
    out.emit(report.to_json(), report.render(imported.render() if imported else ""))
    return EXIT_OK if report.ok else EXIT_DIFF
