"""Promotion: `archctl promote dev staging`.

1. Refuse when the source stack is not clean: its preview shows pending changes, or its live org
   drifted from the definitions (`archctl drift`).
2. The org objects the flows name (queues, prompts, data actions, ...), checked read-only in the
   target's org with the target's substitutions (provider/ops/org_gate.py): a missing or ambiguous
   one refuses the promotion before the target's preview, with every problem listed (`orgObjects:
   warn` prints them and goes on).
3. The plan: the target's preview (what `up` will do) and, per flow, what changes in the target's
   org (the definitions with the target's substitutions against its live flows: fields, blocks, the
   Archy text as a unified diff), and first the destructive changes in words (a published flow
   deleted or unpublished, with the flows that use it). `confirm` sees it and may refuse (archctl
   asks, or takes `--yes`; a stdin that is not a terminal without `--yes` refuses and prints the plan).
4. `up` the target stack through the Automation API, showing the engine's progress.
5. Verify parity: the two orgs' flows (the flows either stack manages, by logical key) match in name,
   description, type, lifecycle state, blocks and references — references compared by logical key,
   ids and versions ignored, each side's substitution values replaced by their placeholders. The
   differences are printed and the promotion fails when there are any.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provider.deploy import protection
from provider.domain import snapshot as snap
from provider.domain.structdiff import DiffResult, diff
from provider.ops import sources, workspace

Note = Callable[[str], None]


@dataclass
class PromoteReport:
    source: str
    target: str
    pending_changes: dict[str, int] = field(default_factory=dict)
    drift: DiffResult | None = None
    refused: str | None = None
    up_result: str | None = None
    up_changes: dict[str, int] = field(default_factory=dict)
    parity: DiffResult | None = None
    plan_changes: dict[str, int] | None = None  # the target's preview: what `up` will do
    plan: DiffResult | None = None  # per flow: the target's live org → after the promotion
    #: Live flows the promotion takes away in the target (deleted or unpublished), in words.
    destructive: list[str] = field(default_factory=list)
    plan_shown: bool = False  # the plan was printed already (before a confirmation question)
    org_objects: dict[str, Any] | None = None  # the target's org-objects gate (org_gate.to_json)

    @property
    def promoted(self) -> bool:
        """Every gate passed: not refused, the target's `up` succeeded, and the two orgs match."""
        return (
            self.refused is None
            and self.up_result == "succeeded"
            and self.parity is not None
            and self.parity.identical
        )

    @property
    def ok(self) -> bool:
        return self.promoted

    def render_plan(self) -> str:
        if self.plan_changes is None:
            return ""
        changes = ", ".join(f"{k} {v}" for k, v in sorted(self.plan_changes.items())) or "no changes"
        lines = [f"plan for stack {self.target}: {changes}"]
        if self.destructive:
            lines.append(f"destructive changes in {self.target}:")
            lines += [f"  ⚠ {line}" for line in self.destructive]
        if self.plan is not None:
            lines.append("no flow changes in its org" if self.plan.identical else self.plan.render())
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "promoted": self.promoted,
            "refused": self.refused,
            "source_check": {
                "pending_changes": self.pending_changes,
                "drift": bool(self.drift is not None and not self.drift.identical),
            },
            "up": None
            if self.up_result is None
            else {"result": self.up_result, "resource_changes": self.up_changes},
            "plan": None
            if self.plan_changes is None
            else {
                "resource_changes": self.plan_changes,
                "diff": None if self.plan is None else self.plan.to_json(),
                "destructive": self.destructive,
            },
            "parity": None if self.parity is None else self.parity.to_json(),
            "org_objects": self.org_objects,
            "ok": self.ok,
        }

    def render(self) -> str:
        lines = []
        if self.plan_changes is not None and not self.plan_shown:
            lines.append(self.render_plan())
        if self.refused:
            lines.append(f"promotion {self.source} → {self.target} refused: {self.refused}")
            if self.drift is not None and not self.drift.identical:
                lines.append(self.drift.render())
            return "\n".join(lines)
        changes = ", ".join(f"{k} {v}" for k, v in sorted(self.up_changes.items())) or "no changes"
        lines.append(f"up {self.target}: {self.up_result} ({changes})")
        if self.parity is not None:
            if self.parity.identical:
                lines.append(f"parity {self.source} = {self.target}: {self.parity.unchanged} flows match")
            else:
                lines.append(f"parity {self.source} ≠ {self.target}:")
                lines.append(self.parity.render())
        lines.append(
            f"promoted {self.source} → {self.target}"
            if self.promoted
            else f"promotion {self.source} → {self.target} NOT complete (see above)"
        )
        return "\n".join(lines)


def _counter(note: Note, label: str) -> sources.Progress:
    """A progress callback that notes every 10th flow read (long org reads show they move)."""

    def progress(done: int, total: int | None, _item: str = "") -> None:
        if done % 10 == 0 or (total is not None and done == total):
            note(f"{label}: {done}" + (f"/{total}" if total else "") + " flow(s)")

    return progress


def parity(
    source: str, target: str, *, flows_dir: str | Path | None, progress: Note | None = None
) -> DiffResult:
    """The two stacks' live orgs compared by logical key, substitutions undone (see module doc)."""
    a = sources.stack_info(source)
    b = sources.stack_info(target)
    definitions_a = sources.definition_docs_or_empty(sources.flows_dir_for(a, flows_dir), a.substitutions)
    definitions_b = sources.definition_docs_or_empty(sources.flows_dir_for(b, flows_dir), b.substitutions)
    snap_a = sources.org_snapshot(
        sources.platform_for(a.connection, a.platform, stack=a.stack),
        known_ids=a.flow_ids,
        definitions=definitions_a,
        source={"label": source},
    )
    snap_b = sources.org_snapshot(
        sources.platform_for(b.connection, b.platform, stack=b.stack),
        known_ids=b.flow_ids,
        definitions=definitions_b,
        source={"label": target},
    )
    managed = set(a.flow_ids) | set(b.flow_ids) | set(definitions_a)
    snap_a.flows = {k: v for k, v in snap_a.flows.items() if k in managed}
    snap_b.flows = {k: v for k, v in snap_b.flows.items() if k in managed}
    if progress:
        progress(
            f"parity: comparing {len(snap_a.flows)} flow(s) of {source} with {len(snap_b.flows)} of {target}"
        )
    return compare(
        snap_a, snap_b, a.substitutions, b.substitutions, a_label=f"stack:{source}", b_label=f"stack:{target}"
    )


def compare(
    a: snap.Snapshot,
    b: snap.Snapshot,
    subs_a: Mapping[str, str] | None,
    subs_b: Mapping[str, str] | None,
    *,
    a_label: str | None = None,
    b_label: str | None = None,
) -> DiffResult:
    """Two snapshots compared by logical key, each side's substitution values replaced by their
    placeholders (parity; `archctl diff` of two stacks and `archctl promote` both use it)."""
    if subs_a:
        a = snap.unsubstitute(a, dict(subs_a))
    if subs_b:
        b = snap.unsubstitute(b, dict(subs_b))
    return diff(a.flows, b.flows, a_label=a_label or a.label, b_label=b_label or b.label)


def source_drift(
    stack: str,
    *,
    flows_dir: str | Path | None,
    include_all: bool = False,
    progress: sources.Progress | None = None,
) -> DiffResult:
    """The stack's live org against its definitions (substitutions applied): the flows either side
    defines or the stack's state manages (`include_all`: every live flow). `archctl drift` too."""
    return drift_details(stack, flows_dir=flows_dir, include_all=include_all, progress=progress)[0]


def drift_details(
    stack: str,
    *,
    flows_dir: str | Path | None,
    include_all: bool = False,
    progress: sources.Progress | None = None,
) -> tuple[DiffResult, list[dict[str, Any]]]:
    """`source_drift` and, where the platform reads content apart (genesys-cloud), per drifted flow
    who published the live version, its
    version pointers and the ones the stack's state recorded (a moved pointer: a publish elsewhere)."""
    info = sources.stack_info(stack)
    directory = sources.flows_dir_for(info, flows_dir)
    desired = sources.definition_docs(directory, info.substitutions)
    platform = sources.platform_for(info.connection, info.platform, stack=info.stack)
    publishers: list[dict[str, Any]] = []
    live_flows: dict[str, Any] = {}
    read = sources.org_read(
        platform, known_ids=info.flow_ids, definitions=desired, source={"label": stack}, progress=progress
    )
    live, live_flows = read.snapshot, read.flows  # flows: where content is read apart (who published)
    managed = set(desired) | set(info.flow_ids)
    result = diff(
        desired,
        {k: v for k, v in live.flows.items() if include_all or k in managed},
        a_label=f"definitions ({directory})",
        b_label=f"stack:{stack} (live)",
    )
    if live_flows:
        recorded = workspace.state_outputs(workspace.stack(stack, sources.project_dir(), create=True))
        for flow in result.flows:
            if flow.key in live_flows:
                live_flow = live_flows[flow.key].live
                state = recorded.get(flow.key, {})
                state_rev = state.get("revision") or state.get("version")
                publishers.append(
                    {
                        "key": flow.key,
                        "published_by": live_flow.changed_by,
                        "revision": live_flow.revision,
                        "state_revision": None if state_rev is None else str(state_rev),
                    }
                )
    return result, publishers


def destructive_changes(
    live: snap.Snapshot, desired: Mapping[str, snap.FlowDoc], managed: set[str], platform: Any
) -> list[str]:
    """The managed live flows that are published and that the definitions delete or unpublish,
    each with the flows that use it in the org (best effort: provider/deploy/protection.py)."""
    lines = []
    for key in sorted(managed):
        old, new = live.flows.get(key), desired.get(key)
        if old is None or old.get("lifecycle_state") != "published":
            continue
        if new is not None and new.get("lifecycle_state") != "draft":
            continue
        name, lookup = str(old.get("name") or key), protection.consumers_lookup(platform)
        line = protection.destructive_line(key, name, live.ids.get(key), deleted=new is None, lookup=lookup)
        lines.append(f"{key}: {line}")
    return lines


def target_plan(
    target: str,
    *,
    flows_dir: str | Path | None,
    progress: sources.Progress | None = None,
    destructive: list[str] | None = None,
) -> DiffResult:
    """Per flow, what a promotion changes in the target's org: its live flows (the ones it manages or
    defines) → the definitions with its substitutions; the destructive ones also into `destructive`."""
    info = sources.stack_info(target)
    directory = sources.flows_dir_for(info, flows_dir)
    desired = sources.definition_docs(directory, info.substitutions)
    platform = sources.platform_for(info.connection, info.platform, stack=info.stack)
    live = sources.org_snapshot(
        platform,
        known_ids=info.flow_ids,
        definitions=desired,
        source={"label": f"stack:{target}", "api_url": info.connection.api_base_url},
        progress=progress,
    )
    managed = set(desired) | set(info.flow_ids)
    if destructive is not None:
        destructive += destructive_changes(live, desired, managed, platform)
    return diff(
        {k: v for k, v in live.flows.items() if k in managed},
        desired,
        a_label=f"stack:{target} (live)",
        b_label=f"stack:{target} after the promotion",
    )


def _org_objects_gate(report: PromoteReport, target: str, flows_dir: str | Path | None, note: Note) -> bool:
    """The target's org-objects gate; False (the report refused) when it fails."""
    from provider.ops import org_gate

    note(f"checking {target}: the org objects the flows name")
    info = sources.stack_info(target, with_state=False)
    verdict = org_gate.check_stack(info, sources.flows_dir_for(info, flows_dir))
    report.org_objects = org_gate.to_json(verdict)
    for message in (verdict.warning, verdict.note):
        if message:
            note(message)
    if verdict.error:
        report.refused = verdict.error
        return False
    return True


def promote(
    source: str,
    target: str,
    *,
    flows_dir: str | Path | None,
    progress: Note | None = None,
    skip_checks: bool = False,
    confirm: Callable[[PromoteReport], bool] | None = None,
) -> PromoteReport:
    """The promotion (module docstring). `confirm` sees the report with its plan before anything is
    deployed; False refuses (None: no question, as `--yes`)."""
    note = progress or (lambda _text: None)
    report = PromoteReport(source, target)
    work_dir = sources.project_dir()
    if not skip_checks:
        note(f"checking {source}: preview")
        src = workspace.stack(source, work_dir)
        preview = src.preview(on_output=None)
        report.pending_changes = workspace.pending(workspace.changes(preview.change_summary))
        if report.pending_changes:
            pending = ", ".join(f"{k} {v}" for k, v in sorted(report.pending_changes.items()))
            report.refused = f"stack {source} has pending changes ({pending}); run `pulumi up` on it first"
            return report
        note(f"checking {source}: drift")
        report.drift = source_drift(source, flows_dir=flows_dir)
        if not report.drift.identical:
            report.refused = f"the live org of stack {source} drifted from the definitions"
            return report
    if not _org_objects_gate(report, target, flows_dir, note):
        return report
    note(f"plan for {target}: preview")
    tgt = workspace.stack(target, work_dir, create=True)
    # Refreshed on every platform: the plan below compares the target's live org with what the
    # promotion deploys, so a hand edit in the target is shown being replaced before the question,
    # and the up then does what the plan says (not refreshed, the tutorial API's up would keep it).
    preview = tgt.preview(on_output=None, refresh=True)
    report.plan_changes = workspace.pending(workspace.changes(preview.change_summary))
    note(f"plan for {target}: reading its org")
    report.plan = target_plan(
        target,
        flows_dir=flows_dir,
        progress=_counter(note, f"reading {target}"),
        destructive=report.destructive,
    )
    if confirm is not None and not confirm(report):
        report.refused = report.refused or "not confirmed: nothing was deployed"
        return report
    note(f"up {target}")
    up = tgt.up(on_output=workspace.line_printer(note), refresh=True)
    report.up_result = up.summary.result
    report.up_changes = workspace.changes(up.summary.resource_changes)
    note(f"parity {source} ↔ {target}: reading both orgs")
    report.parity = parity(source, target, flows_dir=flows_dir, progress=note)
    return report
