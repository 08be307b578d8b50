"""An organization as read by `archctl` (export, diff, drift, import, promotion parity), the same
shape on every platform: a snapshot by logical key, plus each flow's content where the platform
reads it apart from the flow (`base.ContentExport`), with the flows whose content could not be read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from provider.domain import snapshot as snap
from provider.domain.models import Flow
from provider.platforms.base import LiveFlow, Platform, Progress


@dataclass
class OrgFlow:
    """A live flow and its content as the export job gave it (None with `error` when it failed)."""

    live: LiveFlow
    archy: str | None = None
    error: str | None = None


@dataclass
class OrgRead:
    """An organization's flows by logical key, with what could not be read. `flows` is filled only
    where content is read apart (`base.ContentExport`)."""

    snapshot: snap.Snapshot
    flows: dict[str, OrgFlow] = field(default_factory=dict)  # key -> flow (raw text, who published)
    errors: dict[str, str] = field(default_factory=dict)  # key -> why its content is missing
    #: Whether the content was read apart (export writes content files; failures are reported).
    content_apart: bool = False


def as_flow(live: LiveFlow) -> Flow:
    """A live flow as the snapshot's `Flow` (block content; other content is not snapshotted here)."""
    return Flow.model_validate(
        {
            "id": live.id,
            "_version": int(live.revision) if live.revision.isdigit() else 0,
            "name": live.name,
            **live.attributes,
            "type": live.type,
            "lifecycle_state": live.lifecycle_state,
            "references": list(live.references),
            "blocks": live.content if isinstance(live.content, list) else [],
            "dateModified": live.extra.get("dateModified") or None,
            "selfUri": live.self_uri,
        }
    )


def list_org(platform: Platform, progress: Progress | None = None) -> list[Flow]:
    """Every live flow of the platform's organization (the listing already holds whole flows)."""
    flows: list[Flow] = []
    for live in platform.list_flows():
        flows.append(as_flow(live))
        if progress:
            progress(len(flows), None, live.name)
    return flows


@dataclass
class ExportFiles:
    """What `archctl export` wrote: the files, those of an earlier export it removed (keys it no
    longer writes), and values it could not put back as one placeholder (reported, not guessed)."""

    written: list[Path]
    removed: list[Path] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)
