"""A definition's own `substitutions:` merged over the stack's (issue 19; CX-as-Code's per-flow
`substitutions` map).

    substitutions:
      flow_name: "Billing {{env_label}}"   # a value may use the stack's placeholders
      force_unlock: true                   # scalars render as YAML writes them: `true`, not `True`

The flow's own value wins over the stack's. Only the minimal acceptance the CX-as-Code migration and
environment-neutral exports need lives here; the loader calls `merged` per definition.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provider.domain.rules import RULE_INVALID, Problem

FIELD = "substitutions"


def render_scalar(value: Any) -> str:
    """A scalar as YAML writes it (`true`, `3`, `1.5`, `null`), a string as it is."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def merged(
    key: str, own: Any, stack: Mapping[str, str], *, file_name: str = ""
) -> tuple[dict[str, str], list[Problem]]:
    """The substitutions of flow `key`: the stack's, with its own (`own`, the definition's
    `substitutions:` value, None when absent) over them; each own value's `{{placeholders}}` filled
    from the stack's map. Problems name the flow and the field."""
    from provider.domain.loading import substitute_value

    where = f"{file_name}: " if file_name else ""
    if own is None:
        return dict(stack), []
    if not isinstance(own, Mapping):
        return dict(stack), [
            Problem(key, FIELD, RULE_INVALID, f"{where}substitutions must be a mapping of name: value")
        ]
    out = dict(stack)
    problems: list[Problem] = []
    for name, value in own.items():
        if not isinstance(name, str) or isinstance(value, Mapping | list):
            problems.append(
                Problem(
                    key,
                    f"{FIELD}.{name}",
                    RULE_INVALID,
                    f"{where}a substitution is a name and a scalar value (text, number, true/false)",
                )
            )
            continue
        text, found = substitute_value(render_scalar(value), stack, flow=key, where=f"{FIELD}.{name}")
        problems += found
        out[name] = str(text)
    return out, problems
