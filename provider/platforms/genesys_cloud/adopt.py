"""`archctl import --stack S` on genesys-cloud: adopt the org's flows that the definitions describe.

The definitions come first here (the way Genesys Cloud teams keep Archy YAML in Git): every valid
definition (`loading.prepare_archy`, the stack's substitutions applied) is matched with the
live flow of the same type and name (case-insensitive). Each match the stack does not manage yet is
imported into its state with `pulumi import` and full inputs and outputs (see provider/ops/importer.py
for why: Python dynamic providers cannot serve an import's Read). The inputs are what the program
registers for the definition (its managed fields, the Archy text, `referenceIds`, `flowKey`; the
connection is the provider's configuration, never an input); the outputs are the live flow's, with
the content fingerprint of the live Archy (fetched through an export job): when the live content is
the definition's, the next preview shows no change; when it is not, the preview shows the update
`up` would make, and the import is not ok.
Definitions with no live flow are left for `up` to create.

Live flows no definition describes are adopted too, the way `archctl export` writes them: each gets
a logical key (the stack's state, else a slug of its name that no file of the folder or key of the
state already takes) and `<key>.archy.yaml` (the exported text with the stack's placeholders put
back, `neutral.py`) + `<key>.yaml` (archy file, lifecycle state, references by key). With `overwrite`,
a matched flow's definition whose content differs from the live flow's is rewritten from it too.
The whole folder as it would be is pre-checked in a staging copy first: when it has any problem,
nothing is written and nothing is imported. Nothing is written to the org (reading content runs export jobs).
This module makes the plan (`ImportPlan`); `provider.ops.importer` writes the files and imports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from provider.domain import archy_text, convert
from provider.domain.loading import FlowDefinition
from provider.platforms.base import LiveFlow, Platform
from provider.platforms.genesys_cloud import neutral
from provider.platforms.genesys_cloud import org as gc_org
from provider.platforms.genesys_cloud.versions import EXTRA_ARCHY_SHA
from provider.platforms.genesys_cloud.versions import archy_sha as _sha
from provider.platforms.importing import Adoption, ImportPlan, ImportRequest, prepare_with
from provider.platforms.kind import PlatformKind


def adoption(
    key: str,
    definition: FlowDefinition,
    live: LiveFlow,
    live_archy: str | None,
    key_to_id: dict[str, str],
    file: Path,
    by_name: Mapping[str, FlowDefinition] | None = None,
) -> Adoption:
    """One flow to import, in the shape the program and the provider use on genesys-cloud: the state
    records the live content (and its fingerprint), so the next diff shows the definition's change."""
    text = str(getattr(definition, "archy", ""))
    document: dict[str, Any] = {**convert.as_document(definition), "archy": text}
    same = live_archy is not None and archy_text.canonical(live_archy) == archy_text.canonical(text)
    fingerprint = _sha(text) if same else _sha(live_archy or "")
    closing = dict(by_name or {})  # a cycle's closing references: by name, as the program has them
    refs = {ref: key_to_id[ref] for ref in definition.references if ref in key_to_id and ref not in closing}
    live = replace(
        live,
        references=tuple(key_to_id[r] for r in definition.references if r in key_to_id),
        extra={**live.extra, EXTRA_ARCHY_SHA: fingerprint},
    )
    outputs = {} if same else {"archy": live_archy or ""}
    targets = {ref: {"name": d.name, "type": str(d.type)} for ref, d in sorted(closing.items())}
    return Adoption(key, live, document, refs, file, outputs, targets)


def _same_content(definition: FlowDefinition, flow: gc_org.OrgFlow) -> bool:
    text = str(getattr(definition, "archy", ""))
    return flow.archy is not None and archy_text.canonical(flow.archy) == archy_text.canonical(text)


def _taken_names(directory: Path) -> set[str]:
    """Keys a new definition must not take: every definition file's and Archy file's stem."""
    taken: set[str] = set()
    for path in directory.iterdir() if directory.is_dir() else []:
        lower = path.name.lower()
        for suffix in (*gc_org.ARCHY_SUFFIXES, ".yaml", ".yml"):
            if lower.endswith(suffix):
                stem = path.name[: -len(suffix)]
                taken |= {stem, stem.lower()}  # lowercase too: a case-insensitive file system
                break
    return taken


def _unreadable(
    read: gc_org.OrgRead, directory: Path, new_keys: list[str], matched: list[str], taken: set[str]
) -> list[str]:
    """Why the live flows cannot be adopted as they are: a key the state gave a flow whose files hold
    another definition, content that could not be read."""
    problems = []
    for key in new_keys:
        if key in taken:
            problems.append(
                f"{key}: the live flow {read.flows[key].live.name!r} ({read.flows[key].live.id}) has no "
                f"definition, but its key (from the stack's state) is taken by {key}.yaml or "
                f"{key}.archy.yaml in {directory}; rename or remove that file"
            )
    for key in matched + new_keys:
        flow = read.flows[key]
        if flow.archy is None or key in read.errors:
            error = read.errors.get(key) or flow.error
            problems.append(f"{key}: the content of {flow.live.name!r} could not be read: {error}")
    return problems


def _match(
    definitions: Mapping[str, FlowDefinition], flows: list[gc_org.OrgFlow]
) -> tuple[dict[str, gc_org.OrgFlow], dict[tuple[str, str], gc_org.OrgFlow]]:
    """Definitions matched with the live flow of the same type and name (case-insensitive), and the
    live flows left unmatched."""
    org = {(f.live.type, f.live.name.casefold()): f for f in flows}
    matched: dict[str, gc_org.OrgFlow] = {}
    for key, definition in definitions.items():
        found = org.pop((definition.type.value, definition.name.casefold()), None)
        if found is not None:
            matched[key] = found
    return matched, org


def import_plan(kind: PlatformKind, platform: Platform, request: ImportRequest) -> ImportPlan:
    directory = request.directory
    plan = ImportPlan()
    # The definitions as they are: a problem here may be what the import fixes (a reference to a live
    # flow no definition describes yet), so the check that counts is the staging one below.
    prepared = kind.prepare(directory, request.substitutions)
    flows = gc_org.read_flows(platform)
    matched, org = _match(prepared.definitions, flows)
    plan.not_in_org = [k for k in prepared.definitions if k not in matched]
    # Keys for every live flow: a matched one keeps its definition's, the others get the state's or a slug.
    known = {**request.flow_ids, **{k: f.live.id for k, f in matched.items()}}
    taken = _taken_names(directory)
    read = gc_org.org_read(flows, known_ids=known, reserved=taken | set(request.flow_ids))
    key_of = {f.live.id: k for k, f in read.flows.items()}
    new_keys = sorted(key_of[f.live.id] for f in org.values())
    plan.unmatched_live = [f"{k} [{read.flows[k].live.name}] {read.flows[k].live.id}" for k in new_keys]
    plan.problems = _unreadable(read, directory, new_keys, sorted(matched), taken)
    if plan.problems:
        return plan

    # overwrite: a matched flow whose live content differs from its definition's gets the exported
    # one; one whose content is the same keeps its files (and their placeholders).
    differs = [
        k
        for k in sorted(matched)
        if request.overwrite and not _same_content(prepared.definitions[k], matched[k])
    ]
    new_files, ambiguous = neutral.definition_files(  # the stack's placeholders put back
        read,
        directory,
        new_keys + differs,
        substitutions=request.substitutions,
        own=neutral.own_substitutions(directory),
    )
    for line in ambiguous:
        request.note(f"ambiguous: {line}")
    plan.kept_files = sorted(f"{k}.yaml" for k in matched if k not in differs)
    if new_files:  # the folder as it would be, checked as a whole before anything is written
        prepared = prepare_with(directory, new_files, request.substitutions, kind.prepare)
    if prepared.problems:
        plan.problems = [str(p) for p in prepared.problems]
        return plan
    plan.files = new_files
    adopted = {**matched, **{k: read.flows[k] for k in new_keys}}
    key_to_id = {**request.flow_ids, **{k: f.live.id for k, f in adopted.items()}}
    to_import = [k for k in prepared.order if k in adopted and request.flow_ids.get(k) != adopted[k].live.id]
    plan.already_managed = sorted(k for k in adopted if k not in to_import)
    plan.adopt = [
        adoption(
            key,
            prepared.definitions[key],
            adopted[key].live,
            adopted[key].archy,
            key_to_id,
            directory / f"{key}.yaml",
            {ref: prepared.definitions[ref] for ref in prepared.by_name.get(key, [])},
        )
        for key in to_import
    ]
    return plan
