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
Definitions with no live flow are left for `up` to create; live flows no definition describes are
listed (`archctl export` writes definitions for them). Nothing is written to the org.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from pulumi.automation._stack import ImportResource

from provider.deploy import gc_org, importer, sources, workspace
from provider.deploy.inputs import FLOW_KEY, REFERENCE_IDS, normalize_inputs, outputs
from provider.domain import archy_text, convert
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
    for doc in (inputs, out):
        doc[importer.PROVIDER_KEY] = provider
    return {"type": workspace.FLOW_TYPE, "name": key, "id": live.id, "inputs": inputs, "outputs": out}


def import_stack(
    stack: str, *, flows_dir: str | Path | None = None, note: Note | None = None
) -> importer.ImportReport:
    say = note or (lambda _text: None)
    info = sources.stack_info(stack)
    directory = sources.flows_dir_for(info, flows_dir)
    report = importer.ImportReport(stack, str(directory))
    prepared = prepare(directory, info.substitutions, platform=gc_org.PLATFORM)
    if prepared.problems:
        report.problems = [str(p) for p in prepared.problems]
        return report
    platform = sources.platform_for(info.connection, info.platform, stack=info.stack)
    say(f"reading the flows of stack {stack}'s org ({info.connection.api_base_url})")
    org = {(f.live.type, f.live.name.casefold()): f for f in gc_org.read_flows(platform)}
    matched: dict[str, gc_org.OrgFlow] = {}
    for key, definition in prepared.definitions.items():
        found = org.pop((definition.type.value, definition.name.casefold()), None)
        if found is None:
            report.not_in_org.append(key)
        elif found.archy is None:
            report.problems.append(
                f"{key}: the content of {found.live.name!r} could not be read: {found.error}"
            )
        else:
            matched[key] = found
    report.unmatched_live = sorted(f"{f.live.name} [{f.live.type}] {f.live.id}" for f in org.values())
    if report.problems:
        return report
    key_to_id = {**info.flow_ids, **{k: f.live.id for k, f in matched.items()}}
    to_import = [k for k in prepared.order if k in matched and info.flow_ids.get(k) != matched[k].live.id]
    report.already_managed = sorted(k for k in matched if k not in to_import)
    if to_import:
        provider = importer.serialized_provider(info.stack)
        specs = [
            resource_spec(
                key,
                prepared.definitions[key],
                matched[key].live,
                matched[key].archy,
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
                "id": matched[k].live.id,
                "name": matched[k].live.name,
                "file": str(directory / f"{k}.yaml"),
            }
            for k in to_import
        ]
    say(f"preview of stack {stack}")
    preview = workspace.stack(stack, sources.project_dir(), create=True).preview()
    report.preview_changes = workspace.changes(preview.change_summary)
    return report
