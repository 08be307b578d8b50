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
deleted in the next change). The flows that use it are looked up in the org only to name them
(`users`: best effort and bounded in time; offline, failed or slow, the line says "users not looked
up" and decides nothing). The stack also registers each protected flow with Pulumi's `protect`
(provider/deploy/program.py), so a removed definition or a `pulumi destroy` is refused by the engine
itself, in preview too.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from provider.deploy.config import NAMESPACE

log = logging.getLogger(__name__)

#: A flow id → the names of the flows that use it, asked of the org (may raise, may hang).
Lookup = Callable[[str], Iterable[str]]
#: How long naming the users may take (an unreachable org retries for longer than that).
LOOKUP_SECONDS = 10.0

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
        return "users not looked up"
    return "used by " + ", ".join(names) if names else "used by no other flow"


def consumers_lookup(platform: Any) -> Lookup:
    """The org's dependency tracking of `platform` (`Platform.consumers`) as a `Lookup`."""
    return lambda flow_id: [ref.name or ref.id for ref in platform.consumers(flow_id)]


def users(
    lookup: Lookup | None, flow_id: str | None, key: str, *, seconds: float = LOOKUP_SECONDS
) -> list[str] | None:
    """The names of the flows that use `flow_id`, asked of the org; None when not looked up (no
    lookup or id, an error, or no answer within `seconds`: naming them never blocks or decides)."""
    if lookup is None or not flow_id:
        return None
    found: list[list[str]] = []

    def ask() -> None:
        try:
            found.append(sorted(set(lookup(flow_id))))
        except Exception as exc:  # naming the users must not decide whether the change may go ahead
            log.warning("flow %s: the flows that use it were not looked up: %s", key, exc)

    worker = threading.Thread(target=ask, name=f"users-of-{key}", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        log.warning("flow %s: the flows that use it were not looked up (no answer in %ss)", key, seconds)
        return None
    return found[0] if found else None


def unpublish_line(used_by: Iterable[str] | None) -> str:
    text = used_by_text(used_by)
    return f"UNPUBLISH a live flow {text if used_by is not None else f'({text})'}"


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


def preview_lines(steps: Iterable[Mapping[str, Any]], key_of: Any, lookup: Lookup | None = None) -> list[str]:
    """The destructive changes of a preview's steps (`pulumi preview --json`: op, urn, oldState with
    inputs and outputs, newState), one line each, with the flows that use it in the org (`lookup`;
    the preview's own inputs cannot say: a deleted flow's users are not in it)."""
    lines = []
    for step in steps:
        key, op = key_of(step), str(step.get("op", ""))
        old = step.get("oldState") or {}
        olds = {**(old.get("inputs") or {}), **(old.get("outputs") or {})}
        news = (step.get("newState") or {}).get("inputs") or {}
        if not was_published(olds):
            continue
        deleted = op in ("delete", "delete-replaced")
        if not deleted and not (op == "update" and is_unpublish(olds, news)):
            continue
        flow_id = str(olds.get("flowId") or old.get("id") or "") or None
        line = destructive_line(key, str(olds.get("name") or key), flow_id, deleted=deleted, lookup=lookup)
        lines.append(f"`{key}`: {line}")
    return sorted(set(lines))


def destructive_line(
    key: str, name: str, flow_id: str | None, *, deleted: bool, lookup: Lookup | None
) -> str:
    """One destructive change in words, with the flows that use it in the org (the CI summary of a
    preview and `archctl promote` both say it so)."""
    used = users(lookup, flow_id, key)
    return delete_line(name, used) if deleted else unpublish_line(used)
