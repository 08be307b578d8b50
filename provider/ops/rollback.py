"""`archctl rollback --stack S FLOW [--to VERSION] [--now] [--reason TEXT]`: one flow back to one of
its published versions, with Git and the org in agreement.

1. The plan (`plan`): the flow's live version and the target (`--to`, else the published version
   before the live one), each version's content through the platform (`VersionHistory`: export
   jobs on genesys-cloud), the text diff live → target, and the definition files that hold the
   target's content env-neutral (`PlatformKind.rollback_files`: the stack's placeholders put back).
2. The pre-check runs on the definitions as they will be (a staging copy of the folder with the
   rewritten files): a version whose references changed since (a flow it used no longer in the set,
   a published flow now using a draft) is refused with every problem, and nothing is written.
3. `apply`: the files are written (each atomically). Without `--now`, the next deploy publishes
   them (an ordinary update: the provider's write-ahead intent, the Archy job, the audit). With
   `--now`, that update runs at once: a `pulumi up` of this one flow (`--target` its URN), so the
   state, the org and the definition agree and the next deploy is a no-op. Either way the stack's
   audit trail records who, which versions and why (`--reason`): intent first, then the outcome.
"""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provider import platforms
from provider.domain import files
from provider.domain.loading import DefinitionError
from provider.errors import ConfigurationError, NotFoundError
from provider.platforms.base import FlowVersionInfo, Platform, VersionHistory

Note = Callable[[str], None]


@dataclass
class RollbackPlan:
    stack: str
    key: str
    flow_id: str
    flow_name: str
    live_version: str | None
    target_version: str
    diff: str
    files: dict[Path, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class RollbackReport:
    plan: RollbackPlan
    now: bool
    reason: str
    written: list[str] = field(default_factory=list)
    published_version: str | None = None

    def to_json(self) -> dict[str, Any]:
        p = self.plan
        return {
            "stack": p.stack,
            "flow": p.key,
            "flow_id": p.flow_id,
            "flow_name": p.flow_name,
            "live_version": p.live_version,
            "target_version": p.target_version,
            "diff": p.diff,
            "written": self.written,
            "now": self.now,
            "reason": self.reason,
            "published_version": self.published_version,
            "notes": p.notes,
        }

    def render(self) -> str:
        p = self.plan
        lines = [
            f"rollback of flow {p.key!r} ({p.flow_name}) on stack {p.stack}: "
            f"live version {p.live_version or '(none published)'} → version {p.target_version}",
            p.diff.rstrip() or "(the two versions' Archy texts are identical)",
            *p.notes,
        ]
        if self.written:
            lines.append("wrote " + ", ".join(self.written))
        else:
            lines.append("the definition already holds that version: nothing written")
        if self.now:
            lines.append(f"published now: version {self.published_version} is live")
        else:
            lines.append("the next deploy (`make deploy`, the pipeline) publishes it; commit the definition")
        return "\n".join(lines)


def choose_target(versions: list[FlowVersionInfo], live: str | None, to: str | None, key: str) -> str:
    """`to` (a version published once), else the published version before the live one."""
    published = [v.id for v in versions if v.published]
    if to is not None:
        if to not in {v.id for v in versions}:
            raise NotFoundError(
                f"flow {key!r} has no version {to!r}; "
                f"its published versions: {', '.join(published) or 'none'}",
                status=404,
                code="architect.flow.version.missing",
            )
        if to not in published:
            raise ConfigurationError(
                f"flow {key!r}: version {to} was never published (a rollback goes back to a published "
                f"version: {', '.join(published) or 'none'})"
            )
        return to
    ids = [v.id for v in versions]  # newest first
    start = ids.index(live) + 1 if live in ids else 0
    earlier = [v for v in ids[start:] if v in published and v != live]
    if not earlier:
        raise ConfigurationError(
            f"flow {key!r}: no published version before the live one ({live or 'none'}) to roll back to"
        )
    return earlier[0]


def plan(
    platform: Platform,
    *,
    stack: str,
    key: str,
    flow_id: str,
    directory: Path,
    substitutions: Mapping[str, str],
    to: str | None = None,
) -> RollbackPlan:
    """The rollback of flow `key` (its id `flow_id`) whose definitions are in `directory` (module
    docstring, steps 1-2). Raises `DefinitionError` when the rolled-back set fails the pre-check."""
    kind = platforms.kind(platform.name)
    history = require_history(platform, directory, key)
    live = platform.read(flow_id)
    if live is None:
        raise NotFoundError(f"flow {key!r} ({flow_id}) no longer exists in the org", status=410)
    versions = history.versions(flow_id)
    live_version = next((v.id for v in versions if v.live), None)
    target = choose_target(versions, live_version, to, key)
    target_text = history.fetch_content(flow_id, target)
    live_text = history.fetch_content(flow_id, live_version) if live_version else ""
    diff = "".join(
        difflib.unified_diff(
            live_text.splitlines(keepends=True),
            target_text.splitlines(keepends=True),
            f"{key} (live version {live_version})",
            f"{key} (version {target})",
        )
    )
    texts, notes = kind.rollback_files(directory, key, target_text, substitutions)
    _precheck(kind.name, directory, texts, substitutions, key, target)
    return RollbackPlan(stack, key, flow_id, live.name, live_version, target, diff, texts, notes)


def require_history(platform: Platform, directory: Path, key: str) -> VersionHistory:
    """The platform, when it keeps versions to roll back to; else its own refusal (one error)."""
    if isinstance(platform, VersionHistory):
        return platform
    platforms.kind(platform.name).rollback_files(directory, key, "", {})  # raises: none kept
    raise ConfigurationError(f"flow {key!r}: rollback is not supported on platform {platform.name}")


def _precheck(
    platform: str,
    directory: Path,
    texts: Mapping[Path, str],
    substitutions: Mapping[str, str],
    key: str,
    target: str,
) -> None:
    """The pre-check of the folder as the rollback leaves it, on a staging copy (nothing written)."""
    with tempfile.TemporaryDirectory(prefix="rollback-") as tmp:
        staging = Path(tmp) / "flows"
        shutil.copytree(directory, staging, symlinks=False)
        files.write_files({staging / path.name: text for path, text in texts.items()})
        prepared = platforms.kind(platform).prepare(staging, substitutions)
    if prepared.problems:
        raise DefinitionError(
            prepared.problems,
            f"rollback of flow {key!r} to version {target} refused: the definitions with that version "
            "fail the pre-check; nothing was written",
        )


def who() -> str:
    """The person (or pipeline user) running the rollback, for the audit trail."""
    names = ("GITLAB_USER_LOGIN", "GITHUB_ACTOR", "USER")
    return next((os.environ[n] for n in names if os.environ.get(n)), "")


def audit_entry(p: RollbackPlan, *, now: bool, reason: str) -> dict[str, Any]:
    """The trail's record of a rollback (a fixed set of fields: never a secret)."""
    return {
        "event": "rollback",
        "action": "rollback",
        "stack": p.stack,
        "flow_key": p.key,
        "flow_id": p.flow_id,
        "flow_name": p.flow_name,
        "version_before": p.live_version,
        "version_target": p.target_version,
        "now": now,
        "reason": reason,
        "by_user": who(),
    }


def rollback_stack(
    stack: str,
    key: str,
    *,
    to: str | None = None,
    now: bool = False,
    reason: str = "",
    note: Note | None = None,
) -> RollbackReport:
    """`archctl rollback` (module docstring): plan, write, and with `now` publish through the engine."""
    from provider.governance.telemetry import Telemetry
    from provider.ops import sources

    info = sources.stack_info(stack)
    directory = sources.flows_dir_for(info)
    platform = sources.platform_for(info.connection, info.platform, stack=info.stack)
    require_history(platform, directory, key)  # before anything else: the platform's refusal
    flow_id = info.flow_ids.get(key)
    if flow_id is None:
        managed = ", ".join(sorted(info.flow_ids)) or "none yet"
        raise ConfigurationError(
            f"flow {key!r} is not managed by stack {stack!r} (its state has no such flow; managed: {managed})"
        )
    p = plan(
        platform,
        stack=stack,
        key=key,
        flow_id=flow_id,
        directory=directory,
        substitutions=info.substitutions,
        to=to,
    )
    report = RollbackReport(p, now, reason)
    recorder = Telemetry(flush_at_exit=False).recorder(
        stack, metrics_dir=info.metrics_dir, audit_log=info.audit_log
    )
    entry = audit_entry(p, now=now, reason=reason)
    recorder.audit.append({**entry, "outcome": "intent"})
    try:
        changed = {path: text for path, text in p.files.items() if not _holds(path, text)}
        report.written = [str(path) for path in files.write_files(changed)] if changed else []
        if now:
            report.published_version = _publish_now(platform, stack, key, flow_id, note)
    except BaseException:
        recorder.audit.append({**entry, "outcome": "failure"})
        raise
    recorder.audit.append({**entry, "outcome": "success", "version_after": report.published_version})
    return report


def _holds(path: Path, text: str) -> bool:
    return path.is_file() and files.read_text(path) == text


def _publish_now(platform: Platform, stack: str, key: str, flow_id: str, note: Note | None) -> str | None:
    """`pulumi up --target` the flow's URN: the provider's journaled update (intent, Archy job,
    audit) publishes the rewritten definition now; the flow's published version after it."""
    from provider.ops import sources, workspace

    st = workspace.stack(stack, sources.project_dir())
    urns = [
        str(r["urn"])
        for r in (st.export_stack().deployment or {}).get("resources") or []
        if r.get("type") == workspace.FLOW_TYPE and str(r.get("urn", "")).endswith("::" + key)
    ]
    if not urns:
        raise ConfigurationError(f"flow {key!r} is not in the state of stack {stack!r}")
    st.up(target=urns, on_output=workspace.line_printer(note))
    live = platform.read(flow_id)
    return None if live is None else live.extra.get("publishedVersion")
