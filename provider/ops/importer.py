"""`archctl import --stack S`: adopt the flows of an existing organization.

1. The stack's platform plans it (`PlatformKind.import_plan`): on the Architecture API the org comes
   first (provider/platforms/architecture_api/adopt.py: a key and a definition file per live flow),
   on Genesys Cloud the definitions do (provider/platforms/genesys_cloud/adopt.py: matched by type
   and name). The plan's files are checked as a whole (a staging copy) before anything is written.
2. Write the plan's definition files into the flows folder.
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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from pulumi.automation._stack import ImportResource

from provider import platforms
from provider.deploy import resource as fr
from provider.deploy.inputs import BY_NAME_KEY
from provider.domain import files
from provider.ops import sources, workspace
from provider.platforms.importing import Adoption, ImportRequest

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
    #: Definitions with no live flow of their type and name (left for `up` to create),
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


def resource_spec(adoption: Adoption, provider: str) -> dict[str, Any]:
    """One entry of the import file: the resource's inputs (as the program registers them, after the
    provider's check) and outputs (as the provider's create returns them, with the plan's live values)."""
    props: dict[str, Any] = {
        **adoption.document,
        fr.REFERENCE_IDS: adoption.reference_ids,
        fr.FLOW_KEY: adoption.key,
        **({BY_NAME_KEY: adoption.by_name} if adoption.by_name else {}),  # a cycle's closing references
    }
    inputs = fr.normalize_inputs(props)
    outputs = {**fr.outputs(inputs, adoption.live), **adoption.outputs}
    return import_entry(adoption.key, adoption.live.id, inputs, outputs, provider)


def import_entry(
    key: str, flow_id: str, inputs: dict[str, Any], outputs: dict[str, Any], provider: str
) -> dict[str, Any]:
    """One entry of the import file: the serialized provider in the inputs and outputs."""
    for doc in (inputs, outputs):
        doc[PROVIDER_KEY] = provider
    return {"type": workspace.FLOW_TYPE, "name": key, "id": flow_id, "inputs": inputs, "outputs": outputs}


def import_stack(
    stack: str,
    *,
    flows_dir: str | Path | None = None,
    overwrite: bool = False,
    note: Note | None = None,
) -> ImportReport:
    """The stack's platform plans the import (`PlatformKind.import_plan`: which flows, which files);
    the files are written, then the flows imported with `pulumi import`, then previewed."""
    say = note or (lambda _text: None)
    info = sources.stack_info(stack)
    directory = sources.flows_dir_for(info, flows_dir)
    platform = sources.platform_for(info.connection, info.platform, stack=info.stack)
    say(f"reading the flows of stack {stack}'s org ({info.connection.api_base_url})")
    # Another org than the stack's (another checkout's emulator): stop before the plan reads content
    # or touches the folder (one listing).
    sources.require_same_org(
        stack, info.flow_ids, (f.id for f in sources.list_org(platform)), info.connection.api_base_url
    )
    request = ImportRequest(directory, dict(info.substitutions), dict(info.flow_ids), overwrite, say)
    plan = platforms.kind(info.platform).import_plan(platform, request)
    report = ImportReport(
        stack,
        str(directory),
        already_managed=plan.already_managed,
        kept_files=plan.kept_files,
        problems=plan.problems,
        not_in_org=plan.not_in_org,
        unmatched_live=plan.unmatched_live,
    )
    if plan.problems:  # nothing written: the folder stays as it was
        return report
    if plan.files:
        report.written = [str(path) for path in files.write_files(plan.files)]
    if plan.adopt:
        provider = serialized_provider(info.stack)
        specs = [resource_spec(adoption, provider) for adoption in plan.adopt]
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
            {"key": a.key, "id": a.live.id, "name": a.live.name, "file": str(a.file)} for a in plan.adopt
        ]
    say(f"preview of stack {stack}")
    preview = workspace.stack(stack, sources.project_dir(), create=True).preview()
    report.preview_changes = workspace.changes(preview.change_summary)
    return report
