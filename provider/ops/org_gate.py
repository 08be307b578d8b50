"""The org-objects gate for the CLI (`archctl validate --stack S`, `archctl promote`'s target): the
stack's definitions, with its substitutions, checked read-only in its org as the program checks them
at preview (provider/deploy/org_objects.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from provider import platforms
from provider.deploy import config as stack_config
from provider.deploy import org_objects
from provider.deploy.org_objects import Verdict
from provider.ops import sources


def check_stack(info: sources.StackInfo, directory: Path) -> Verdict:
    """The gate's verdict for the stack `info` over the definitions in `directory` (definitions with
    problems of their own are left to the validation that reports them: no verdict)."""
    model = stack_config.parse(info.stack, info.raw_config)
    prepared = platforms.kind(info.platform).prepare(directory, info.substitutions)
    if prepared.problems:
        return Verdict()
    return org_objects.gate(model, prepared)


def to_json(verdict: Verdict) -> dict[str, Any]:
    result = verdict.result
    return {
        "ok": verdict.error is None,
        "checked": None if result is None else result.checked,
        "calls": None if result is None else result.calls,
        "problems": []
        if result is None
        else [
            {"flow": p.flow, "field": p.field, "rule": p.rule, "message": p.message} for p in result.problems
        ],
        "unchecked": [] if result is None else result.unchecked,
        "error": verdict.error,
        "warning": verdict.warning,
        "note": verdict.note,
    }
