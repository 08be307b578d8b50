"""The org-objects check: every literal org object the flows name (`org_objects.derive`) must exist
in the organization, exactly once, before anything is written. Read-only: each object type the
flows name is listed once per check (paged, `PAGE_SIZE` a page) and matched by name locally, so the
cost is a few listing calls per type whatever the number of flows; one GET of the flows proves the
connection first (reachable org, accepted credentials, flow view permission)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from provider.domain.problems import Problem
from provider.errors import ForbiddenError
from provider.platforms.base import OrgCheck
from provider.platforms.http.requestor import Requestor

from .org_objects import (
    DATA_ACTION,
    EMERGENCY_GROUP,
    LANGUAGE,
    QUEUE,
    SCHEDULE,
    SCHEDULE_GROUP,
    SKILL,
    SYSTEM_PROMPT,
    USER_PROMPT,
    WRAPUP_CODE,
    ObjectRef,
    derive_text,
)

RULE_MISSING = "org.object.missing"
RULE_AMBIGUOUS = "org.object.ambiguous"
RULE_PERMISSION = "org.object.permission"
#: Every listing route named below accepts this page size.
PAGE_SIZE = 100
#: The call that proves the connection (and the flow view permission every run needs anyway).
PROBE = "/api/v2/flows"


@dataclass(frozen=True)
class Listing:
    """Where one object type is listed, the permission that gates it, and how it is named."""

    path: str
    permission: str
    label: str


LISTINGS: dict[str, Listing] = {
    QUEUE: Listing("/api/v2/routing/queues", "routing:queue:view", "queue"),
    SCHEDULE_GROUP: Listing(
        "/api/v2/architect/schedulegroups", "architect:scheduleGroup:view", "schedule group"
    ),
    SCHEDULE: Listing("/api/v2/architect/schedules", "architect:schedule:view", "schedule"),
    USER_PROMPT: Listing("/api/v2/architect/prompts", "architect:userPrompt:view", "user prompt"),
    SYSTEM_PROMPT: Listing("/api/v2/architect/systemprompts", "architect:systemPrompt:view", "system prompt"),
    DATA_ACTION: Listing("/api/v2/integrations/actions", "integrations:action:view", "data action"),
    SKILL: Listing("/api/v2/routing/skills", "routing:skill:view", "ACD skill"),
    LANGUAGE: Listing("/api/v2/routing/languages", "routing:skill:view", "language skill"),
    EMERGENCY_GROUP: Listing(
        "/api/v2/architect/emergencygroups", "architect:emergencyGroup:view", "emergency group"
    ),
    WRAPUP_CODE: Listing("/api/v2/routing/wrapupcodes", "routing:wrapupCode:view", "wrap-up code"),
}


def _label(object_type: str, entity: Mapping[str, object]) -> str:
    name = str(entity.get("name") or "")
    if object_type == DATA_ACTION and entity.get("category"):
        return f"{entity['category']}/{name}"
    return name


@dataclass
class OrgIndex:
    """The org's objects by type → name (casefolded) → ids, each type listed once (on first use)."""

    requestor: Requestor
    calls: int = 0
    _by_type: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def probe(self) -> None:
        self.calls += 1
        self.requestor.call("GET", PROBE, PROBE, params={"pageSize": 1, "pageNumber": 1})

    def names(self, object_type: str) -> dict[str, list[str]]:
        """Raises `ForbiddenError` when the client may not list the type."""
        if object_type not in self._by_type:
            listing = LISTINGS[object_type]
            found: dict[str, list[str]] = {}
            for body in self.requestor.pages(listing.path, listing.path, {"pageSize": PAGE_SIZE}):
                self.calls += 1
                entities = body.get("entities") if isinstance(body, dict) else None
                for entity in entities or []:
                    if isinstance(entity, Mapping):
                        key = _label(object_type, entity).casefold()
                        found.setdefault(key, []).append(str(entity.get("id")))
            self._by_type[object_type] = found
        return self._by_type[object_type]


def check(requestor: Requestor, flows: Mapping[str, str], *, org: str) -> OrgCheck:
    """`flows`: logical key → Archy text (substituted). Unreachable org, refused credentials or a
    refused probe raise (`ArchitectError`); a type the client may not list is one problem."""
    index = OrgIndex(requestor)
    index.probe()
    refs = {key: derive_text(text) for key, text in flows.items()}
    result = OrgCheck()
    for key, derived in refs.items():
        result.unchecked += [
            f"flow {key!r}: {path}: the {LISTINGS[t].label} is computed at run time"
            for path, t in derived.unchecked
        ]
        result.unchecked += [
            f"flow {key!r}: {path}: the {LISTINGS[t].label} is in a shape this check does not read"
            for path, t in derived.unread
        ]
    for object_type in LISTINGS:
        wanted = [
            (key, ref)
            for key, derived in refs.items()
            for ref in _unique(derived.refs)
            if ref.type == object_type
        ]
        if not wanted:
            continue
        try:
            names = index.names(object_type)
        except ForbiddenError:
            result.problems.append(_refused(object_type, wanted, org))
            continue
        result.checked += len(wanted)
        for key, ref in wanted:
            ids = names.get(ref.label.casefold(), [])
            if len(ids) != 1:
                result.problems.append(_problem(key, ref, ids, org))
    result.calls = index.calls
    return result


def _unique(refs: Iterable[ObjectRef]) -> list[ObjectRef]:
    """One per (type, name) in a flow: the first path names it."""
    seen: dict[tuple[str, str], ObjectRef] = {}
    for ref in refs:
        seen.setdefault((ref.type, ref.label.casefold()), ref)
    return list(seen.values())


def _problem(key: str, ref: ObjectRef, ids: list[str], org: str) -> Problem:
    label = LISTINGS[ref.type].label
    if not ids:
        message = f"the {label} {ref.label!r} does not exist in the org of stack {org}"
        return Problem(key, ref.path, RULE_MISSING, message)
    message = (
        f"the {label} {ref.label!r} is ambiguous in the org of stack {org}: "
        f"{len(ids)} match ({', '.join(ids)})"
    )
    return Problem(key, ref.path, RULE_AMBIGUOUS, message)


def _refused(object_type: str, wanted: list[tuple[str, ObjectRef]], org: str) -> Problem:
    listing = LISTINGS[object_type]
    flows = sorted({key for key, _ in wanted})
    message = (
        f"the OAuth client of stack {org} lacks the permission {listing.permission}: the {len(wanted)} "
        f"{listing.label} name(s) of flow(s) {', '.join(flows)} could not be checked"
    )
    return Problem(flows[0], listing.path, RULE_PERMISSION, message)


__all__ = ["LISTINGS", "PAGE_SIZE", "RULE_AMBIGUOUS", "RULE_MISSING", "RULE_PERMISSION", "check"]
