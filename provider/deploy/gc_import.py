"""`archctl import --stack S` on genesys-cloud: adopt the org's flows that the definitions describe.

The definitions come first here (the way Genesys Cloud teams keep Archy YAML in Git): every valid
definition (`archy_loading.prepare_archy`, the stack's substitutions applied) is matched with the
live flow of the same type and name (case-insensitive). Each match the stack does not manage yet is
imported into its state with `pulumi import` and full inputs and outputs (see provider/deploy/importer.py
for why: Python dynamic providers cannot serve an import's Read). The inputs are what the program
registers for the definition (its managed fields, the Archy text, `referenceIds`, `flowKey`, the
secret `__connection`); the outputs are the live flow's, with the content fingerprint of the live
Archy (fetched through an export job): when the live content is the definition's, the next preview
shows no change; when it is not, the preview shows the update `up` would make, and the import is not ok.
Definitions with no live flow are left for `up` to create.

Live flows no definition describes are adopted too, the way `archctl export` writes them: each gets
a logical key (the stack's state, else a slug of its name that no file of the folder or key of the
state already takes) and `<key>.archy.yaml` (the exported text as is: placeholders are not
reintroduced) + `<key>.yaml` (archy file, lifecycle state, references by key). With `overwrite`,
a matched flow's definition whose content differs from the live flow's is rewritten from it too.
The whole folder as it would be is pre-checked in a staging copy first: when it has any problem,
nothing is written and nothing is imported. Nothing is written to the org (reading content runs export jobs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from pulumi.automation._stack import ImportResource

from provider.deploy import gc_org, importer, sources, workspace
from provider.deploy.inputs import FLOW_KEY, REFERENCE_IDS, normalize_inputs, outputs
from provider.domain import archy_text, convert, files
from provider.domain.loading import FlowDefinition, prepare
from provider.platforms.base import LiveFlow
from provider.platforms.genesys_cloud.versions import EXTRA_ARCHY_SHA
from provider.platforms.genesys_cloud.versions import archy_sha as _sha

Note = Callable[[str], None]


def resource_spec(
    key: str,
    definition: FlowDefinition,
    live: LiveFlow,
    live_archy: str | None,
    key_to_id: dict[str, str],
    provider: str,
) -> dict[str, Any]:
    """One entry of the import file, in the shape the program and the provider use on genesys-cloud."""
    text = str(getattr(definition, "archy", ""))
    props: dict[str, Any] = {
        **convert.as_document(definition),
        "archy": text,
        REFERENCE_IDS: {ref: key_to_id[ref] for ref in definition.references if ref in key_to_id},
        FLOW_KEY: key,
    }
    inputs = normalize_inputs(props)
    same = live_archy is not None and archy_text.canonical(live_archy) == archy_text.canonical(text)
    fingerprint = _sha(text) if same else _sha(live_archy or "")
    live = replace(
        live,
        references=tuple(key_to_id[r] for r in definition.references if r in key_to_id),
        extra={**live.extra, EXTRA_ARCHY_SHA: fingerprint},
    )
    out = outputs(inputs, live)
    if not same:  # the state records the live content: the next diff shows the definition's change
        out["archy"] = live_archy or ""
    return importer.import_entry(key, live.id, inputs, out, provider)


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


def import_stack(
    stack: str,
    *,
    flows_dir: str | Path | None = None,
    overwrite: bool = False,
    note: Note | None = None,
) -> importer.ImportReport:
    say = note or (lambda _text: None)
    info = sources.stack_info(stack)
    directory = sources.flows_dir_for(info, flows_dir)
    report = importer.ImportReport(stack, str(directory))
    # The definitions as they are: a problem here may be what the import fixes (a reference to a live
    # flow no definition describes yet), so the check that counts is the staging one below.
    prepared = prepare(directory, info.substitutions, platform=gc_org.PLATFORM)
    platform = sources.platform_for(info.connection, info.platform, stack=info.stack)
    say(f"reading the flows of stack {stack}'s org ({info.connection.api_base_url})")
    flows = gc_org.read_flows(platform)
    sources.require_same_org(stack, info.flow_ids, (f.live.id for f in flows), info.connection.api_base_url)
    org = {(f.live.type, f.live.name.casefold()): f for f in flows}
    matched: dict[str, gc_org.OrgFlow] = {}
    for key, definition in prepared.definitions.items():
        found = org.pop((definition.type.value, definition.name.casefold()), None)
        if found is None:
            report.not_in_org.append(key)
        else:
            matched[key] = found
    # Keys for every live flow: a matched one keeps its definition's, the others get the state's or a slug.
    known = {**info.flow_ids, **{k: f.live.id for k, f in matched.items()}}
    taken = _taken_names(directory)
    read = gc_org.org_read(flows, known_ids=known, reserved=taken | set(info.flow_ids))
    key_of = {f.live.id: k for k, f in read.flows.items()}
    new_keys = sorted(key_of[f.live.id] for f in org.values())
    report.unmatched_live = [f"{k} [{read.flows[k].live.name}] {read.flows[k].live.id}" for k in new_keys]
    for key in new_keys:  # a key the state gave a flow whose files hold another definition
        if key in taken:
            report.problems.append(
                f"{key}: the live flow {read.flows[key].live.name!r} ({read.flows[key].live.id}) has no "
                f"definition, but its key (from the stack's state) is taken by {key}.yaml or "
                f"{key}.archy.yaml in {directory}; rename or remove that file"
            )
    for key in sorted(matched) + new_keys:
        flow = read.flows[key]
        if flow.archy is None or key in read.errors:
            error = read.errors.get(key) or flow.error
            report.problems.append(f"{key}: the content of {flow.live.name!r} could not be read: {error}")
    if report.problems:
        return report

    # --overwrite: a matched flow whose live content differs from its definition's gets the exported
    # one; one whose content is the same keeps its files (and their placeholders).
    differs = [
        k for k in sorted(matched) if overwrite and not _same_content(prepared.definitions[k], matched[k])
    ]
    new_files = gc_org.definition_files(read, directory, new_keys + differs)
    report.kept_files = sorted(f"{k}.yaml" for k in matched if k not in differs)
    if new_files:  # the folder as it would be, checked as a whole before anything is written
        prepared = importer.prepare_with(
            directory, new_files, dict(info.substitutions), platform=gc_org.PLATFORM
        )
    if prepared.problems:
        report.problems = [str(p) for p in prepared.problems]
        return report
    if new_files:
        report.written = [str(path) for path in files.write_files(new_files)]
    adopted = {**matched, **{k: read.flows[k] for k in new_keys}}
    key_to_id = {**info.flow_ids, **{k: f.live.id for k, f in adopted.items()}}
    to_import = [k for k in prepared.order if k in adopted and info.flow_ids.get(k) != adopted[k].live.id]
    report.already_managed = sorted(k for k in adopted if k not in to_import)
    if to_import:
        provider = importer.serialized_provider(info.stack)
        specs = [
            resource_spec(
                key,
                prepared.definitions[key],
                adopted[key].live,
                adopted[key].archy,
                key_to_id,
                provider,
            )
            for key in to_import
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
            {
                "key": k,
                "id": adopted[k].live.id,
                "name": adopted[k].live.name,
                "file": str(directory / f"{k}.yaml"),
            }
            for k in to_import
        ]
    say(f"preview of stack {stack}")
    preview = workspace.stack(stack, sources.project_dir(), create=True).preview()
    report.preview_changes = workspace.changes(preview.change_summary)
    return report
