"""Flows a definition names but the set does not manage (`external: [{type, name}]`, e.g. a bot
another team builds in Architect): checked read-only against the org when the provider checks the
flow that names them (preview and up), one lookup each; never a resource, so never ordered, changed
or deleted."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from provider.domain.problems import Problem
from provider.errors import ArchitectError
from provider.platforms.base import LiveFlow

#: The Flow resource's input holding a flow's external flows ([{type, name}]; absent when none).
EXTERNAL_KEY = "externalFlows"
RULE_EXTERNAL_MISSING = "architect.flow.external.missing"
RULE_EXTERNAL_UNPUBLISHED = "architect.flow.external.unpublished"
RULE_EXTERNAL_UNCHECKED = "architect.flow.external.unchecked"

Find = Callable[[str, str], LiveFlow | None]

# What each platform (a provider process's connection) answered per (type, name): flows naming the
# same external flow in one run cost one lookup. A provider process lives for one operation.
_answers: weakref.WeakKeyDictionary[object, dict[tuple[str, str], LiveFlow | None]] = (
    weakref.WeakKeyDictionary()
)
_answers_lock = threading.Lock()


def _cached(find: Find) -> Find:
    owner = getattr(find, "__self__", None)
    if owner is None:
        return find
    try:
        with _answers_lock:
            answers = _answers.setdefault(owner, {})
    except TypeError:  # a platform that cannot be weakly referenced: no cache
        return find

    def lookup(name: str, flow_type: str) -> LiveFlow | None:
        key = (flow_type, name.casefold())
        with _answers_lock:
            if key in answers:
                return answers[key]
        found = find(name, flow_type)
        with _answers_lock:
            answers[key] = found
        return found

    return lookup


def external_inputs(externals: Sequence[Any]) -> list[dict[str, str]]:
    """A definition's externals as the resource's input (plain data)."""
    return [{"type": str(e.type), "name": str(e.name)} for e in externals]


def external_problems(key: str, externals: Any, find: Callable[[], Find]) -> list[Problem]:
    """Each external flow must exist in the org (type and name) and be published; `find` gives the
    platform's read-only lookup (called only when there is something to check)."""
    if not isinstance(externals, list) or not externals:
        return []
    problems: list[Problem] = []
    try:
        lookup = _cached(find())
        for index, item in enumerate(externals):
            if not isinstance(item, Mapping):
                continue
            flow_type, name = str(item.get("type")), str(item.get("name"))
            where = f"external[{index}]"
            live = lookup(name, flow_type)
            if live is None:
                problems.append(
                    Problem(
                        key,
                        where,
                        RULE_EXTERNAL_MISSING,
                        f"the external {flow_type} flow {name!r} does not exist in the org "
                        "(it is declared external: this set does not create it)",
                    )
                )
            elif live.lifecycle_state != "published":
                problems.append(
                    Problem(
                        key,
                        where,
                        RULE_EXTERNAL_UNPUBLISHED,
                        f"the external {flow_type} flow {name!r} ({live.id}) has no published version; "
                        "its owners must publish it first",
                    )
                )
    except ArchitectError as exc:
        message = f"the external flows could not be checked: {exc}"
        problems.append(Problem(key, "external", RULE_EXTERNAL_UNCHECKED, message))
    return problems
