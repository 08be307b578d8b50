"""The Markdown summary of a `pulumi preview --json` for a pull request (scripts/ci-preview).

    python -m provider.ops.ci_summary STACK PREVIEW.json                Markdown on stdout
    python -m provider.ops.ci_summary --validate STACK VALIDATE.json    the same for a validation

`--validate` renders `archctl validate --stack STACK --json` (its definition problems, the org
objects its flows name that the stack's org lacks, or why the org could not be checked): nothing
when all is well, so a pull request sees the problem list even though no preview ran.

One section per stack: the counts, the destructive changes in words (a published flow deleted or
unpublished, with the flows that use it, asked of the stack's org: provider/deploy/protection.py;
best effort, "users not looked up" when the org cannot say or `GENESYS_FLOWS_OFFLINE=1`), then one
line per flow to create, update, replace or delete, and
for each the Archy text diff of its definition (the flow's inputs in canonical Archy YAML,
provider/domain/archy_text.py; the engine's own bookkeeping inputs, `__…`, left out). Secrets never
reach it: the preview's JSON shows them as `[secret]`, and the connection input is left out.
"""

from __future__ import annotations

import difflib
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from provider.deploy import protection
from provider.deploy.org_objects import offline
from provider.domain import archy_text
from provider.ops.workspace import FLOW_TYPE

CHANGES = ("create", "update", "replace", "delete")
#: Lines of diff shown per flow (a review tool, not an archive: the rest is counted).
DIFF_LINES = 80


def _definition(state: dict[str, Any] | None) -> dict[str, Any]:
    inputs = (state or {}).get("inputs") or {}
    return {k: v for k, v in inputs.items() if not k.startswith("__")}


def _is_flow(urn: str) -> bool:
    parts = urn.split("::")
    return len(parts) >= 2 and parts[-2].endswith(FLOW_TYPE)  # `parent$type` when nested


def _op(step: dict[str, Any]) -> str | None:
    op = str(step.get("op", ""))
    if op in ("create-replacement", "delete-replaced", "replace"):
        return "replace"
    return op if op in CHANGES else None


def org_lookup(stack: str) -> protection.Lookup | None:
    """The flows that use a flow, asked of `stack`'s org (connected on first use; any error there is
    the lookup's, which `protection.users` turns into "users not looked up"); None offline."""
    if offline():
        return None
    connected: list[protection.Lookup] = []

    def lookup(flow_id: str) -> list[str]:
        if not connected:
            from provider.ops import sources

            info = sources.stack_info(stack, with_state=False)
            platform = sources.platform_for(info.connection, info.platform, stack=info.stack)
            connected.append(protection.consumers_lookup(platform))
        return list(connected[0](flow_id))

    return lookup


def summary(stack: str, preview: dict[str, Any], lookup: protection.Lookup | None = None) -> str:
    steps = [s for s in preview.get("steps") or [] if _is_flow(str(s.get("urn", "")))]
    changes: dict[str, tuple[str, dict[str, Any]]] = {}
    for step in steps:
        op = _op(step)
        if op is None:
            continue
        key = str(step["urn"]).rsplit("::", 1)[-1]
        if key in changes and changes[key][0] == "replace":
            continue
        changes[key] = (op, step)
    counts = Counter(op for op, _ in changes.values())
    lines = [f"### Stack `{stack}`", ""]
    if not changes:
        lines += ["No flow changes.", ""]
        return "\n".join(lines)
    lines.append(", ".join(f"**{counts[op]}** to {op}" for op in CHANGES if counts[op]))
    lines.append("")
    destructive = protection.preview_lines(steps, lambda s: str(s["urn"]).rsplit("::", 1)[-1], lookup)
    if destructive:  # a live flow taken away: named first, not left to a `~lifecycle_state`
        lines += ["**Destructive changes:**", *(f"- ⚠ {line}" for line in destructive), ""]
    for key in sorted(changes):
        op, step = changes[key]
        lines.append(f"- **{op}** `{key}`")
    lines.append("")
    for key in sorted(changes):
        op, step = changes[key]
        old = _definition(step.get("oldState")) if op != "create" else {}
        new = _definition(step.get("newState")) if op != "delete" else {}
        diff = list(
            difflib.unified_diff(
                archy_text.dump(old).splitlines() if old else [],
                archy_text.dump(new).splitlines() if new else [],
                fromfile=f"{key} (deployed)" if old else "/dev/null",
                tofile=f"{key} (this change)" if new else "/dev/null",
                lineterm="",
            )
        )
        more = len(diff) - DIFF_LINES
        shown = diff[:DIFF_LINES] + ([f"... {more} more line(s)"] if more > 0 else [])
        lines += [
            f"<details><summary>{op} <code>{key}</code></summary>",
            "",
            "```diff",
            *shown,
            "```",
            "</details>",
            "",
        ]
    return "\n".join(lines)


def _problem(p: dict[str, Any]) -> str:
    where = f" `{p['field']}`" if p.get("field") else ""
    return f"- `{p.get('flow') or '(set)'}`{where}: {p.get('message', '')} ({p.get('rule', '')})"


def validate_section(stack: str, doc: dict[str, Any]) -> str:
    """The Markdown of `archctl validate --stack STACK --json`'s document `doc` ("" when clean)."""
    if "error" in doc:  # exit 2: the stack's config or its org could not be used at all
        error = doc["error"]
        return "\n".join(
            [
                f"### Stack `{stack}`: not validated ({error.get('kind', 'error')})",
                "",
                "```",
                str(error.get("message", "")),
                "```",
                "",
            ]
        )
    lines: list[str] = []
    problems = doc.get("problems") or []
    if problems:
        lines += [
            f"### Stack `{stack}`: {len(problems)} definition problem(s)",
            "",
            *map(_problem, problems),
            "",
        ]
    gate = doc.get("org_objects") or {}
    found = gate.get("problems") or []
    if found:
        verdict = "not deployable (orgObjects: fail)" if gate.get("error") else "orgObjects: warn, proceeding"
        lines += [
            f"### Stack `{stack}`: {len(found)} org object(s) the flows name missing or ambiguous in its org",
            "",
            f"{verdict}; read-only, {gate.get('calls')} call(s).",
            "",
            *map(_problem, found),
            "",
        ]
    unchecked = gate.get("unchecked") or []
    if unchecked:
        lines += [
            f"<details><summary>{len(unchecked)} org object name(s) not checked in stack <code>{stack}</code>"
            "</summary>",
            "",
            *(f"- {line}" for line in unchecked),
            "</details>",
            "",
        ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    validate = argv[:1] == ["--validate"]
    args = argv[1:] if validate else argv
    if len(args) != 2:
        print(
            "usage: python -m provider.ops.ci_summary [--validate] STACK PREVIEW.json|VALIDATE.json",
            file=sys.stderr,
        )
        return 2
    what = "validation" if validate else "preview"
    try:
        doc = json.loads(Path(args[1]).read_text())
    except (OSError, ValueError) as exc:
        print(f"error: the {what} of stack {args[0]} could not be read: {exc}", file=sys.stderr)
        return 2
    text = validate_section(args[0], doc) if validate else summary(args[0], doc, org_lookup(args[0]))
    sys.stdout.write(text + "\n" if text else "")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
