"""A Flow resource's inputs and outputs (plain data, logical keys): the keys, their canonical form,
what `diff` compares, and the conversions to and from the canonical document and a platform's
`LiveFlow`. No API call, no process state; `provider.deploy.resource` holds the provider."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provider.domain import convert
from provider.domain.document import FlowDocument
from provider.domain.models import MANAGED_FIELDS, FlowType
from provider.platforms.base import LiveFlow

CONNECTION_KEY = "__connection"
FLOW_KEY = "flowKey"
REFERENCE_IDS = "referenceIds"
#: The Archy text (platform genesys-cloud only: absent from architecture-api inputs and state).
ARCHY_KEY = "archy"
#: The managed fields, as the inputs hold them (references and block references as logical keys).
FIELD_KEYS: tuple[str, ...] = MANAGED_FIELDS
#: What `diff` compares: the managed fields, the Archy text and the ids the references resolve to.
DIFF_KEYS: tuple[str, ...] = (*FIELD_KEYS, ARCHY_KEY, REFERENCE_IDS)
#: What a genesys-cloud deploy records besides the revision (`LiveFlow.extra`): the version
#: pointers, and the sha256 of the Archy text we deployed (without it every update runs a job).
ARCHY_SHA_KEY = "archySha256"
PLATFORM_EXTRA_KEYS: tuple[str, ...] = (
    "publishedVersion",
    "checkedInVersion",
    ARCHY_SHA_KEY,
    "referencesUnknown",
)
#: The flow ids the live flow uses (genesys-cloud dependency tracking), and who changed it.
CONSUMED_KEY = "consumedIds"
#: Server-side outputs.
OUTPUT_KEYS: tuple[str, ...] = ("flowId", "version", "lifecycleState", "dateModified", "selfUri")
#: Never cause a diff.
INTERNAL_KEYS: frozenset[str] = frozenset({CONNECTION_KEY, FLOW_KEY, "__provider", *OUTPUT_KEYS})

CODE_NAME_DUPLICATE = "architect.flow.name.duplicate"
#: A flow of this type and name exists: the Architecture API's code and the real platform's.
DUPLICATE_CODES: frozenset[str] = frozenset({CODE_NAME_DUPLICATE, "architect.flow.already.exists"})
CODE_IN_USE = "architect.flow.in.use"
DEFAULT_TYPE = str(FlowType.INBOUNDCALL)


class FlowProviderError(Exception):
    """A provider operation failed; the message says what happened and what to do."""


# ------------------------------------------------------------------------------------------ values


def is_unknown(value: Any) -> bool:
    """The engine's placeholder for a value not known yet (preview): `pulumi.output.Unknown` or the
    RPC sentinel string."""
    from pulumi.output import Unknown
    from pulumi.runtime.rpc import UNKNOWN

    return isinstance(value, Unknown) or (isinstance(value, str) and value == UNKNOWN)


def contains_unknown(value: Any) -> bool:
    if is_unknown(value):
        return True
    if isinstance(value, Mapping):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(contains_unknown(v) for v in value)
    return False


def _plain(value: Any) -> Any:
    """Secret wrappers (as the RPC layer may hand them over) removed, recursively."""
    from pulumi.runtime.rpc import unwrap_rpc_secret

    value = unwrap_rpc_secret(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _normalize_field(key: str, value: Any) -> Any:
    """One managed field in its canonical form (unknowns and odd shapes are kept as they are)."""
    if contains_unknown(value):
        return value
    if key == "description":
        return "" if value is None else value
    if key == "type":
        return DEFAULT_TYPE if value is None else str(value)
    if key == "lifecycle_state":
        return None if value is None else str(value)
    if key == "blocks":
        if value is None:
            return []
        if isinstance(value, list) and all(isinstance(b, Mapping) for b in value):
            try:
                return convert.canonical_blocks(value)
            except (TypeError, ValueError):
                return value
        return value
    if key == "references":
        return [] if value is None else value
    if key == REFERENCE_IDS:
        return {} if value is None else value
    return value


def normalize_inputs(props: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs with every managed field in canonical form; other keys kept but an old state's
    `__connection` (a secret no flow's inputs hold any more)."""
    out = {k: v for k, v in props.items() if k != CONNECTION_KEY}
    for key in DIFF_KEYS:
        if key == ARCHY_KEY and key not in props:
            continue  # architecture-api: no Archy key at all (its state stays as it was)
        out[key] = _normalize_field(key, props.get(key))
    return out


def _comparable(key: str, value: Any) -> Any:
    value = _normalize_field(key, value)
    if key == "references" and isinstance(value, list) and not contains_unknown(value):
        # The contract treats references as a set.
        return sorted(str(v) for v in value)
    return value


def changed_fields(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
    """The diffed keys whose new value differs from the old one or is not known yet."""
    changed = []
    for key in DIFF_KEYS:
        new = news.get(key)
        if contains_unknown(new) or _comparable(key, olds.get(key)) != _comparable(key, new):
            changed.append(key)
    return changed


# ------------------------------------------------------------------------------------- conversion


def _key(props: Mapping[str, Any]) -> str:
    return str(props.get(FLOW_KEY) or props.get("name") or "?")


def reference_ids(props: Mapping[str, Any]) -> dict[str, str]:
    """`referenceIds` of `props`; every referenced key must have an id."""
    ids = dict(props.get(REFERENCE_IDS) or {})
    missing = [r for r in props.get("references") or [] if r not in ids]
    if missing:
        raise FlowProviderError(
            f"flow {_key(props)!r}: no flow id for the referenced key(s) {', '.join(missing)}"
        )
    return ids


def to_document(props: Mapping[str, Any]) -> FlowDocument:
    """The managed fields of `props` (inputs or outputs) as the canonical document (logical keys)."""
    return convert.from_inputs(props, key=_key(props))


def to_base(flow_id: str, olds: Mapping[str, Any]) -> LiveFlow:
    """The flow as the state last saw it (the base of an update): fields with ids, and its revision."""
    ids = reference_ids(olds)
    version = olds.get("version")
    archy = olds.get(ARCHY_KEY)
    return LiveFlow(
        id=flow_id,
        name=olds.get("name") or "",
        type=str(olds.get("type") or DEFAULT_TYPE),
        description=olds.get("description") or "",
        lifecycle_state=str(olds.get("lifecycle_state")),
        # architecture-api: the `_version`; genesys-cloud: the version pointers we last wrote.
        revision=str(int(version or 0)) if archy is None else str(version or ""),
        references=tuple(ids[r] for r in olds.get("references") or []),
        content=convert.map_block_references(olds.get("blocks") or [], ids) if archy is None else archy,
        extra={k: str(olds[k]) for k in PLATFORM_EXTRA_KEYS if olds.get(k)},
    )


def inputs_from_flow(flow: LiveFlow, previous: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs a live flow corresponds to: ids mapped back to logical keys through the previous
    `referenceIds` (an id it does not know stays an id, so the next diff shows it); the flow key is
    kept from `previous`."""
    known = dict(previous.get(REFERENCE_IDS) or {})
    key_of_id = {flow_id: key for key, flow_id in known.items()}
    wire = {
        "name": flow.name,
        "description": flow.description,
        "type": flow.type,
        "lifecycle_state": flow.lifecycle_state,
        "references": list(flow.references),
        "blocks": flow.content or [],
    }
    logical = convert.to_logical(wire, key_of_id)
    ids: dict[str, str] = {}
    for flow_id in flow.references:
        ids[key_of_id.get(flow_id, flow_id)] = flow_id
    inputs: dict[str, Any] = {**logical, REFERENCE_IDS: ids}
    if previous.get(FLOW_KEY) is not None:
        inputs[FLOW_KEY] = previous[FLOW_KEY]
    return inputs


def _version(revision: str) -> int | str:
    return int(revision) if revision.isdigit() else revision


def outputs(inputs: Mapping[str, Any], flow: LiveFlow) -> dict[str, Any]:
    """The outputs: the (normalized) inputs plus the platform's view of the flow."""
    out = normalize_inputs(inputs)
    out.update(
        {
            "flowId": flow.id,
            "version": _version(flow.revision),
            "lifecycleState": flow.lifecycle_state,
            "dateModified": flow.extra.get("dateModified") or None,
            "selfUri": flow.self_uri,
        }
    )
    if ARCHY_KEY in out:  # genesys-cloud: what the next diff and update need
        out.update({k: flow.extra[k] for k in PLATFORM_EXTRA_KEYS if k in flow.extra})
        out[CONSUMED_KEY] = list(flow.references)
    return out


def refreshed(props: Mapping[str, Any], flow: LiveFlow, text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Outputs and inputs after a refresh found someone else's version (genesys-cloud): the live
    name, lifecycle and Archy text, so the next preview shows the difference; the revision and the
    Archy sha we last wrote stay the base, so the next update sees the change (policy fail/overwrite)."""
    live = {
        "name": flow.name,
        "description": flow.description,
        "lifecycle_state": flow.lifecycle_state,
        ARCHY_KEY: text,
    }
    inputs = {k: props[k] for k in (*DIFF_KEYS, FLOW_KEY) if k in props}
    inputs.update(live)
    outs = {
        **{k: v for k, v in props.items() if k != CONNECTION_KEY},
        **live,
        "lifecycleState": flow.lifecycle_state,
        "liveRevision": flow.revision,
    }
    if flow.changed_by:
        outs["changedBy"] = flow.changed_by
    return outs, inputs
