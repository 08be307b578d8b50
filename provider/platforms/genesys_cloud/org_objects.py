"""The org objects an Archy flow names (queues, schedule groups, schedules, prompts, data actions,
skills, languages, emergency groups, wrap-up codes): derived from its content after substitution.

Archy binds these by name when it publishes, so a name the target org lacks fails the job after the
flows before it were published. Only literal names are derived (`lit: {name: X}`, `Prompt.X`, a
`Find…("X")` with a string literal); a name an expression computes at run time is listed in
`Derived.unchecked` with its path ("not checked"), never guessed. The covered Archy keys are listed
in `COVERED` (and in the README's table).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

QUEUE = "queue"
SCHEDULE_GROUP = "scheduleGroup"
SCHEDULE = "schedule"
USER_PROMPT = "userPrompt"
SYSTEM_PROMPT = "systemPrompt"
DATA_ACTION = "dataAction"
SKILL = "skill"
LANGUAGE = "language"
EMERGENCY_GROUP = "emergencyGroup"
WRAPUP_CODE = "wrapupCode"
TYPES = (
    QUEUE,
    SCHEDULE_GROUP,
    SCHEDULE,
    USER_PROMPT,
    SYSTEM_PROMPT,
    DATA_ACTION,
    SKILL,
    LANGUAGE,
    EMERGENCY_GROUP,
    WRAPUP_CODE,
)

#: Archy keys whose value names an object: `{lit: {name: X}}`, `lit: [{name: X}, …]`, `{exp: …}`, a
#: list of such values or of single-key wrappers (`acdSkills: [{acdSkill: {lit: …}}]`), or a mapping
#: that holds another covered key (`evaluateSchedule.evaluationType.schedule.selectedSchedule`).
#: Any other shape is reported as not read (`Derived.unread`), never dropped. The schedule lists of
#: `evaluateScheduleGroup` (`inServiceSchedules`, …) appear in public flows only as `noValue`: they are
#: read with the same rules.
_LITERAL_KEYS: dict[str, str] = {
    "targetQueue": QUEUE,
    "scheduleGroup": SCHEDULE_GROUP,
    "schedule": SCHEDULE,
    "selectedSchedule": SCHEDULE,
    "inServiceSchedules": SCHEDULE,
    "outOfServiceSchedules": SCHEDULE,
    "openSchedules": SCHEDULE,
    "closedSchedules": SCHEDULE,
    "holidaySchedules": SCHEDULE,
    "emergencyGroup": EMERGENCY_GROUP,
    "wrapupCode": WRAPUP_CODE,
    "acdSkills": SKILL,
    "acdSkill": SKILL,
    "skills": SKILL,
    "languageSkill": LANGUAGE,
}
#: Expression functions that look an object up by a name (a string literal is derived).
_FINDERS: dict[str, str] = {
    "FindQueue": QUEUE,
    "FindScheduleGroup": SCHEDULE_GROUP,
    "FindSchedule": SCHEDULE,
    "FindEmergencyGroup": EMERGENCY_GROUP,
    "FindSkill": SKILL,
    "FindLanguageSkill": LANGUAGE,
    "FindUserPrompt": USER_PROMPT,
}
_FIND = re.compile(r"\b(" + "|".join(_FINDERS) + r')\(\s*"((?:[^"\\]|\\.)*)"\s*\)')
_PROMPT = re.compile(r"\b(PromptSystem|Prompt)\.([A-Za-z_][A-Za-z0-9_]*)")

#: What is covered, for the README: (Archy path pattern, object type).
COVERED: tuple[tuple[str, str], ...] = (
    ("transferToAcd.targetQueue, transferToVoicemail/…queue.targetQueue, any `targetQueue`", QUEUE),
    ("evaluateScheduleGroup.scheduleGroup, any `scheduleGroup`", SCHEDULE_GROUP),
    ("evaluateSchedule.evaluationType.schedule.selectedSchedule, any `schedule`", SCHEDULE),
    (
        "evaluateScheduleGroup.inServiceSchedules, any `{outOfService,open,closed,holiday}Schedules`",
        SCHEDULE,
    ),
    ("evaluateScheduleGroup.emergencyGroup, any `emergencyGroup`", EMERGENCY_GROUP),
    ("transferToAcd.acdSkills[].acdSkill (also `lit: [{name}…]`), any `skills`", SKILL),
    ("transferToAcd.languageSkill", LANGUAGE),
    ("settingsOutboundCall.wrapupCode, any `wrapupCode`", WRAPUP_CODE),
    ("callData.category.<category>.dataAction.<name>", DATA_ACTION),
    ("`Prompt.<name>` in audio, prompts and expressions", USER_PROMPT),
    ("`PromptSystem.<name>` in audio, prompts and expressions", SYSTEM_PROMPT),
    ('Find{Queue,ScheduleGroup,Schedule,EmergencyGroup,Skill,LanguageSkill,UserPrompt}("literal")', "(each)"),
)


@dataclass(frozen=True)
class ObjectRef:
    """One org object a flow names: its type, name (a data action: `category` too) and Archy path."""

    type: str
    name: str
    path: str
    category: str | None = None

    @property
    def label(self) -> str:
        return f"{self.category}/{self.name}" if self.category else self.name


@dataclass
class Derived:
    refs: list[ObjectRef] = field(default_factory=list)
    #: (path, object type) of names computed at run time: not checked.
    unchecked: list[tuple[str, str]] = field(default_factory=list)
    #: (path, object type) of values under a covered key in a shape this module does not read
    #: (neither `lit`, `exp`, `noValue` nor a known nesting): not checked either, and said so.
    unread: list[tuple[str, str]] = field(default_factory=list)


def derive_text(text: str) -> Derived:
    """The org objects the Archy YAML `text` names (unparseable content: nothing)."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        return Derived()
    return derive(doc)


def derive(doc: Any) -> Derived:
    """The org objects the parsed Archy document names, in document order."""
    out = Derived()
    for path, key, value in _walk(doc, ""):
        if key in _LITERAL_KEYS:
            _literal(out, path, _LITERAL_KEYS[key], value)
        elif key == "category" and isinstance(value, Mapping):
            _data_actions(out, path, value)
        elif isinstance(value, str):
            _strings(out, path, value)
    return out


def _walk(node: Any, path: str) -> Iterator[tuple[str, str, Any]]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            here = f"{path}.{key}" if path else str(key)
            yield here, str(key), value
            yield from _walk(value, here)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _walk(item, f"{path}[{index}]")


def _literal(out: Derived, path: str, object_type: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, list):  # `acdSkills: [{acdSkill: {lit: …}}, …]` or `[{lit: …}, …]`
        for index, item in enumerate(value):
            if not _nests(item):  # a wrapper is found by the walk, under its own key
                _literal(out, f"{path}[{index}]", object_type, item)
        return
    if not isinstance(value, Mapping):
        out.unread.append((path, object_type))
        return
    if value.get("noValue"):
        return
    if "exp" in value:
        if not _finders(str(value["exp"]), path):  # a literal finder is derived at `.exp`
            out.unchecked.append((path, object_type))
        return
    if "lit" in value:
        _lit(out, path, object_type, value["lit"])
    elif not _nests(value):
        out.unread.append((path, object_type))


def _nests(value: Any) -> bool:
    """A mapping that holds another covered key (`schedule: {selectedSchedule: …}`)."""
    return isinstance(value, Mapping) and any(key in _LITERAL_KEYS for key in value)


def _lit(out: Derived, path: str, object_type: str, lit: Any) -> None:
    items = lit if isinstance(lit, list) else [lit]
    for index, item in enumerate(items):
        where = f"{path}.lit[{index}]" if isinstance(lit, list) else f"{path}.lit.name"
        name = item.get("name") if isinstance(item, Mapping) else None
        if not isinstance(name, str) or not name.strip():
            out.unread.append((where, object_type))
        elif not _PROMPT.fullmatch(name.strip()):  # a prompt is found by the walk, at `.name`
            out.refs.append(ObjectRef(object_type, name.strip(), where))


def _data_actions(out: Derived, path: str, categories: Mapping[Any, Any]) -> None:
    for category, body in categories.items():
        actions = body.get("dataAction") if isinstance(body, Mapping) else None
        if isinstance(actions, Mapping):
            for name in actions:
                where = f"{path}.{category}.dataAction.{name}"
                out.refs.append(ObjectRef(DATA_ACTION, str(name).strip(), where, str(category).strip()))


def _strings(out: Derived, path: str, value: str) -> None:
    out.refs += _prompts(value, path)
    out.refs += _finders(value, path)


def _prompts(text: str, path: str) -> list[ObjectRef]:
    return [
        ObjectRef(SYSTEM_PROMPT if kind == "PromptSystem" else USER_PROMPT, name, path)
        for kind, name in _PROMPT.findall(text)
    ]


def _finders(text: str, path: str) -> list[ObjectRef]:
    return [ObjectRef(_FINDERS[fn], name.replace('\\"', '"'), path) for fn, name in _FIND.findall(text)]
