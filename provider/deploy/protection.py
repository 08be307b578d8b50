"""Destructive changes, named and (on a protected stack) refused (issue 24).

A destructive change takes a live flow away: unpublishing a published flow (its definition says
`draft`), or deleting one (its definition removed, a type change that replaces it, a destroy). They
are named in words, with who uses the flow: "UNPUBLISH a live flow used by main-ivr, vip-line",
"DELETE published flow 'VIP Line', used by main-ivr" — by the provider's `check` (an unpublish; the
preview shows the line as the `destructiveChange` input), by the CI summary of a preview
(`preview_lines`) and by `archctl promote` among its gates.

A stack with `genesys-flows:protectPublished: true` (the prod stacks) refuses them: the provider's
`check` fails an unpublish and a type change (so `pulumi preview` already says so, before a
replacement is created) and its `delete` refuses a
published flow before any write, each naming the setting; until the setting is false or the flow's
definition says `allow_destroy: true` (deployed first: the state remembers it, so the file can be
deleted in the next change). The flows that use it are looked up only to name them (best effort:
a failed lookup says so and decides nothing).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from provider.deploy.config import NAMESPACE

#: The resource input holding the definition's `allow_destroy: true` (absent when false).
ALLOW_DESTROY = "allowDestroy"
#: The input `check` adds to an unpublish (shown by the preview; never diffed).
DESTRUCTIVE_KEY = "destructiveChange"
SETTING = f"{NAMESPACE}:protectPublished"
DEFINITION_FIELD = "allow_destroy"


def was_published(olds: Mapping[str, Any]) -> bool:
    """Whether the state records the flow as published (its last write or refresh)."""
    return (olds.get("lifecycleState") or olds.get("lifecycle_state")) == "published"


def is_unpublish(olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
    return bool(olds) and was_published(olds) and news.get("lifecycle_state") == "draft"


def is_replacement(olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
    """A type change of a published flow: its replacement deletes it (refused up front on a
    protected stack, before the new flow is created)."""
    new_type = news.get("type")
    return bool(olds) and was_published(olds) and isinstance(new_type, str) and olds.get("type") != new_type


def used_by_text(used_by: Iterable[str] | None) -> str:
    names = sorted(set(used_by or ()))
    if used_by is None:
        return "used by flows not known (the lookup failed)"
    return "used by " + ", ".join(names) if names else "used by no other flow"


def unpublish_line(used_by: Iterable[str] | None) -> str:
    return f"UNPUBLISH a live flow {used_by_text(used_by)}"


def delete_line(name: str, used_by: Iterable[str] | None) -> str:
    return f"DELETE published flow {name!r}, {used_by_text(used_by)}"


def refusal(stack: str, key: str, line: str) -> str:
    """The message of a refused destructive change, naming the setting and the way out."""
    return (
        f"flow {key!r}: refused to {line} (stack {stack} has {SETTING}: true, which protects its "
        f"published flows); nothing was changed. To go ahead, set `{DEFINITION_FIELD}: true` in the "
        f"flow's definition and deploy it first (then delete or unpublish it), or set {SETTING} to false"
    )


def allowed(props: Mapping[str, Any]) -> bool:
    return props.get(ALLOW_DESTROY) is True


def preview_lines(steps: Iterable[Mapping[str, Any]], key_of: Any) -> list[str]:
    """The destructive changes of a preview's steps (`pulumi preview --json`: op, urn, oldState,
    newState with inputs and outputs), one line each, "used by" the other flows of the preview whose
    new inputs reference the flow."""
    steps = list(steps)
    users: dict[str, set[str]] = {}
    for step in steps:
        new = (step.get("newState") or {}).get("inputs") or {}
        for ref in new.get("references") or []:
            users.setdefault(str(ref), set()).add(key_of(step))
    lines = []
    for step in steps:
        key, op = key_of(step), str(step.get("op", ""))
        old = step.get("oldState") or {}
        olds = {**(old.get("inputs") or {}), **(old.get("outputs") or {})}
        news = (step.get("newState") or {}).get("inputs") or {}
        if not was_published(olds):
            continue
        used = sorted(users.get(key, set()) - {key})
        if op in ("delete", "delete-replaced"):
            lines.append(f"`{key}`: " + delete_line(str(olds.get("name") or key), used))
        elif op == "update" and is_unpublish(olds, news):
            lines.append(f"`{key}`: " + unpublish_line(used))
    return sorted(set(lines))
