"""`archctl import --stack S`: adopt the flows of an existing organization.

1. List the org's flows and give each a logical key (provider/domain/snapshot.py's rules: the stack's state,
   then a definition with the same name and type, then a slug of the name).
2. Write a definition per flow into the flows folder, references by key (an existing file is kept
   unless `--overwrite`).
3. Import every flow the stack does not manage yet into its state with `pulumi import` (through the
   Automation API), passing the resource's full inputs and outputs as the import file's `inputs` and
   `outputs`: the engine then takes the state from them instead of calling the provider's Read. That
   is required here: the Python SDK's dynamic providers cannot serve an import's Read (pulumi/pulumi
   #16175: the Read gets no `__provider` to unpickle), so neither `pulumi import` without outputs nor
   the `import` resource option work for them. The inputs are exactly what the program registers
   (the definition's fields, `referenceIds`, `flowKey` and the serialized provider, which
   names the stack; no connection: the provider takes it from the stack config), and the outputs are what the
   provider's own `create` would have returned for the live flow.
4. Verify: `pulumi preview` of the stack must show no changes.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from pulumi.automation._stack import ImportResource

from provider.deploy import resource as fr
from provider.deploy import sources, workspace
from provider.domain import files
from provider.domain import loading as defs
from provider.domain import snapshot as snap
from provider.domain.models import Flow
from provider.platforms.architecture_api.platform import live_flow

PROVIDER_KEY = "__provider"
# Pulumi's marker of a secret value in serialized state (a plaintext secret is encrypted on save).
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"

Note = Callable[[str], None]


@dataclass
class ImportReport:
    stack: str
    flows_dir: str
    imported: list[dict[str, str]] = field(default_factory=list)
    already_managed: list[str] = field(default_factory=list)
    kept_files: list[str] = field(default_factory=list)
    preview_changes: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    #: genesys-cloud: definitions with no live flow of their type and name (left for `up` to create),
    #: and live flows no definition described (`key [name] id`: their definitions are written).
    not_in_org: list[str] = field(default_factory=list)
    unmatched_live: list[str] = field(default_factory=list)
    #: The files this import wrote into the flows folder (none when it found problems).
    written: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and not workspace.pending(self.preview_changes)

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "flows_dir": self.flows_dir,
            "imported": self.imported,
            "already_managed": self.already_managed,
            "kept_files": self.kept_files,
            "problems": self.problems,
            "preview_changes": self.preview_changes,
            "not_in_org": self.not_in_org,
            "unmatched_live": self.unmatched_live,
            "written": self.written,
            "ok": self.ok,
        }

    def render(self) -> str:
        lines = [
            f"stack {self.stack}: imported {len(self.imported)} flow(s), definitions in {self.flows_dir}"
        ]
        lines += [f"  + {r['key']} [{r['name']}] {r['id']} → {r['file']}" for r in self.imported]
        if self.already_managed:
            lines.append("already managed by the stack: " + ", ".join(self.already_managed))
        if self.kept_files:
            lines.append(
                "existing definition files kept (use --overwrite to replace): " + ", ".join(self.kept_files)
            )
        if self.not_in_org:
            lines.append("defined but not in the org (`up` creates them): " + ", ".join(self.not_in_org))
        if self.unmatched_live:
            lines.append(
                "live flows no definition described (definitions written): " + "; ".join(self.unmatched_live)
            )
        lines += [f"problem: {p}" for p in self.problems]
        pending = workspace.pending(self.preview_changes)
        if pending:
            lines.append(
                "preview after import shows changes: "
                + ", ".join(f"{k} {v}" for k, v in sorted(pending.items()))
            )
        elif not self.problems:
            lines.append("preview after import: no changes")
        return "\n".join(lines)


def _secret(value: Any) -> dict[str, Any]:
    return {SECRET_SIG_KEY: SECRET_SIG, "plaintext": json.dumps(value)}


def serialized_provider(stack: str) -> str:
    from pulumi.dynamic.dynamic import serialize_provider

    return str(serialize_provider(fr.FlowProvider(stack)))


def resource_spec(
    key: str,
    definition: defs.FlowDefinition,
    flow: Flow,
    key_to_id: dict[str, str],
    provider: str,
) -> dict[str, Any]:
    """One entry of the import file: the resource's inputs (as the program registers them, after the
    provider's check) and outputs (as the provider's create returns them)."""
    document = definition.model_dump(mode="json", exclude={"key"})
    props: dict[str, Any] = {
        "name": definition.name,
        "description": definition.description,
        "type": definition.type.value,
        "lifecycle_state": definition.lifecycle_state.value,
        "blocks": document["blocks"],
        "references": list(definition.references),
        fr.REFERENCE_IDS: {ref: key_to_id[ref] for ref in definition.references},
        fr.FLOW_KEY: key,
    }
    inputs = fr.normalize_inputs(props)
    return import_entry(key, flow.id, inputs, fr.outputs(inputs, live_flow(flow)), provider)


def import_entry(
    key: str, flow_id: str, inputs: dict[str, Any], outputs: dict[str, Any], provider: str
) -> dict[str, Any]:
    """One entry of the import file (both platforms): the serialized provider in the inputs and outputs."""
    for doc in (inputs, outputs):
        doc[PROVIDER_KEY] = provider
    return {"type": workspace.FLOW_TYPE, "name": key, "id": flow_id, "inputs": inputs, "outputs": outputs}


def prepare_with(
    directory: Path,
    new_files: dict[Path, str],
    substitutions: dict[str, str],
    *,
    platform: str = "architecture-api",
) -> defs.PreparedSet:
    """The definitions `directory` would hold with `new_files` written, checked in a staging copy
    (the folder's definition files and, on genesys-cloud, its Archy content files)."""
    with tempfile.TemporaryDirectory(prefix="archctl-import-") as tmp:
        staging = Path(tmp)
        kept = list(defs.definition_files(directory))
        if Path(directory).is_dir():
            kept += [p for p in Path(directory).iterdir() if p.is_file() and is_content_file(p.name)]
        for existing in kept:
            shutil.copyfile(existing, staging / existing.name)
        for path, text in new_files.items():
            (staging / path.name).write_text(text, encoding="utf-8")
        return defs.prepare(staging, substitutions, platform=platform)


def is_content_file(name: str) -> bool:
    return not name.startswith(".") and name.lower().endswith(files.CONTENT_SUFFIXES)


def import_stack(
    stack: str,
    *,
    flows_dir: str | Path | None = None,
    overwrite: bool = False,
    note: Note | None = None,
) -> ImportReport:
    say = note or (lambda _text: None)
    info = sources.stack_info(stack)
    if info.platform == "genesys-cloud":  # definitions first: match them with the live flows
        from provider.deploy import gc_import

        return gc_import.import_stack(stack, flows_dir=flows_dir, overwrite=overwrite, note=note)
    directory = sources.flows_dir_for(info, flows_dir)
    directory.mkdir(parents=True, exist_ok=True)
    report = ImportReport(stack, str(directory))

    platform = sources.platform_for(info.connection, info.platform, stack=info.stack)
    say(f"reading the flows of stack {stack}'s org ({info.connection.api_base_url})")
    flows = sources.list_org(platform)
    sources.require_same_org(stack, info.flow_ids, (f.id for f in flows), info.connection.api_base_url)
    try:
        existing = sources.definition_docs(directory, info.substitutions)
    except defs.DefinitionError:
        existing = {}
    keys = snap.assign_keys(flows, known={v: k for k, v in info.flow_ids.items()}, definitions=existing)
    key_to_id = {key: flow_id for flow_id, key in keys.items()}

    to_import: list[tuple[str, Flow, Path]] = []
    new_files: dict[Path, str] = {}
    for flow in sorted(flows, key=lambda f: keys[f.id]):
        key = keys[flow.id]
        path = directory / f"{key}.yaml"
        managed = info.flow_ids.get(key) == flow.id
        if path.exists() and not overwrite:
            report.kept_files.append(path.name)
        else:
            new_files[path] = defs.dump_definition(defs.to_logical(flow, keys))
        if managed:
            report.already_managed.append(key)
        else:
            to_import.append((key, flow, path))

    prepared = prepare_with(directory, new_files, info.substitutions)
    if prepared.problems:  # nothing written: the folder stays as it was
        report.problems = [str(p) for p in prepared.problems]
        return report
    report.written = [str(path) for path in files.write_files(new_files)]

    if to_import:
        provider = serialized_provider(info.stack)
        specs = [
            resource_spec(key, prepared.definitions[key], flow, key_to_id, provider)
            for key, flow, _ in to_import
            if key in prepared.definitions
        ]
        st = workspace.stack(stack, sources.project_dir(), create=True)
        say(f"importing {len(specs)} flow(s) into stack {stack}")
        st.import_resources(
            message=f"archctl import: adopt {len(specs)} flow(s)",
            resources=cast("list[ImportResource]", specs),
            protect=False,
            generate_code=False,
            on_output=workspace.line_printer(say),
        )
        report.imported = [
            {"key": key, "id": flow.id, "name": flow.name, "file": str(path)} for key, flow, path in to_import
        ]
    say(f"preview of stack {stack}")
    preview = workspace.stack(stack, sources.project_dir(), create=True).preview()
    report.preview_changes = workspace.changes(preview.change_summary)
    return report
