"""Archy YAML documents: what the project reads from them (no I/O, no platform calls).

An Archy document has one top-level key, the flow type (`inboundCall`, `commonModule`, ...), holding
`name`, optional `description`, and the flow's settings and actions. Other flows are referenced by
*name*, by the actions of `FLOW_ACTIONS`: `callCommonModule: {commonModule: {<module name>: ...}}`
(a COMMONMODULE), `transferToFlow` / `transferToFlowSecure: {targetFlow: {name: <name>}}` (any type;
secure transfers target SECURECALL flows), `callBotFlow: {botFlow: {<bot name>: ...}}` (BOT or
DIGITALBOT), `callDigitalBotFlow: {digitalBotFlow: {<name>: ...}}` and `transferToAcd:
{overrideInQueueFlow: {name: <name>}}` (an in-queue flow). Settings blocks (`settings...`) hold
defaults, not references. The contract (genesys-cloud-flows.md, sections 3 and 4) lists the keys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from provider.domain import yaml_safe
from provider.domain.fields import FlowType
from provider.domain.problems import RULE_UNKNOWN, Problem

#: Archy's top-level key → the platform's flow type.
ARCHY_TYPES: dict[str, FlowType] = {
    "inboundCall": FlowType.INBOUNDCALL,
    "inboundChat": FlowType.INBOUNDCHAT,
    "inboundEmail": FlowType.INBOUNDEMAIL,
    "inboundShortMessage": FlowType.INBOUNDSHORTMESSAGE,
    "inqueueCall": FlowType.INQUEUECALL,
    "inqueueEmail": FlowType.INQUEUEEMAIL,
    "inqueueShortMessage": FlowType.INQUEUESHORTMESSAGE,
    "outboundCall": FlowType.OUTBOUNDCALL,
    "secureCall": FlowType.SECURECALL,
    "commonModule": FlowType.COMMONMODULE,
    "workflow": FlowType.WORKFLOW,
    "workitem": FlowType.WORKITEM,
    "botFlow": FlowType.BOT,
    "digitalBotFlow": FlowType.DIGITALBOT,
    "voicemail": FlowType.VOICEMAIL,
    "surveyInvite": FlowType.SURVEYINVITE,
}
ARCHY_KEY_OF_TYPE: dict[str, str] = {flow_type.value: key for key, flow_type in ARCHY_TYPES.items()}
#: Spellings Archy does not use, seen in earlier editions of the contract and in hand-written
#: files → the key Archy writes (the in-queue keys have a lower-case `q`; bot flows end in `Flow`).
MISSPELT_KEYS: dict[str, str] = {
    "inQueueCall": "inqueueCall",
    "inQueueEmail": "inqueueEmail",
    "inQueueShortMessage": "inqueueShortMessage",
    "bot": "botFlow",
    "digitalBot": "digitalBotFlow",
}


class ArchyError(ValueError):
    """The document is not a usable Archy flow; `field` says where (e.g. `inboundCall.name`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ArchyRef:
    """A flow another flow uses, by name; `types` are the flow types the action accepts (empty:
    any type, as for `transferToFlow`)."""

    name: str
    types: tuple[FlowType, ...]
    action: str
    #: Where in the document (a path like `inboundCall.menus[0]...callCommonModule`).
    path: str

    @property
    def type(self) -> FlowType | None:
        """The one type the action fixes, or None (any type, or a choice of several)."""
        return self.types[0] if len(self.types) == 1 else None

    @property
    def what(self) -> str:
        """The accepted types for messages: `COMMONMODULE flow`, `BOT or DIGITALBOT flow`, `flow`."""
        return f"{' or '.join(t.value for t in self.types)} flow" if self.types else "flow"


INQUEUE_TYPES = (FlowType.INQUEUECALL, FlowType.INQUEUEEMAIL, FlowType.INQUEUESHORTMESSAGE)
#: The actions that name another flow (emulator/README.md and README.md list the sources):
#: action → (the key holding the name, how it holds it, the types it accepts). `map`: the key holds a
#: mapping whose key is the flow's name (`commonModule: {Verify: {ver_latestPublished: ...}}`);
#: `name`: the key holds `{name: <flow name>}`.
FLOW_ACTIONS: dict[str, tuple[str, str, tuple[FlowType, ...]]] = {
    "callCommonModule": ("commonModule", "map", (FlowType.COMMONMODULE,)),
    "transferToFlow": ("targetFlow", "name", ()),
    "transferToFlowSecure": ("targetFlow", "name", (FlowType.SECURECALL,)),
    "callBotFlow": ("botFlow", "map", (FlowType.BOT, FlowType.DIGITALBOT)),
    "callDigitalBotFlow": ("digitalBotFlow", "map", (FlowType.DIGITALBOT,)),
    "transferToAcd": ("overrideInQueueFlow", "name", INQUEUE_TYPES),
    # A menu's choice that transfers to a queue (seen in genesys-cloud-call-park's inbound flow).
    "menuTransferToAcd": ("overrideInQueueFlow", "name", INQUEUE_TYPES),
}
#: The in-queue flow an ACD transfer may override, by the media of the flow transferring (the
#: contract: "an in-queue flow of the same media"); other flow types may name any in-queue flow.
INQUEUE_OF_MEDIA: dict[FlowType, FlowType] = {
    FlowType.INBOUNDCALL: FlowType.INQUEUECALL,
    FlowType.INQUEUECALL: FlowType.INQUEUECALL,
    FlowType.SECURECALL: FlowType.INQUEUECALL,
    FlowType.INBOUNDEMAIL: FlowType.INQUEUEEMAIL,
    FlowType.INQUEUEEMAIL: FlowType.INQUEUEEMAIL,
    FlowType.INBOUNDSHORTMESSAGE: FlowType.INQUEUESHORTMESSAGE,
    FlowType.INQUEUESHORTMESSAGE: FlowType.INQUEUESHORTMESSAGE,
}
#: A flow's settings blocks (`settingsActionDefaults`, `settingsBotFlow`, ...) hold defaults, not
#: actions: a key there named like an action is not a reference.
SETTINGS_PREFIX = "settings"


@dataclass(frozen=True)
class ArchyFlow:
    type: FlowType
    name: str
    description: str
    references: tuple[ArchyRef, ...]
    #: The document's top-level key (`inboundCall`, ...), for messages.
    top_key: str


def parse(text: str, *, source: str = "archy") -> ArchyFlow:
    """Parse Archy YAML with the bounded loader (no aliases, no duplicate keys, bounded depth and
    size) and read it; `ArchyError` when it is unusable."""
    try:
        document = yaml_safe.load(text, source=source)
    except yaml_safe.YamlError as exc:
        raise ArchyError("", str(exc)) from None
    return read(document)


def read(document: object) -> ArchyFlow:
    """The type, name, description and referenced flows of a parsed Archy document."""
    if not isinstance(document, Mapping) or len(document) != 1:
        raise ArchyError("", "an Archy document has exactly one top-level key, the flow type")
    ((key, body),) = document.items()
    flow_type = ARCHY_TYPES.get(str(key))
    if flow_type is None and str(key) in MISSPELT_KEYS:
        right = MISSPELT_KEYS[str(key)]
        raise ArchyError(str(key), f"{key!r} is not Archy's key: Archy writes {right!r}")
    if flow_type is None:
        known = ", ".join(ARCHY_TYPES)
        raise ArchyError(str(key), f"unknown top-level key {key!r} (the flow type); use one of {known}")
    if not isinstance(body, Mapping):
        raise ArchyError(str(key), f"{key} must hold a mapping (name, description, actions, ...)")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ArchyError(f"{key}.name", f"{key}.name is required: the flow's name")
    description = body.get("description")
    if description is not None and not isinstance(description, str):
        raise ArchyError(f"{key}.description", f"{key}.description must be text")
    refs = tuple(_of_media(ref, flow_type) for ref in references(body, str(key)))
    return ArchyFlow(flow_type, name, description or "", refs, str(key))


def _of_media(ref: ArchyRef, flow_type: FlowType) -> ArchyRef:
    """An ACD transfer's in-queue flow narrowed to the transferring flow's media, where it has one."""
    media = INQUEUE_OF_MEDIA.get(flow_type)
    if ref.types != INQUEUE_TYPES or media is None:
        return ref
    return ArchyRef(ref.name, (media,), ref.action, ref.path)


def references(body: object, root: str = "") -> list[ArchyRef]:
    """Every flow referenced in `body`, in document order (walked iteratively: deep documents are
    bounded by the loader, not by Python's recursion limit). Settings blocks are not walked."""
    found: list[ArchyRef] = []
    stack: list[tuple[object, str]] = [(body, root)]
    while stack:
        node, path = stack.pop()
        if isinstance(node, Mapping):
            found.extend(_refs_of(node, path))
            children = [
                (v, f"{path}.{k}" if path else str(k))
                for k, v in node.items()
                if not str(k).startswith(SETTINGS_PREFIX)
            ]
        elif isinstance(node, list):
            children = [(v, f"{path}[{i}]") for i, v in enumerate(node)]
        else:
            continue
        stack.extend(reversed(children))
    return found


def _names(holder: object, form: str) -> list[str]:
    if form == "map":
        if isinstance(holder, Mapping):
            return [str(n) for n in holder if isinstance(n, str) and n.strip()]
        return [holder] if isinstance(holder, str) and holder.strip() else []
    if isinstance(holder, Mapping) and isinstance(holder.get("name"), str) and holder["name"].strip():
        return [holder["name"]]
    return []


def _refs_of(node: Mapping[object, object], path: str) -> list[ArchyRef]:
    out: list[ArchyRef] = []
    for action, (key, form, types) in FLOW_ACTIONS.items():
        body = node.get(action)
        if isinstance(body, Mapping):
            where = f"{path}.{action}" if path else action
            out.extend(ArchyRef(n, types, action, where) for n in _names(body.get(key), form))
    return out


RULE_ARCHY_INVALID = "archy.document.invalid"
RULE_AMBIGUOUS = "archy.reference.ambiguous"
RULE_REFERENCES_DISAGREE = "definition.references.mismatch"


def _candidates(flows: Mapping[str, ArchyFlow]) -> list[tuple[str, ArchyRef, list[str]]]:
    """Every reference of every flow with the keys of the set it may name (by type and
    case-insensitive name)."""
    by_type_name: dict[tuple[FlowType, str], str] = {}
    by_name: dict[str, list[str]] = {}
    for key, flow in flows.items():
        by_type_name[(flow.type, flow.name.casefold())] = key
        by_name.setdefault(flow.name.casefold(), []).append(key)
    out: list[tuple[str, ArchyRef, list[str]]] = []
    for key, flow in flows.items():
        for ref in flow.references:
            if ref.types:
                matches = (by_type_name.get((t, ref.name.casefold())) for t in ref.types)
                candidates = [m for m in matches if m is not None]
            else:
                candidates = by_name.get(ref.name.casefold(), [])
            out.append((key, ref, candidates))
    return out


class External(Protocol):
    """A flow a definition declares the set does not manage (`genesys_cloud.loading.ExternalFlow`)."""

    @property
    def type(self) -> FlowType: ...

    @property
    def name(self) -> str: ...


def is_external(ref: ArchyRef, declared: Sequence[External]) -> bool:
    """The reference names a flow the definition declares external (same name case-insensitively,
    a type the action accepts)."""
    return any(
        e.name.casefold() == ref.name.casefold() and (not ref.types or e.type in ref.types) for e in declared
    )


def resolve(
    flows: Mapping[str, ArchyFlow], external: Mapping[str, Sequence[External]] | None = None
) -> tuple[dict[str, list[str]], list[Problem]]:
    """Each flow's references as logical keys (by type and case-insensitive name across the set),
    and every reference that names no flow of the set or more than one. A reference to no flow of
    the set that the flow declares `external` is left to the org check (not ordered, no problem)."""
    resolved: dict[str, list[str]] = {key: [] for key in flows}
    problems: list[Problem] = []
    for key, ref, candidates in _candidates(flows):
        keys = resolved[key]
        what = ref.what
        if not candidates and is_external(ref, (external or {}).get(key, ())):
            continue
        if not candidates:
            problems.append(
                Problem(
                    key,
                    ref.path,
                    RULE_UNKNOWN,
                    f"{ref.action} names the {what} {ref.name!r}, which no definition of this set "
                    f"deploys (names are compared after substitution, case-insensitively); a flow "
                    f"another team owns is declared in the definition's `external: [{{type, name}}]`",
                )
            )
        elif len(candidates) > 1:
            problems.append(
                Problem(
                    key,
                    ref.path,
                    RULE_AMBIGUOUS,
                    f"{ref.action} names {ref.name!r}, which several definitions deploy "
                    f"({', '.join(sorted(candidates))}); give those flows distinct names",
                )
            )
        elif candidates[0] not in keys:
            keys.append(candidates[0])
    return resolved, problems


def reference_paths(flows: Mapping[str, ArchyFlow]) -> dict[str, dict[str, str]]:
    """Each flow's resolved references → where in its document the first one is (the Archy path of
    the action), for problems about an edge of the reference graph (e.g. a cycle)."""
    paths: dict[str, dict[str, str]] = {key: {} for key in flows}
    for key, ref, candidates in _candidates(flows):
        if len(candidates) == 1:
            paths[key].setdefault(candidates[0], ref.path)
    return paths


def reference_problems(key: str, declared: list[str] | None, derived: list[str]) -> list[Problem]:
    """Declared `references` must name exactly the flows the content uses (when they are given)."""
    if declared is None or set(declared) == set(derived):
        return []
    missing = sorted(set(derived) - set(declared))
    extra = sorted(set(declared) - set(derived))
    parts = []
    if missing:
        parts.append(f"the content uses {', '.join(missing)}, which `references` does not list")
    if extra:
        parts.append(f"`references` lists {', '.join(extra)}, which the content does not use")
    return [Problem(key, "references", RULE_REFERENCES_DISAGREE, "; ".join(parts))]
