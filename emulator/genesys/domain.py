"""Vocabulary of the real Genesys Cloud flows API (contract sections 3 and 4): flow types, their
dependency-tracking object types, name rules, and the little the emulator reads of Archy YAML (the
top-level key, `name`, `description`, and the flows it references by name)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from ..errors import ApiError

FLOW_TYPES = (
    "BOT",
    "BUSINESSPROCESS",
    "COMMONMODULE",
    "DIGITALBOT",
    "EMAILSEND",
    "INBOUNDCALL",
    "INBOUNDCHAT",
    "INBOUNDEMAIL",
    "INBOUNDSHORTMESSAGE",
    "INQUEUECALL",
    "INQUEUEEMAIL",
    "INQUEUESHORTMESSAGE",
    "OUTBOUNDCALL",
    "SECURECALL",
    "SPEECH",
    "SURVEYINVITE",
    "VOICE",
    "VOICEMAIL",
    "VOICESURVEY",
    "WORKFLOW",
    "WORKITEM",
)

# Archy YAML top-level key -> Flow.type (the keys the emulator accepts, contract section 3).
ARCHY_KEYS = {
    "inboundCall": "INBOUNDCALL",
    "inboundChat": "INBOUNDCHAT",
    "inboundEmail": "INBOUNDEMAIL",
    "inboundShortMessage": "INBOUNDSHORTMESSAGE",
    "inqueueCall": "INQUEUECALL",
    "inqueueEmail": "INQUEUEEMAIL",
    "inqueueShortMessage": "INQUEUESHORTMESSAGE",
    "outboundCall": "OUTBOUNDCALL",
    "secureCall": "SECURECALL",
    "commonModule": "COMMONMODULE",
    "workflow": "WORKFLOW",
    "workitem": "WORKITEM",
    "botFlow": "BOT",
    "digitalBotFlow": "DIGITALBOT",
    "voicemail": "VOICEMAIL",
    "surveyInvite": "SURVEYINVITE",
}
TYPE_TO_ARCHY_KEY = {v: k for k, v in ARCHY_KEYS.items()}
# Spellings Archy does not write -> the key it does (named in the job's Failure message).
MISSPELT_KEYS = {
    "inQueueCall": "inqueueCall",
    "inQueueEmail": "inqueueEmail",
    "inQueueShortMessage": "inqueueShortMessage",
    "bot": "botFlow",
    "digitalBot": "digitalBotFlow",
}

# Kinds of reference (contract section 4): a common module called by name, a transfer target of any
# type, a secure transfer, a bot or digital bot called by name, an ACD transfer's in-queue flow.
REF_COMMON_MODULE = "commonModule"
REF_TRANSFER = "transfer"
REF_TRANSFER_SECURE = "transferSecure"
REF_BOT = "bot"
REF_DIGITAL_BOT = "digitalBot"
REF_INQUEUE = "inqueue"
# The flow types each kind may name (empty: any type); the first is the type of the stub
# `createStubs` creates for an unknown reference (a transfer's stub is an INBOUNDCALL).
REF_TYPES: dict[str, tuple[str, ...]] = {
    REF_COMMON_MODULE: ("COMMONMODULE",),
    REF_TRANSFER: (),
    REF_TRANSFER_SECURE: ("SECURECALL",),
    REF_BOT: ("BOT", "DIGITALBOT"),
    REF_DIGITAL_BOT: ("DIGITALBOT",),
    REF_INQUEUE: ("INQUEUECALL", "INQUEUEEMAIL", "INQUEUESHORTMESSAGE"),
}
STUB_TYPES = {kind: (types[0] if types else "INBOUNDCALL") for kind, types in REF_TYPES.items()}
# action -> (the key naming the flow, "map": its keys are names / "name": it holds {name: ...}, kind)
FLOW_ACTIONS = {
    "callCommonModule": ("commonModule", "map", REF_COMMON_MODULE),
    "transferToFlow": ("targetFlow", "name", REF_TRANSFER),
    "transferToFlowSecure": ("targetFlow", "name", REF_TRANSFER_SECURE),
    "callBotFlow": ("botFlow", "map", REF_BOT),
    "callDigitalBotFlow": ("digitalBotFlow", "map", REF_DIGITAL_BOT),
    "transferToAcd": ("overrideInQueueFlow", "name", REF_INQUEUE),
    "menuTransferToAcd": ("overrideInQueueFlow", "name", REF_INQUEUE),
}

MAX_YAML_NODES = 100_000


def object_type(flow_type: str) -> str | None:
    """The dependency-tracking object type of a flow type (SPEECH has none)."""
    if flow_type == "SPEECH":
        return None
    return "WORKFLOW" if flow_type == "WORKFLOW" else f"{flow_type}FLOW"


OBJECT_TYPES = {t: o for t in FLOW_TYPES if (o := object_type(t)) is not None}
FLOW_TYPE_OF_OBJECT = {o: t for t, o in OBJECT_TYPES.items()}


def name_problem(name: Any) -> tuple[str, str] | None:
    """(error code, message) when a flow name breaks the platform's rules, else None."""
    if not isinstance(name, str) or not name.strip():
        return "architect.flow.validate.failed.missing.name", "The flow name is required."
    if "/" in name:
        return "architect.flow.validate.failed.invalid.name.contains.slash", "A flow name cannot contain '/'."
    if not any(c.isalnum() for c in name):
        return (
            "architect.flow.validate.failed.invalid.name.no.alpha",
            "A flow name must contain at least one letter or digit.",
        )
    if name.lower().endswith("-debug"):
        return (
            "architect.flow.validate.failed.invalid.name.contains.debug",
            "A flow name cannot end with '-debug'.",
        )
    if len(name) > 200:
        return "architect.flow.validate.failed", "A flow name is at most 200 characters."
    return None


def check_name(name: Any) -> str:
    problem = name_problem(name)
    if problem is not None:
        raise ApiError(400, problem[0], problem[1])
    assert isinstance(name, str)
    return name


# -- Archy YAML ------------------------------------------------------------------------------------


class ArchyError(ValueError):
    """The YAML cannot become a flow (the job's Failure message)."""


class _NoAliasLoader(yaml.SafeLoader):
    """safe_load without anchors/aliases (no billion-laughs expansion) and with a node budget."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._nodes = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise ArchyError("YAML aliases (*name) are not supported in a flow definition.")
        self._nodes += 1
        if self._nodes > MAX_YAML_NODES:
            raise ArchyError(f"The flow definition has more than {MAX_YAML_NODES} YAML nodes.")
        return super().compose_node(parent, index)


@dataclass(frozen=True)
class Reference:
    kind: str
    name: str


@dataclass
class ArchyDoc:
    flow_type: str
    name: str
    description: str | None
    references: list[Reference] = field(default_factory=list)


def parse_archy(text: str) -> ArchyDoc:
    """Read the top-level key, name, description and flow references of an Archy YAML document."""
    try:
        loader = _NoAliasLoader(text)
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
    except ArchyError:
        raise
    except RecursionError:
        raise ArchyError("The flow definition is nested too deeply.") from None
    except yaml.YAMLError as exc:
        raise ArchyError(f"The flow definition is not valid YAML: {str(exc)[:300]}") from None
    if not isinstance(data, dict) or not data:
        raise ArchyError(
            "The flow definition must be a mapping with one top-level key naming the flow type "
            f"(one of {', '.join(ARCHY_KEYS)})."
        )
    if len(data) != 1:
        raise ArchyError(f"The flow definition must have exactly one top-level key (found {len(data)}).")
    key = next(iter(data))
    if key in MISSPELT_KEYS:
        raise ArchyError(f"Unknown flow type key {key!r}: Archy writes {MISSPELT_KEYS[key]!r}.")
    if key not in ARCHY_KEYS:
        raise ArchyError(f"Unknown flow type key {str(key)[:80]!r}: expected one of {', '.join(ARCHY_KEYS)}.")
    body = data[key]
    if not isinstance(body, dict):
        raise ArchyError(f"'{key}' must be a mapping holding the flow's name and settings.")
    name = body.get("name")
    problem = name_problem(name)
    if problem is not None:
        raise ArchyError(f"'{key}.name': {problem[1]}")
    description = body.get("description")
    return ArchyDoc(
        ARCHY_KEYS[key],
        str(name),
        description if isinstance(description, str) else None,
        find_references(body),
    )


def find_references(tree: Any) -> list[Reference]:
    """Every flow referenced by name anywhere in the tree (walked iteratively), first seen first;
    settings blocks (`settings...` keys) hold defaults, not references, and are not walked."""
    found: dict[tuple[str, str], Reference] = {}
    stack: list[Any] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(reversed(node))
            continue
        if not isinstance(node, dict):
            continue
        for key, value in node.items():
            if key in FLOW_ACTIONS and isinstance(value, dict):
                holder_key, form, kind = FLOW_ACTIONS[key]
                holder = value.get(holder_key)
                if form == "map":
                    names = [n for n in holder if isinstance(n, str)] if isinstance(holder, dict) else []
                else:
                    name = holder.get("name") if isinstance(holder, dict) else None
                    names = [name] if isinstance(name, str) else []
                for name in (n for n in names if n):
                    found.setdefault((kind, name.lower()), Reference(kind, name))
        stack.extend(reversed([v for k, v in node.items() if not str(k).startswith("settings")]))
    return list(found.values())


def stub_yaml(flow_type: str, name: str) -> str:
    """The Archy YAML of an empty stub flow created by `createStubs`."""
    return yaml.safe_dump({TYPE_TO_ARCHY_KEY.get(flow_type, "inboundCall"): {"name": name}}, sort_keys=False)
