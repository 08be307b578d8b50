"""`archctl rollback --stack S FLOW [--to VERSION] [--now] [--reason TEXT]`: one flow back to a
published version (provider/ops/rollback.py)."""

from __future__ import annotations

import argparse

from provider.cli.common import EXIT_OK, Output


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "rollback",
        help="put a flow back to a published version: show the diff, rewrite its definition, "
        "publish it now (--now) or with the next deploy",
    )
    p.add_argument("--stack", required=True)
    p.add_argument("flow", help="the flow's logical key (its definition's file name)")
    p.add_argument("--to", metavar="VERSION", help="the version (default: the previous published one)")
    p.add_argument(
        "--now",
        action="store_true",
        help="also publish it now (a deploy of this one flow), instead of with the next deploy",
    )
    p.add_argument("--reason", default="", help="why, for the audit trail")
    p.add_argument("--json", action="store_true", help="print one JSON document (see `archctl schema`)")
    p.set_defaults(func=cmd_rollback)


def cmd_rollback(args: argparse.Namespace, out: Output) -> int:
    from provider.ops import rollback

    report = rollback.rollback_stack(
        args.stack, args.flow, to=args.to, now=args.now, reason=args.reason, note=out.note
    )
    out.emit(report.to_json(), report.render())
    return EXIT_OK
