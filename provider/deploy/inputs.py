"""A Flow resource's inputs and outputs (plain data, logical keys): the keys, their canonical form,
what `diff` compares, and the conversions to and from the canonical document and a platform's
`LiveFlow`. No API call, no process state; `provider.deploy.resource` holds the provider.

The outputs are slim (issue 14, "State"): the engine writes every resource's inputs *and* outputs
into the checkpoint, so the outputs hold only what `diff`, `update`, `read` and `delete` need (they get
the previous outputs as `olds`, never the inputs): the small managed fields, the references and their
ids, the flow key, the platform's revision and extras, and a sha256 standing for the content (the
block tree, the Archy text) instead of the content itself. A `pulumi preview` still shows a content
change as a diff of `blocks`/`archy`: the engine displays old inputs against new inputs. Outputs
written before (the content in full) keep working: where the content is there, it is compared.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from provider.domain import convert
from provider.domain.document import FlowDocument
from provider.domain.fields import MANAGED_FIELDS, FlowType, attribute, attribute_values
from provider.platforms.base import LiveFlow

CONNECTION_KEY = "__connection"
FLOW_KEY = "flowKey"
REFERENCE_IDS = "referenceIds"
#: genesys-cloud: the references that close a cycle, bound by name (key → {name, type} of the
#: target; present only on a flow holding one: provider/deploy/cycles.py). Diffed: a target's new
#: type must bind again.
BY_NAME_KEY = "referencesByName"
#: Outputs only (never diffed): the flow ids those by-name references were bound to by the last
#: write, so the next update knows when a target was replaced (its job must run again).
BY_NAME_IDS_KEY = "referencesByNameIds"
#: The Archy text (platform genesys-cloud only: absent from architecture-api inputs and state).
ARCHY_KEY = "archy"
#: The managed fields, as the inputs hold them (references and block references as logical keys).
FIELD_KEYS: tuple[str, ...] = MANAGED_FIELDS
#: What `diff` compares: the managed fields, the Archy text and the ids the references resolve to.
DIFF_KEYS: tuple[str, ...] = (*FIELD_KEYS, ARCHY_KEY, REFERENCE_IDS)
#: What a genesys-cloud deploy records besides the revision (`LiveFlow.extra`): the sha256 of the
#: Archy text we deployed (without it every update runs a job), and whether the consumed flows were
#: unknown (then the next update looks them up again).
ARCHY_SHA_KEY = "archySha256"
#: The extra saying the recorded revision was derived, not read back (how: "create" or "update").
INFERRED_KEY = "revisionInferred"
PLATFORM_EXTRA_KEYS: tuple[str, ...] = (ARCHY_SHA_KEY, "referencesUnknown", INFERRED_KEY)
#: Keys outputs written before held and the slim outputs drop: the flow ids the live flow used
#: (genesys-cloud dependency tracking; read by nothing) and the version pointers (`version` holds both).
CONSUMED_KEY = "consumedIds"
DROPPED_OUTPUT_KEYS: frozenset[str] = frozenset(
    {CONNECTION_KEY, CONSUMED_KEY, "publishedVersion", "checkedInVersion"}
)
#: The content fields the outputs hold as a sha256 instead (`content_sha`): the block tree
#: (architecture-api; an empty tree, as every genesys-cloud flow has, is simply left out) and the Archy
#: text of the state's content (genesys-cloud; not `archySha256`, the platform's fingerprint of the
#: text it last deployed, which a refresh that found someone else's version keeps as the base).
BLOCKS_SHA_KEY = "blocksSha256"
ARCHY_TEXT_SHA_KEY = "archyTextSha256"
CONTENT_SHA_KEYS: dict[str, str] = {"blocks": BLOCKS_SHA_KEY, ARCHY_KEY: ARCHY_TEXT_SHA_KEY}
#: A block tree no definition has: the base content of an update when the state holds only the
#: sha256 of the old tree and the new tree differs from it (the PATCH then sends the blocks; a merge
#: compares against the server's copy of the base version, see `to_base`).
UNKNOWN_BASE_BLOCKS: tuple[dict[str, str], ...] = (
    {"id": "(not recorded in the state)", "type": "(unknown)"},
)
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
    row = attribute(key)
    if row is not None:
        return row.value(value)
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
    if not out.get(BY_NAME_KEY) and not contains_unknown(out.get(BY_NAME_KEY)):
        out.pop(BY_NAME_KEY, None)  # only a flow closing a cycle holds it
    return out


def _comparable(key: str, value: Any) -> Any:
    value = _normalize_field(key, value)
    if key == "references" and isinstance(value, list) and not contains_unknown(value):
        # The contract treats references as a set.
        return sorted(str(v) for v in value)
    return value


def content_sha(key: str, value: Any) -> str:
    """The sha256 standing for a content field in the outputs: of the Archy text as it is, or of the
    canonical block tree as compact JSON with sorted keys."""
    value = _normalize_field(key, value)
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def is_archy(props: Mapping[str, Any]) -> bool:
    """genesys-cloud: the props hold the Archy text, or (slim outputs) its sha256."""
    return props.get(ARCHY_KEY) is not None or ARCHY_TEXT_SHA_KEY in props


def changed_fields(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
    """The diffed keys whose new value differs from the old one or is not known yet. `olds` are the
    previous outputs: a content field they hold only as its sha256 is compared by sha256; one they
    hold in full (outputs written before, an import that recorded the live content) is compared."""
    changed = []
    archy = is_archy(news)
    for key in DIFF_KEYS:
        new = news.get(key)
        sha_key = CONTENT_SHA_KEYS.get(key)
        if contains_unknown(new):
            changed.append(key)
        elif archy and key in ("references", REFERENCE_IDS):
            # genesys-cloud: the content binds flows by name, so what counts is which flows (ids) it
            # uses; a referenced flow's key renamed (`aliases`) leaves them as they are.
            if _used_ids(olds) != _used_ids(news) or (
                key == REFERENCE_IDS and (olds.get(BY_NAME_KEY) or None) != (news.get(BY_NAME_KEY) or None)
            ):
                changed.append(key)
        elif sha_key is not None and key not in olds and sha_key in olds:
            if olds[sha_key] != content_sha(key, new):
                changed.append(key)
        elif _comparable(key, olds.get(key)) != _comparable(key, new):
            changed.append(key)
    return changed


def _used_ids(props: Mapping[str, Any]) -> list[str] | None:
    """The flow ids `props`' references resolve to, as a sorted list (None when one has no id)."""
    ids = props.get(REFERENCE_IDS) or {}
    by_name = props.get(BY_NAME_KEY) or {}
    if not isinstance(ids, Mapping):
        return None
    try:
        return sorted(str(ids[r]) for r in props.get("references") or [] if r not in by_name)
    except (KeyError, TypeError):
        return None


def slim(props: Mapping[str, Any]) -> dict[str, Any]:
    """Outputs as the state keeps them: the content fields replaced by their sha256 (an empty block
    tree left out), and nothing that no operation reads (`DROPPED_OUTPUT_KEYS`)."""
    out = {k: v for k, v in props.items() if k not in DROPPED_OUTPUT_KEYS}
    for key, sha_key in CONTENT_SHA_KEYS.items():
        if key not in out or contains_unknown(out[key]):
            continue
        value = out.pop(key)
        if key == "blocks" and not _normalize_field(key, value):
            out.pop(sha_key, None)
        elif key != ARCHY_KEY or value is not None:
            out[sha_key] = content_sha(key, value)
    return out


# ------------------------------------------------------------------------------------- conversion


def _key(props: Mapping[str, Any]) -> str:
    return str(props.get(FLOW_KEY) or props.get("name") or "?")


def reference_ids(props: Mapping[str, Any]) -> dict[str, str]:
    """`referenceIds` of `props`; every referenced key must have an id."""
    ids = dict(props.get(REFERENCE_IDS) or {})
    by_name = props.get(BY_NAME_KEY) or {}
    missing = [r for r in props.get("references") or [] if r not in ids and r not in by_name]
    if missing:
        raise FlowProviderError(
            f"flow {_key(props)!r}: no flow id for the referenced key(s) {', '.join(missing)}"
        )
    return ids


def to_document(props: Mapping[str, Any]) -> FlowDocument:
    """The managed fields of `props` (inputs or outputs) as the canonical document (logical keys)."""
    return convert.from_inputs(props, key=_key(props))


def _recorded(key: str, olds: Mapping[str, Any], news: Mapping[str, Any] | None) -> Any:
    """The content field `key` as the state last saw it: the outputs' copy (outputs written before),
    else the new value when its sha256 is the one recorded (unchanged), else None (not recorded)."""
    if key in olds:
        return olds[key]
    sha = olds.get(CONTENT_SHA_KEYS[key])
    if sha is None:
        return [] if key == "blocks" else None  # an empty block tree is left out of the outputs
    new = None if news is None else news.get(key)
    if new is not None and not contains_unknown(new) and content_sha(key, new) == sha:
        return _normalize_field(key, new)
    return None


def to_base(flow_id: str, olds: Mapping[str, Any], news: Mapping[str, Any] | None = None) -> LiveFlow:
    """The flow as the state last saw it (the base of an update): fields with ids, and its revision.
    `olds` are the previous outputs; `news` the new inputs, whose content is the base content when
    its sha256 is the recorded one. When it is not (the content changes), the state does not know
    the old block tree: the base gets `UNKNOWN_BASE_BLOCKS`, which equals no definition's, so the
    update sends the blocks (as it would anyway) and a merge after a version conflict compares against
    the server's copy of the base version (if the server no longer has it, both sides count as
    having changed the blocks: a conflict unless they agree, never a silent loss of theirs).
    genesys-cloud does not use the base content (`archySha256` and the revision decide)."""
    ids = reference_ids(olds)
    version = olds.get("version")
    archy = is_archy(olds) or (news is not None and news.get(ARCHY_KEY) is not None)
    if archy:
        content = _recorded(ARCHY_KEY, olds, news)
    else:
        blocks = _recorded("blocks", olds, news)
        content = convert.map_block_references(
            [dict(b) for b in UNKNOWN_BASE_BLOCKS] if blocks is None else blocks, ids
        )
    return LiveFlow(
        id=flow_id,
        name=olds.get("name") or "",
        type=str(olds.get("type") or DEFAULT_TYPE),
        lifecycle_state=str(olds.get("lifecycle_state")),
        # architecture-api: the `_version`; genesys-cloud: the version pointers we last wrote.
        revision=str(version or "") if archy else str(int(version or 0)),
        references=tuple(ids[r] for r in olds.get("references") or [] if r in ids),
        content=content,
        extra={k: str(olds[k]) for k in PLATFORM_EXTRA_KEYS if olds.get(k)},
        attributes=attribute_values(olds),
    )


def inputs_from_flow(flow: LiveFlow, previous: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs a live flow corresponds to: ids mapped back to logical keys through the previous
    `referenceIds` (an id it does not know stays an id, so the next diff shows it); the flow key and
    the attributes the platform does not carry are kept from `previous`."""
    known = dict(previous.get(REFERENCE_IDS) or {})
    key_of_id = {flow_id: key for key, flow_id in known.items()}
    wire = {
        "name": flow.name,
        **attribute_values(previous),
        **flow.attributes,
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
    """The outputs: the (normalized) inputs plus the platform's view of the flow, slim (`slim`):

    name, description, type, lifecycle_state   diff; the base of an update (the PATCH sends only
                                               what differs from it; the lifecycle rule); delete and
                                               its intent name the flow by name and type
    references, referenceIds                   diff (a replaced referenced flow is a change); the
                                               base's references as ids; read maps ids back to keys
    blocksSha256 / archyTextSha256             diff (stand for the block tree / the Archy text); the
                                               base content of an update whose content is unchanged
    flowKey                                    messages, intents and refresh keep the flow's key
    flowId, version, lifecycleState,           the resource's declared outputs (the program exports
    dateModified, selfUri                      id and version); `version` is the update's base revision
                                               and, on genesys-cloud, what refresh compares
    archySha256, referencesUnknown             genesys-cloud: whether an update must run a job, and
                                               whether the consumed flows must be looked up again
    """
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
    if is_archy(out):  # genesys-cloud: what the next update needs
        out.update({k: flow.extra[k] for k in PLATFORM_EXTRA_KEYS if k in flow.extra})
    return slim(out)


def refreshed(props: Mapping[str, Any], flow: LiveFlow, text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Outputs and inputs after a refresh found someone else's version (genesys-cloud): the live
    name, lifecycle and Archy text (in the inputs; the outputs hold its sha256), so the next preview
    shows the difference; the revision and the Archy sha we last wrote stay the base, so the next
    update sees the change (policy fail/overwrite)."""
    live = {
        "name": flow.name,
        **flow.attributes,
        "lifecycle_state": flow.lifecycle_state,
        ARCHY_KEY: text,
    }
    inputs = {k: props[k] for k in (*DIFF_KEYS, FLOW_KEY, BY_NAME_KEY) if k in props}
    if "blocks" not in props and BLOCKS_SHA_KEY not in props:
        inputs["blocks"] = []  # slim outputs leave an empty block tree out; the inputs keep it
    inputs.update(live)
    outs = slim({**props, **live, "lifecycleState": flow.lifecycle_state, "liveRevision": flow.revision})
    if flow.changed_by:
        outs["changedBy"] = flow.changed_by
    return outs, inputs
