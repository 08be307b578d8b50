"""A genesys-cloud organization (and a genesys-cloud definitions folder) as flow documents by logical key,
for `archctl` export, diff, drift, graph and promotion parity.

Live side: the flows are listed, then each one's published (else checked-in) Archy YAML is fetched
through an export job — one at a time and bounded: a flow whose export fails is reported and the
others continue. References are derived from the content (`provider.domain.archy.resolve`: by type
and name across the org), never from ids.

Definitions side: `<key>.yaml` with `archy:` (a file beside it, or the text inline), placeholders
substituted with the stack's values, read by the loader's pre-check
(`provider.platforms.genesys_cloud.loading`).

Both sides hold the Archy text in canonical form (`provider.domain.archy_text`), so layout never
shows as a difference and ids and versions are never compared.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import yaml

from provider.domain import archy, archy_text, files, yaml_safe
from provider.domain import snapshot as snap
from provider.domain.fields import attribute_values
from provider.domain.problems import Problem
from provider.errors import ArchitectError
from provider.platforms.base import ContentExport, Platform, Progress
from provider.platforms.genesys_cloud.loading import prepare_archy
from provider.platforms.org import OrgFlow, OrgRead

ARCHY_SUFFIXES = (".archy.yaml", ".archy.yml")
_ARCHY_KEY_LINE = re.compile(r"^archy\s*:", re.MULTILINE)
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}")


#: Flows per export job (the emulator's bound; the API takes a list) and export jobs in flight.
EXPORT_BATCH = 100
EXPORT_PARALLEL = 4


@runtime_checkable
class BulkExport(Protocol):
    def fetch_contents(self, flows: list[tuple[str, str | None]]) -> dict[str, str | ArchitectError]: ...


def read_flows(platform: Platform, progress: Progress | None = None) -> list[OrgFlow]:
    """Every flow of the org with its content through export jobs — `EXPORT_BATCH` flows per job,
    `EXPORT_PARALLEL` jobs at a time, progress per flow as each job lands (a failure is kept per
    flow)."""
    if not isinstance(platform, ContentExport):
        raise TypeError(f"platform {platform.name!r} has no export jobs (fetch_content)")
    lives = list(platform.list_flows())
    flows = [OrgFlow(live) for live in lives]
    if not isinstance(platform, BulkExport):
        batches = [[flow] for flow in flows]
    else:
        batches = [flows[i : i + EXPORT_BATCH] for i in range(0, len(flows), EXPORT_BATCH)]

    def export(batch: list[OrgFlow]) -> list[OrgFlow]:
        wanted = [(f.live.id, platform.content_version(f.live)) for f in batch]
        if isinstance(platform, BulkExport):
            texts = platform.fetch_contents(wanted)
        else:
            texts = {}
            for flow_id, version in wanted:
                try:
                    texts[flow_id] = str(platform.fetch_content(flow_id, version))
                except ArchitectError as exc:
                    texts[flow_id] = exc
        for flow in batch:
            text = texts.get(flow.live.id, ArchitectError("the export job did not return it"))
            if isinstance(text, ArchitectError):
                flow.error = f"{type(text).__name__}: {text}"
            else:
                flow.archy = text
        return batch

    done = 0
    with ThreadPoolExecutor(max_workers=EXPORT_PARALLEL if len(batches) > 1 else 1) as pool:
        for landed in as_completed([pool.submit(export, batch) for batch in batches]):
            for flow in landed.result():
                done += 1
                if progress:
                    progress(done, len(lives), flow.live.name)
    return flows


def _parsed(key: str, text: str, where: str) -> tuple[archy.ArchyFlow | None, str | None, Problem | None]:
    """The Archy document read and in canonical form, or the problem."""
    try:
        return archy.parse(text, source=where), archy_text.canonical(text, source=where), None
    except (archy.ArchyError, yaml_safe.YamlError) as exc:
        return None, None, Problem(key, "archy", archy.RULE_ARCHY_INVALID, f"{where}: {exc}")


def _with_references(
    docs: dict[str, snap.FlowDoc], parsed: Mapping[str, archy.ArchyFlow]
) -> dict[str, snap.FlowDoc]:
    resolved, _problems = archy.resolve(parsed)
    for key, refs in resolved.items():
        docs[key]["references"] = sorted(refs)
    return {k: snap.normalize(v) for k, v in sorted(docs.items())}


def org_read(
    flows: Iterable[OrgFlow],
    *,
    known_ids: Mapping[str, str] | None = None,
    definitions: Mapping[str, Mapping[str, Any]] | None = None,
    source: Mapping[str, Any] | None = None,
    reserved: Iterable[str] = (),
) -> OrgRead:
    """The flows by logical key (snapshot.assign_keys' rules; a slug never takes a `reserved` key),
    content canonical, references derived."""
    flows = list(flows)
    known = {flow_id: key for key, flow_id in (known_ids or {}).items()}
    keys = snap.assign_keys([f.live for f in flows], known=known, definitions=definitions, reserved=reserved)
    result = OrgRead(snap.Snapshot(source=dict(source or {"kind": "org"})), content_apart=True)
    docs: dict[str, snap.FlowDoc] = {}
    parsed: dict[str, archy.ArchyFlow] = {}
    for flow in flows:
        key = keys[flow.live.id]
        result.flows[key] = flow
        result.snapshot.ids[key] = flow.live.id
        doc: snap.FlowDoc = {
            "name": flow.live.name,
            **flow.live.attributes,
            "type": flow.live.type,
            "lifecycle_state": flow.live.lifecycle_state,
        }
        if flow.archy is None:
            result.errors[key] = flow.error or "no content"
        else:
            read, canonical, problem = _parsed(key, flow.archy, f"flow {flow.live.name!r} (export)")
            if read is None:
                result.errors[key] = problem.message if problem else "unreadable"
            else:
                parsed[key] = read
                doc["archy"] = canonical
        docs[key] = doc
    result.snapshot.flows = _with_references(docs, parsed)
    return result


# -- definitions -----------------------------------------------------------------------------------


def is_definitions_folder(directory: Path) -> bool:
    """A genesys-cloud definitions folder: it holds Archy files (`*.archy.yaml`, CX-as-Code's
    `*.yaml.tftpl`) or a definition naming its Archy content (`archy:` at the top level)."""
    if not Path(directory).is_dir():
        return False
    paths = [p for p in Path(directory).iterdir() if p.is_file()]
    if any(p.name.lower().endswith((*ARCHY_SUFFIXES, ".yaml.tftpl", ".yml.tftpl")) for p in paths):
        return True
    for path in (p for p in paths if p.suffix.lower() in (".yaml", ".yml")):
        try:
            with path.open(encoding="utf-8") as handle:  # the head only: bounded on any file
                head = handle.read(65536)
            if _ARCHY_KEY_LINE.search(head):
                return True
        except (OSError, UnicodeDecodeError):
            continue
    return False


def kept_placeholders(directory: Path) -> dict[str, str]:
    """Substitutions that leave every placeholder of the folder's files as written (no stack)."""
    names: set[str] = set()
    for path in Path(directory).iterdir() if Path(directory).is_dir() else []:
        if path.is_file() and path.name.lower().endswith((".yaml", ".yml", ".tftpl")):
            try:
                names.update(_PLACEHOLDER.findall(path.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError):
                continue
    return {name: "{{" + name + "}}" for name in names}


def definition_docs(
    directory: Path, substitutions: Mapping[str, str] | None
) -> tuple[dict[str, snap.FlowDoc], list[Problem]]:
    """The definitions as flow documents by key, read by the loader's genesys-cloud pre-check
    (`loading.prepare_archy`: Archy after substitution, references derived from the content),
    and its problems. Without substitutions (no stack), placeholders stay as written."""
    subs = dict(substitutions) if substitutions is not None else kept_placeholders(Path(directory))
    prepared = prepare_archy(Path(directory), subs)
    docs: dict[str, snap.FlowDoc] = {}
    for key, definition in prepared.definitions.items():
        text = str(getattr(definition, "archy", ""))
        docs[key] = snap.normalize(
            {
                "name": definition.name,
                **attribute_values(definition),
                "type": definition.type.value,
                "lifecycle_state": definition.lifecycle_state.value,
                "references": list(definition.references),
                "archy": archy_text.canonical(text, source=key),
            }
        )
    return dict(sorted(docs.items())), list(prepared.problems)


# -- export ----------------------------------------------------------------------------------------


def definition_text(doc: Mapping[str, Any], archy_file: str) -> str:
    """A definition file for an exported flow: its Archy file, lifecycle state and references."""
    data: dict[str, Any] = {"archy": archy_file, "lifecycle_state": doc["lifecycle_state"]}
    if doc.get("references"):
        data["references"] = list(doc["references"])
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=None)


def definition_files(read: OrgRead, out_dir: Path, keys: Iterable[str] | None = None) -> dict[Path, str]:
    """Path → text of `<key>.archy.yaml` (the exported text as is) and `<key>.yaml` per flow whose
    content was read (only `keys`, when given)."""
    wanted = None if keys is None else set(keys)
    texts: dict[Path, str] = {}
    for key, doc in read.snapshot.flows.items():
        flow = read.flows[key]
        if flow.archy is None or key in read.errors or (wanted is not None and key not in wanted):
            continue
        archy_path = Path(out_dir) / f"{key}.archy.yaml"
        texts[Path(out_dir) / f"{key}.yaml"] = definition_text(doc, archy_path.name)
        texts[archy_path] = flow.archy if flow.archy.endswith("\n") else flow.archy + "\n"
    return texts


def write_definitions(read: OrgRead, out_dir: Path) -> list[Path]:
    """`<key>.archy.yaml` (the exported text as is) and `<key>.yaml` per flow whose content was read."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return files.write_files(definition_files(read, out_dir))
