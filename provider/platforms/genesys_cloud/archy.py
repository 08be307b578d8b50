"""Reading an Archy YAML document without running Archy: its flow type, name, description and the
flows it references by name. Pure (no I/O); the tree is walked iteratively so a deep document cannot
exhaust the stack.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

#: Archy's top-level key → `Flow.type` (contract section 3).
ARCHY_TYPES: dict[str, str] = {
    "inboundCall": "INBOUNDCALL",
    "inboundChat": "INBOUNDCHAT",
    "inboundEmail": "INBOUNDEMAIL",
    "inboundShortMessage": "INBOUNDSHORTMESSAGE",
    "inQueueCall": "INQUEUECALL",
    "inQueueEmail": "INQUEUEEMAIL",
    "inQueueShortMessage": "INQUEUESHORTMESSAGE",
    "outboundCall": "OUTBOUNDCALL",
    "secureCall": "SECURECALL",
    "commonModule": "COMMONMODULE",
    "workflow": "WORKFLOW",
    "workitem": "WORKITEM",
    "bot": "BOT",
    "digitalBot": "DIGITALBOT",
    "voicemail": "VOICEMAIL",
    "surveyInvite": "SURVEYINVITE",
}

#: The action keys that reference another flow through `targetFlow.name`.
_TRANSFER_KEYS = ("transferToFlow", "transferToFlowSecure")


class ArchyError(ValueError):
    """The text is not an Archy document this project can read (message says why)."""


@dataclass(frozen=True)
class FlowRefByName:
    """A reference to another flow as Archy writes it: by name, with the type when the action implies
    one (`callCommonModule` → COMMONMODULE; a transfer target's type is not in the YAML)."""

    name: str
    type: str | None
    via: str  # the action key, e.g. "callCommonModule"


@dataclass(frozen=True)
class ArchyDocument:
    type: str
    name: str
    description: str
    references: tuple[FlowRefByName, ...]
    top_key: str


def parse(text: str) -> ArchyDocument:
    """Parse and read one Archy document; `ArchyError` when it is unusable."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ArchyError(f"not valid YAML{where}: {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(data, dict) or len(data) != 1:
        raise ArchyError("an Archy document has exactly one top-level key, the flow type (e.g. inboundCall)")
    ((top, body),) = data.items()
    flow_type = ARCHY_TYPES.get(str(top))
    if flow_type is None:
        raise ArchyError(f"unknown top-level key {top!r}; expected one of: {', '.join(ARCHY_TYPES)}")
    if not isinstance(body, dict):
        raise ArchyError(f"{top}: expected a mapping with at least a name")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ArchyError(f"{top}.name: missing or not a string")
    description = body.get("description")
    return ArchyDocument(
        type=flow_type,
        name=name,
        description=description if isinstance(description, str) else "",
        references=referenced_flows(body),
        top_key=str(top),
    )


def referenced_flows(tree: Any) -> tuple[FlowRefByName, ...]:
    """Every flow referenced by name anywhere in `tree`, in document order, without repeats."""
    found: dict[tuple[str, str | None], FlowRefByName] = {}
    stack: list[Any] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                for ref in _refs_at(key, value):
                    found.setdefault((ref.name, ref.type), ref)
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend(reversed(node))
    return tuple(found.values())


def _refs_at(key: Any, value: Any) -> list[FlowRefByName]:
    if key == "callCommonModule" and isinstance(value, dict):
        modules = value.get("commonModule")
        if isinstance(modules, dict):
            return [FlowRefByName(str(name), "COMMONMODULE", key) for name in modules]
        if isinstance(modules, str):
            return [FlowRefByName(modules, "COMMONMODULE", key)]
    if key in _TRANSFER_KEYS and isinstance(value, dict):
        target = value.get("targetFlow")
        if isinstance(target, dict) and isinstance(target.get("name"), str):
            return [FlowRefByName(target["name"], None, str(key))]
    return []
