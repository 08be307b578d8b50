"""Archy YAML documents: what the project reads from them (no I/O, no platform calls).

An Archy document has one top-level key, the flow type (`inboundCall`, `commonModule`, ...), holding
`name`, optional `description`, and the flow's settings and actions. Other flows are referenced by
*name*: `callCommonModule: {commonModule: {<module name>: ...}}` (a COMMONMODULE) and
`transferToFlow` / `transferToFlowSecure: {targetFlow: {name: <name>}}` (any type; secure transfers
target SECURECALL flows). The contract (genesys-cloud-flows.md, sections 3 and 4) lists the keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from provider.domain import yaml_safe
from provider.domain.models import FlowType
from provider.domain.rules import RULE_UNKNOWN, Problem

#: Archy's top-level key → the platform's flow type.
ARCHY_TYPES: dict[str, FlowType] = {
    "inboundCall": FlowType.INBOUNDCALL,
    "inboundChat": FlowType.INBOUNDCHAT,
    "inboundEmail": FlowType.INBOUNDEMAIL,
    "inboundShortMessage": FlowType.INBOUNDSHORTMESSAGE,
    "inQueueCall": FlowType.INQUEUECALL,
    "inQueueEmail": FlowType.INQUEUEEMAIL,
    "inQueueShortMessage": FlowType.INQUEUESHORTMESSAGE,
    "outboundCall": FlowType.OUTBOUNDCALL,
    "secureCall": FlowType.SECURECALL,
    "commonModule": FlowType.COMMONMODULE,
    "workflow": FlowType.WORKFLOW,
    "workitem": FlowType.WORKITEM,
    "bot": FlowType.BOT,
    "digitalBot": FlowType.DIGITALBOT,
    "voicemail": FlowType.VOICEMAIL,
    "surveyInvite": FlowType.SURVEYINVITE,
}
ARCHY_KEY_OF_TYPE: dict[str, str] = {flow_type.value: key for key, flow_type in ARCHY_TYPES.items()}


class ArchyError(ValueError):
    """The document is not a usable Archy flow; `field` says where (e.g. `inboundCall.name`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ArchyRef:
    """A flow another flow uses, by name; `type` is set when the action fixes it."""

    name: str
    type: FlowType | None
    action: str
    #: Where in the document (a path like `inboundCall.menus[0]...callCommonModule`).
    path: str


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
    return ArchyFlow(flow_type, name, description or "", tuple(references(body, str(key))), str(key))


def references(body: object, root: str = "") -> list[ArchyRef]:
    """Every flow referenced in `body`, in document order (walked iteratively: deep documents are
    bounded by the loader, not by Python's recursion limit)."""
    found: list[ArchyRef] = []
    stack: list[tuple[object, str]] = [(body, root)]
    while stack:
        node, path = stack.pop()
        if isinstance(node, Mapping):
            found.extend(_refs_of(node, path))
            children = [(v, f"{path}.{k}" if path else str(k)) for k, v in node.items()]
        elif isinstance(node, list):
            children = [(v, f"{path}[{i}]") for i, v in enumerate(node)]
        else:
            continue
        stack.extend(reversed(children))
    return found


def _refs_of(node: Mapping[object, object], path: str) -> list[ArchyRef]:
    out: list[ArchyRef] = []
    call = node.get("callCommonModule")
    if isinstance(call, Mapping):
        modules = call.get("commonModule")
        names = (
            list(modules) if isinstance(modules, Mapping) else [modules] if isinstance(modules, str) else []
        )
        where = f"{path}.callCommonModule"
        out.extend(ArchyRef(str(n), FlowType.COMMONMODULE, "callCommonModule", where) for n in names)
    for action, flow_type in (("transferToFlow", None), ("transferToFlowSecure", FlowType.SECURECALL)):
        transfer = node.get(action)
        if isinstance(transfer, Mapping):
            target = transfer.get("targetFlow")
            if isinstance(target, Mapping) and isinstance(target.get("name"), str):
                out.append(ArchyRef(str(target["name"]), flow_type, action, f"{path}.{action}"))
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
            if ref.type is not None:
                match = by_type_name.get((ref.type, ref.name.casefold()))
                candidates = [match] if match is not None else []
            else:
                candidates = by_name.get(ref.name.casefold(), [])
            out.append((key, ref, candidates))
    return out


def resolve(flows: Mapping[str, ArchyFlow]) -> tuple[dict[str, list[str]], list[Problem]]:
    """Each flow's references as logical keys (by type and case-insensitive name across the set),
    and every reference that names no flow of the set or more than one."""
    resolved: dict[str, list[str]] = {key: [] for key in flows}
    problems: list[Problem] = []
    for key, ref, candidates in _candidates(flows):
        keys = resolved[key]
        what = f"{ref.type.value} flow" if ref.type is not None else "flow"
        if not candidates:
            problems.append(
                Problem(
                    key,
                    ref.path,
                    RULE_UNKNOWN,
                    f"{ref.action} names the {what} {ref.name!r}, which no definition of this set "
                    f"deploys (names are compared after substitution, case-insensitively)",
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
