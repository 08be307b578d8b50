"""`archctl`: governance commands for the flows — validate, graph, export, diff, drift, audit, metrics,
import, promote, migrate, rollback.

Human output by default, `--json` for CI (schemas: `archctl schema COMMAND`, provider/cli/schemas.py).
Exit codes: 0 clean, 1 differences or failures, 2 usage, configuration or connection error.
Run as `archctl ...` (console script) or `python -m provider.cli ...`.

This module parses and dispatches; each command lives in its own module of this package, the
rendering in `render`, what they share in `common`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn, TextIO

from pulumi import automation as auto

from provider import platforms
from provider.cli import schemas as cli_schemas
from provider.cli.common import EXIT_DIFF, EXIT_OK, EXIT_USAGE, CliError, Output, error_kind
from provider.cli.definitions import cmd_graph, cmd_validate
from provider.cli.logs import cmd_audit, cmd_metrics
from provider.cli.migrate import add_parser as add_migrate
from provider.cli.org import cmd_diff, cmd_drift, cmd_export
from provider.cli.rollback import add_parser as add_rollback
from provider.cli.stacks import cmd_import, cmd_promote, cmd_schema
from provider.cli.unlock import cmd_unlock
from provider.domain.loading import DefinitionError
from provider.errors import ArchitectError, AuthError, ConfigurationError, ForbiddenError, TransportError

__all__ = ["EXIT_DIFF", "EXIT_OK", "EXIT_USAGE", "main"]


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
        "--platform",
        choices=platforms.NAMES,
        help=f"the org's flows API with --api-url/--region (default {platforms.DEFAULT}; "
        f"{platforms.TUTORIAL}: the tutorial's API, served by this project's emulator; a stack says its own)",
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
        "drift, audit, metrics, import, promote, migrate, rollback.",
        epilog="Exit codes: 0 clean, 1 differences or failures, 2 usage, configuration or connection error.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("validate", help="offline validation and pre-check of the definitions")
    p.add_argument(
        "directory",
        nargs="?",
        help="definitions folder (default: the current stack's, $GENESYS_FLOWS_STACK or gc-dev)",
    )
    p.add_argument(
        "--stack",
        help="apply this stack's substitutions first, then check the org objects the flows name in its org "
        "(read-only; GENESYS_FLOWS_OFFLINE=1 skips the org)",
    )
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
        "promote",
        help="check the source, show the target's plan and ask (or --yes), deploy it, verify parity",
    )
    p.add_argument("source")
    p.add_argument("target")
    p.add_argument(
        "--skip-source-check",
        action="store_true",
        help="do not refuse when the source has pending changes or drift",
    )
    p.add_argument(
        "--yes",
        action="store_true",
        help="deploy without asking (needed when stdin is not a terminal, e.g. in CI)",
    )
    _flows_opt(p)
    _common(p)
    p.set_defaults(func=cmd_promote)

    add_migrate(sub)
    add_rollback(sub)

    p = sub.add_parser(
        "unlock", help="remove the Pulumi lock a dead runner left (names its host, process and age; audited)"
    )
    p.add_argument("--stack", required=True)
    p.add_argument("--yes", action="store_true", help="remove without asking (CI)")
    _common(p)
    p.set_defaults(func=cmd_unlock)

    p = sub.add_parser("schema", help="print the JSON Schema of a command's --json output")
    p.add_argument("command_name", nargs="?", choices=sorted(cli_schemas.SCHEMAS), metavar="COMMAND")
    p.set_defaults(func=cmd_schema, json=True)
    return parser


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
        return _fail(output, error_kind(exc), str(exc), EXIT_USAGE)
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
    message = "\n".join(lines[-40:]) or type(exc).__name__
    if "incorrect passphrase" in text:
        message += (
            "\nThis stack's secrets are encrypted with another passphrase than PULUMI_CONFIG_PASSPHRASE"
            " (the committed stacks: the demo one, used when PULUMI_CONFIG_PASSPHRASE is unset). "
            "Re-encrypt it with yours: PULUMI_CONFIG_PASSPHRASE=<its passphrase> scripts/pulumi stack "
            "change-secrets-provider passphrase --stack <stack> (README: Your own Genesys Cloud org)"
        )
    return message


def _fail(output: Output, kind: str, message: str, code: int) -> int:
    if output.json_mode:
        output.out.write(json.dumps({"error": {"kind": kind, "message": message}}, indent=2) + "\n")
    else:
        output.err.write(f"archctl: error: {message}\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
