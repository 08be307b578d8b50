"""The org objects Archy flows name (queues, schedule groups, schedules, prompts, data actions,
skills, languages, emergency groups, wrap-up codes), per organization, served read-only on the real
API's routes (`routes/org_objects.py`). Held in memory: loaded from the fixture file
(`org_objects.yaml` beside the package, or `EMULATOR_ORG_OBJECTS`) at start and on every reset, and
seeded or removed through the admin API; every answer parses with the official SDK's models."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

FIXTURE_ENV = "EMULATOR_ORG_OBJECTS"
DEFAULT_FIXTURE = Path(__file__).resolve().parents[1] / "org_objects.yaml"
#: Built into every organization, as on the real platform (a few of the hundreds it has).
SYSTEM_PROMPTS = ("processing", "on_hold_music", "voicemail_greeting", "welcome", "goodbye")


@dataclass(frozen=True)
class ObjectType:
    """One object type: its route, the view permission that gates it, the SDK models of an entity
    and of a page, and the entity's keys besides id, name and selfUri."""

    route: str
    permission: str
    model: str
    listing: str
    extra: tuple[tuple[str, Any], ...] = ()


TYPES: dict[str, ObjectType] = {
    "queue": ObjectType("/api/v2/routing/queues", "routing:queue:view", "Queue", "QueueEntityListing"),
    "scheduleGroup": ObjectType(
        "/api/v2/architect/schedulegroups",
        "architect:scheduleGroup:view",
        "ScheduleGroup",
        "ScheduleGroupEntityListing",
        (("state", "active"),),
    ),
    "schedule": ObjectType(
        "/api/v2/architect/schedules",
        "architect:schedule:view",
        "Schedule",
        "ScheduleEntityListing",
        (("state", "active"),),
    ),
    "userPrompt": ObjectType(
        "/api/v2/architect/prompts", "architect:userPrompt:view", "Prompt", "PromptEntityListing"
    ),
    "systemPrompt": ObjectType(
        "/api/v2/architect/systemprompts",
        "architect:systemPrompt:view",
        "SystemPrompt",
        "SystemPromptEntityListing",
    ),
    "dataAction": ObjectType(
        "/api/v2/integrations/actions", "integrations:action:view", "Action", "ActionEntityListing"
    ),
    "skill": ObjectType(
        "/api/v2/routing/skills",
        "routing:skill:view",
        "RoutingSkill",
        "SkillEntityListing",
        (("state", "active"),),
    ),
    "language": ObjectType(
        "/api/v2/routing/languages",
        "routing:skill:view",
        "Language",
        "LanguageEntityListing",
        (("state", "active"),),
    ),
    "emergencyGroup": ObjectType(
        "/api/v2/architect/emergencygroups",
        "architect:emergencyGroup:view",
        "EmergencyGroup",
        "EmergencyGroupListing",
        (("state", "active"), ("enabled", False)),
    ),
    "wrapupCode": ObjectType(
        "/api/v2/routing/wrapupcodes", "routing:wrapupCode:view", "WrapupCode", "WrapupCodeEntityListing"
    ),
}


class FixtureError(ValueError):
    """The org-objects fixture file is not valid."""


class OrgObjects:
    """org → type → entities (dicts as the API answers them), in insertion order."""

    def __init__(self, organizations: tuple[str, ...], fixture: str | Path | None = None) -> None:
        self.organizations = organizations
        self.fixture = Path(fixture or os.environ.get(FIXTURE_ENV) or DEFAULT_FIXTURE)
        self._lock = threading.Lock()
        self._objects: dict[str, dict[str, list[dict[str, Any]]]] = {}
        self.reset()

    def reset(self) -> None:
        """Back to the fixture file (and the system prompts every org has)."""
        raw = yaml.safe_load(self.fixture.read_text(encoding="utf-8")) if self.fixture.is_file() else {}
        if not isinstance(raw, Mapping):
            raise FixtureError(f"{self.fixture}: expected org: {{type: [names]}}")
        with self._lock:
            self._objects = {org: {t: [] for t in TYPES} for org in self.organizations}
        for org in self.organizations:
            for name in SYSTEM_PROMPTS:
                self.add(org, "systemPrompt", name)
            for object_type, names in (raw.get(org) or {}).items():
                if object_type not in TYPES or not isinstance(names, list):
                    raise FixtureError(f"{self.fixture}: {org}.{object_type}: unknown type or not a list")
                for name in names:
                    self.add(org, object_type, str(name))

    def add(self, org: str, object_type: str, name: str) -> dict[str, Any]:
        """One more object (a data action is named `category/name`); a system prompt's id is its name."""
        kind = TYPES[object_type]
        entity_id = name if object_type == "systemPrompt" else str(uuid.uuid4())
        entity: dict[str, Any] = {"id": entity_id, "name": name}
        if object_type == "dataAction":
            category, _, action = name.partition("/")
            entity.update(
                name=action or category, category=category if action else "", integrationId="emulator"
            )
        entity.update(dict(kind.extra))
        entity["selfUri"] = f"{kind.route}/{entity_id}"
        with self._lock:
            self._objects[org][object_type].append(entity)
        return entity

    def remove(self, org: str, object_type: str, name: str) -> int:
        with self._lock:
            kept = [e for e in self._objects[org][object_type] if _label(object_type, e) != name]
            removed = len(self._objects[org][object_type]) - len(kept)
            self._objects[org][object_type] = kept
        return removed

    def list(self, org: str, object_type: str, filters: Mapping[str, str]) -> list[dict[str, Any]]:
        """The objects matching every filter: case-insensitive, exact, or a prefix with a trailing `*`."""
        with self._lock:
            entities = list(self._objects[org][object_type])
        return [e for e in entities if all(_match(str(e.get(k, "")), v) for k, v in filters.items())]

    def get(self, org: str, object_type: str, entity_id: str) -> dict[str, Any] | None:
        with self._lock:
            return next((e for e in self._objects[org][object_type] if e["id"] == entity_id), None)


def _label(object_type: str, entity: Mapping[str, Any]) -> str:
    if object_type == "dataAction" and entity.get("category"):
        return f"{entity['category']}/{entity['name']}"
    return str(entity["name"])


def _match(value: str, wanted: str) -> bool:
    if wanted.endswith("*"):
        return value.casefold().startswith(wanted[:-1].casefold())
    return value.casefold() == wanted.casefold()
