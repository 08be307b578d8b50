"""Snapshots: the flows of an organization (or of the definitions) by logical key, as committable files.

A snapshot folder holds one YAML file per flow, `<key>.yaml`, and an index, `_snapshot.yaml`:

    # main-menu.yaml
    name: Main Menu
    description: Entry point
    type: INBOUNDCALL
    lifecycle_state: published
    references:            # logical keys, sorted (the contract treats them as a set)
    - support
    blocks:                # block order is kept; keys in the order id, type, reference, children
    - id: root
      type: menu
      children:
      - id: to-support
        type: transfer
        reference: support

    # _snapshot.yaml
    format: genesys-flows.snapshot/1
    source: {kind: org, api_url: ..., stack: dev}
    flows: {main-menu: {id: <uuid>, name: Main Menu, type: INBOUNDCALL}, ...}

Flow files carry no ids, versions or times, so exporting an unchanged org twice gives identical
files and a diff of two orgs shows only real differences.

Logical keys of live flows, in this order:
1. the keys the stack knows (its Pulumi state maps each flow resource's name, the definition's key, to
   the flow id);
2. else a definition (flows/<key>.yaml, substitutions applied) with the same type and name
   (case-insensitively);
3. else a slug of the name: lower case, runs of other characters than a-z 0-9 replaced by "-"
   ("Main Menu (v2)" → "main-menu-v2"); when two flows share a slug, the one of a type other than
   the first gets "-<type>" appended ("main-menu-inboundchat"), then "-2", "-3", ...
A reference to a flow outside the set is written as "id:<flow id>".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from provider.domain.fields import ATTRIBUTES, FILE_ORDER, ValueKind, attribute_values
from provider.domain.live import LiveFlow, managed_fields

FORMAT = "genesys-flows.snapshot/1"
INDEX_FILE = "_snapshot.yaml"
FIELD_ORDER: tuple[str, ...] = FILE_ORDER
UNKNOWN_PREFIX = "id:"

FlowDoc = dict[str, Any]


@dataclass
class Snapshot:
    """Flows by logical key (normalized docs, references by key) and where they came from."""

    flows: dict[str, FlowDoc] = field(default_factory=dict)
    source: dict[str, Any] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)  # key -> flow id (live orgs only)

    @property
    def label(self) -> str:
        return str(
            self.source.get("label") or self.source.get("path") or self.source.get("kind") or "snapshot"
        )


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.strip().lower()).strip("-")
    return slug or "flow"


def normalize_block(block: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": str(block.get("id", "")), "type": str(block.get("type", ""))}
    if block.get("reference") is not None:
        out["reference"] = str(block["reference"])
    children = block.get("children") or []
    if children:
        out["children"] = [normalize_block(c) for c in children]
    return out


def normalize(doc: Mapping[str, Any]) -> FlowDoc:
    """The canonical form of a flow document: defaults filled, references sorted, stable key order."""
    refs = sorted({str(r) for r in (doc.get("references") or [])})
    out: FlowDoc = {
        **{name: doc.get(name) for name in FILE_ORDER},  # every managed field; these canonical:
        "name": str(doc.get("name", "")),
        **attribute_values(doc, canonical=True),
        "type": str(doc.get("type") or "INBOUNDCALL"),
        "lifecycle_state": str(doc.get("lifecycle_state") or "draft"),
        "references": refs,
        "blocks": [normalize_block(b) for b in (doc.get("blocks") or [])],
    }
    # genesys-cloud content: the Archy YAML (canonical form, see provider/domain/archy_text.py).
    if doc.get("archy") is not None:
        out["archy"] = str(doc["archy"])
    return out


def _map_block_refs(block: Mapping[str, Any], mapping: Callable[[str], str]) -> dict[str, Any]:
    out = dict(block)
    if out.get("reference") is not None:
        out["reference"] = mapping(str(out["reference"]))
    if out.get("children"):
        out["children"] = [_map_block_refs(c, mapping) for c in out["children"]]
    return out


def map_references(doc: Mapping[str, Any], mapping: Callable[[str], str]) -> FlowDoc:
    """`doc` with every reference (top-level and in blocks) passed through `mapping`."""
    out = dict(doc)
    out["references"] = [mapping(str(r)) for r in doc.get("references") or []]
    out["blocks"] = [_map_block_refs(b, mapping) for b in doc.get("blocks") or []]
    return normalize(out)


def flow_doc(flow: LiveFlow) -> FlowDoc:
    """The managed fields of a live flow, as plain JSON values (references still ids; a content
    other than a block tree is not snapshotted here)."""
    return normalize(managed_fields(flow))


def assign_keys(
    flows: Iterable[LiveFlow],
    *,
    known: Mapping[str, str] | None = None,
    definitions: Mapping[str, Mapping[str, Any]] | None = None,
    reserved: Iterable[str] = (),
) -> dict[str, str]:
    """flow id → logical key, by the rules in the module docstring. `known` maps id → key;
    `definitions` maps key → a definition (with `name` and `type`, substitutions applied);
    a slug never takes one of the `reserved` keys (e.g. files already in the definitions folder)."""
    known = dict(known or {})
    by_name: dict[tuple[str, str], str] = {}
    for key, definition in (definitions or {}).items():
        name = str(definition.get("name", "")).strip().lower()
        ftype = str(definition.get("type") or "INBOUNDCALL")
        by_name.setdefault((ftype, name), key)
    ordered = sorted(flows, key=lambda f: (f.name.strip().lower(), str(f.type), f.id))
    result: dict[str, str] = {}
    used: set[str] = set()
    # Known keys first, so a slug never takes a key the stack owns.
    for flow in ordered:
        owned = known.get(flow.id)
        if owned and owned not in used:
            result[flow.id] = owned
            used.add(owned)
    for flow in ordered:
        if flow.id in result:
            continue
        named = by_name.get((str(flow.type), flow.name.strip().lower()))
        if named and named not in used:
            result[flow.id] = named
            used.add(named)
    used.update(reserved)
    for flow in ordered:
        if flow.id in result:
            continue
        base = slugify(flow.name)
        candidate = base
        if candidate in used:
            candidate = f"{base}-{str(flow.type).lower()}"
        n = 2
        stem = candidate
        while candidate in used:
            candidate = f"{stem}-{n}"
            n += 1
        result[flow.id] = candidate
        used.add(candidate)
    return result


def from_flows(
    flows: Iterable[LiveFlow],
    *,
    known: Mapping[str, str] | None = None,
    definitions: Mapping[str, Mapping[str, Any]] | None = None,
    source: Mapping[str, Any] | None = None,
) -> Snapshot:
    """A snapshot of live flows: keys assigned, references mapped to keys."""
    flows = list(flows)
    keys = assign_keys(flows, known=known, definitions=definitions)

    def to_key(ref: str) -> str:
        return keys.get(ref, f"{UNKNOWN_PREFIX}{ref}")

    snap = Snapshot(source=dict(source or {"kind": "org"}))
    for flow in flows:
        key = keys[flow.id]
        snap.flows[key] = map_references(flow_doc(flow), to_key)
        snap.ids[key] = flow.id
    snap.flows = dict(sorted(snap.flows.items()))
    return snap


# -- files -----------------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    pass


def _str_representer(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_representer)


def dump_yaml(data: Any) -> str:
    return yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100
    )


def dump_flow(doc: Mapping[str, Any]) -> str:
    norm = normalize(doc)
    return dump_yaml({name: norm[name] for name in FIELD_ORDER})


def write(snapshot: Snapshot, out_dir: Path) -> list[Path]:
    """Write the snapshot into `out_dir`: one file per flow plus the index. Files of flows that are no
    longer there are removed, but only in a folder that already is a snapshot (has the index)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    index = out_dir / INDEX_FILE
    if index.exists():
        for old in out_dir.glob("*.yaml"):
            if old.name != INDEX_FILE and old.stem not in snapshot.flows:
                old.unlink()
    written = []
    for key, doc in sorted(snapshot.flows.items()):
        path = out_dir / f"{key}.yaml"
        text = dump_flow(doc)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    meta = {
        "format": FORMAT,
        "source": {k: v for k, v in sorted(snapshot.source.items()) if k != "label"},
        "flows": {
            key: {"id": snapshot.ids.get(key), "name": doc["name"], "type": doc["type"]}
            for key, doc in sorted(snapshot.flows.items())
        },
    }
    index.write_text(dump_yaml(meta), encoding="utf-8")
    return written


class SnapshotError(ValueError):
    pass


def read(directory: Path) -> Snapshot:
    """A snapshot folder (every `*.yaml` but the index is a flow, named by its file)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise SnapshotError(f"{directory} is not a folder")
    snap = Snapshot(source={"kind": "snapshot", "path": str(directory), "label": str(directory)})
    index = directory / INDEX_FILE
    if index.exists():
        meta = yaml.safe_load(index.read_text(encoding="utf-8")) or {}
        for key, info in (meta.get("flows") or {}).items():
            if isinstance(info, dict) and info.get("id"):
                snap.ids[str(key)] = str(info["id"])
    for path in sorted(directory.glob("*.yaml")):
        if path.name == INDEX_FILE:
            continue
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise SnapshotError(f"{path}: not valid YAML: {exc}") from exc
        if not isinstance(doc, dict):
            raise SnapshotError(f"{path}: a flow file must hold a mapping")
        snap.flows[path.stem] = normalize(doc)
    return snap


def is_snapshot(directory: Path) -> bool:
    return (Path(directory) / INDEX_FILE).exists()


# -- substitutions ---------------------------------------------------------------------------------


def unsubstitute(snapshot: Snapshot, substitutions: Mapping[str, str]) -> Snapshot:
    """Every occurrence of a substitution's value in the name, the text and text-list attributes, block
    types and Archy text replaced by its placeholder `{{name}}` (longest values first; values shorter than 2
    characters are left alone). Two environments whose flows differ only by their substitutions
    then compare equal."""
    pairs = sorted(
        ((str(v), str(k)) for k, v in substitutions.items() if v is not None and len(str(v)) >= 2),
        key=lambda p: (-len(p[0]), p[1]),
    )
    if not pairs:
        return snapshot

    def sub(text: str) -> str:
        # One pass so a placeholder's own text is never substituted again.
        pattern = re.compile("|".join(re.escape(v) for v, _ in pairs))
        lookup = dict(pairs)
        return pattern.sub(lambda m: "{{" + lookup[m.group(0)] + "}}", text)

    def sub_block(block: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(block)
        out["type"] = sub(str(block.get("type", "")))
        if block.get("children"):
            out["children"] = [sub_block(c) for c in block["children"]]
        return out

    flows = {}
    for key, doc in snapshot.flows.items():
        new = dict(doc)
        new["name"] = sub(doc["name"])
        for a in ATTRIBUTES:
            if a.kind is ValueKind.TEXT:
                new[a.name] = sub(doc[a.name])
            elif a.kind is ValueKind.TEXT_LIST:
                new[a.name] = [sub(v) for v in doc[a.name]]
        new["blocks"] = [sub_block(b) for b in doc["blocks"]]
        if doc.get("archy") is not None:
            new["archy"] = sub(str(doc["archy"]))
        flows[key] = normalize(new)
    return Snapshot(flows=flows, source=dict(snapshot.source), ids=dict(snapshot.ids))
