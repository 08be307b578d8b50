"""`archctl import` on the Architecture API: the org first. Every live flow gets a logical key
(provider/domain/snapshot.py's rules: the stack's state, then a definition with the same name and
type, then a slug of the name) and a definition file (references by key; an existing file is kept
unless `overwrite`); every flow the stack does not manage yet is adopted with the fields its
definition gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from provider.domain import convert
from provider.domain import loading as defs
from provider.domain import snapshot as snap
from provider.domain.fields import attribute_values
from provider.domain.live import managed_fields
from provider.platforms.base import LiveFlow, Platform
from provider.platforms.importing import Adoption, ImportPlan, ImportRequest, prepare_with
from provider.platforms.kind import PlatformKind
from provider.platforms.org import list_org


def document(definition: defs.FlowDefinition) -> dict[str, Any]:
    """The managed fields the program registers for a definition."""
    dumped = definition.model_dump(mode="json", exclude={"key"})
    return {
        "name": definition.name,
        **attribute_values(definition),
        "type": definition.type.value,
        "lifecycle_state": definition.lifecycle_state.value,
        "blocks": dumped["blocks"],
        "references": list(definition.references),
    }


def import_plan(kind: PlatformKind, platform: Platform, request: ImportRequest) -> ImportPlan:
    directory = request.directory
    directory.mkdir(parents=True, exist_ok=True)
    plan = ImportPlan()
    flows = list_org(platform)
    try:
        existing = kind.definition_docs(directory, request.substitutions)
    except defs.DefinitionError:
        existing = {}
    keys = snap.assign_keys(flows, known={v: k for k, v in request.flow_ids.items()}, definitions=existing)
    key_to_id = {key: flow_id for flow_id, key in keys.items()}

    to_import: list[tuple[str, LiveFlow, Path]] = []
    for flow in sorted(flows, key=lambda f: keys[f.id]):
        key = keys[flow.id]
        path = directory / f"{key}.yaml"
        if path.exists() and not request.overwrite:
            plan.kept_files.append(path.name)
        else:
            plan.files[path] = defs.dump_definition(convert.to_logical(managed_fields(flow), keys))
        if request.flow_ids.get(key) == flow.id:
            plan.already_managed.append(key)
        else:
            to_import.append((key, flow, path))

    prepared = prepare_with(directory, plan.files, request.substitutions, kind.prepare)
    if prepared.problems:  # nothing written: the folder stays as it was
        plan.problems = [str(p) for p in prepared.problems]
        return plan
    for key, flow, path in to_import:
        definition = prepared.definitions.get(key)
        if definition is None:
            continue
        refs = {ref: key_to_id[ref] for ref in definition.references}
        plan.adopt.append(Adoption(key, flow, document(definition), refs, path))
    return plan
