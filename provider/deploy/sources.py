"""Where the CLI's flows come from: definitions in flows/, snapshot folders, live organizations (given by
a stack's config or by explicit connection options), and the keys a stack's Pulumi state knows.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from provider import platforms
from provider.deploy import stack_org, stacks
from provider.domain import snapshot as snap
from provider.domain.models import Flow
from provider.errors import ConfigurationError
from provider.paths import PROJECT_DIR
from provider.platforms.base import ConflictPolicy, LiveFlow, Platform
from provider.platforms.http.settings import ConnectionSettings

Progress = Callable[[int, int | None, str], None]
DEFAULT_PLATFORM = platforms.DEFAULT
#: A folder of block definitions (not Archy files) is the tutorial's sample set.
TUTORIAL_PLATFORM = platforms.TUTORIAL


@dataclass(frozen=True)
class StackInfo(stacks.StackSettings):
    """A stack's settings plus what the CLI also needs: the flow ids its state knows, and its raw
    `genesys-flows:*` config (secrets in clear: never printed)."""

    flow_ids: dict[str, str] = field(default_factory=dict)  # logical key -> flow id (from the state)
    raw_config: dict[str, Any] = field(default_factory=dict, repr=False)


def project_dir() -> Path:
    """The project folder (Pulumi.yaml, flows/, stacks/): $GENESYS_FLOWS_PROJECT_DIR or this checkout."""
    return Path(os.environ.get("GENESYS_FLOWS_PROJECT_DIR") or PROJECT_DIR)


# -- definitions -----------------------------------------------------------------------------------


def definition_docs(
    directory: Path, substitutions: Mapping[str, str] | None = None
) -> dict[str, snap.FlowDoc]:
    """The definitions in `directory` as normalized flow documents by key (substitutions applied;
    without any, placeholders stay as written). `DefinitionError` lists every problem.
    A genesys-cloud folder (Archy files) gives the Archy content, references derived from it."""
    from provider.deploy import gc_org
    from provider.domain import loading as definitions

    if gc_org.is_definitions_folder(Path(directory)):
        docs, problems = gc_org.definition_docs(Path(directory), substitutions or None)
        if problems:
            raise definitions.DefinitionError(problems, f"unreadable flow definitions in {directory}")
        return docs

    loaded = definitions.load_definitions(Path(directory), dict(substitutions) if substitutions else None)
    return {key: snap.normalize(definitions.as_document(d)) for key, d in sorted(loaded.items())}


def definition_docs_or_empty(directory: Path, substitutions: Mapping[str, str]) -> dict[str, snap.FlowDoc]:
    """`definition_docs`, for naming live flows only: a missing or broken folder just means no names."""
    from provider.domain.loading import DefinitionError

    try:
        return definition_docs(directory, substitutions)
    except DefinitionError:
        return {}


def placeholders_kept(directory: Path) -> dict[str, str]:
    """Substitutions that leave every placeholder of the definitions as written (`{{x}}` → `{{x}}`),
    for checking definitions without a stack."""
    from provider.domain import loading as definitions

    names: set[str] = set()
    for path in definitions.definition_files(directory) if Path(directory).is_dir() else []:
        try:
            names.update(definitions.PLACEHOLDER_RE.findall(path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError):
            continue
    return {name: "{{" + name + "}}" for name in names}


# -- live organizations ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Connection:
    """A `base.PlatformConfig` for a connection given outright (the CLI's --api-url/--region)."""

    stack: str
    platform: str
    settings: ConnectionSettings = field(repr=False)
    conflict_policy: ConflictPolicy = "fail"
    force_unlock: bool = False

    def connection(self) -> ConnectionSettings:
        return self.settings


def platform_for(
    connection: ConnectionSettings, platform: str = platforms.DEFAULT, *, stack: str = "(none)"
) -> Platform:
    """The platform (`genesys-flows:platform`) of an organization, for reading it."""
    return platforms.get_platform(_Connection(stack, platform, connection))


def as_flow(live: LiveFlow) -> Flow:
    """A live flow as the snapshot's `Flow` (block content; other content is not snapshotted here)."""
    return Flow.model_validate(
        {
            "id": live.id,
            "_version": int(live.revision) if live.revision.isdigit() else 0,
            "name": live.name,
            "description": live.description,
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


def org_snapshot(
    platform: Platform,
    *,
    known_ids: Mapping[str, str] | None = None,
    definitions: Mapping[str, Mapping[str, Any]] | None = None,
    source: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
) -> snap.Snapshot:
    """A snapshot of a live organization, keyed by logical key (see provider/domain/snapshot.py).
    On genesys-cloud each flow's Archy content comes through an export job (`gc_org`)."""
    from provider.deploy import gc_org

    if gc_org.is_genesys_cloud(platform):
        return org_read(
            platform, known_ids=known_ids, definitions=definitions, source=source, progress=progress
        ).snapshot
    flows = list_org(platform, progress)
    src = source or {}
    require_same_org(
        str(src.get("label") or ""), known_ids, (f.id for f in flows), str(src.get("api_url") or "")
    )
    known = {flow_id: key for key, flow_id in (known_ids or {}).items()}
    return snap.from_flows(flows, known=known, definitions=definitions, source=source)


def org_read(
    platform: Platform,
    *,
    known_ids: Mapping[str, str] | None = None,
    definitions: Mapping[str, Mapping[str, Any]] | None = None,
    source: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
) -> Any:
    """A genesys-cloud org read with its content (`gc_org.OrgRead`: snapshot, raw texts, failures)."""
    from provider.deploy import gc_org

    flows = gc_org.read_flows(platform, progress)
    src = source or {}
    require_same_org(
        str(src.get("label") or ""), known_ids, (f.live.id for f in flows), str(src.get("api_url") or "")
    )
    return gc_org.org_read(flows, known_ids=known_ids, definitions=definitions, source=source)


class WrongOrgError(ConfigurationError):
    """The org reached holds none of the flows the stack's state names: another org than the one the
    stack was deployed to (another checkout's emulator, a changed apiUrl or region)."""


def require_same_org(
    label: str, known_ids: Mapping[str, str] | None, live_ids: Iterable[str], where: str = ""
) -> None:
    """Stop when the stack's state names flows and none of them exists in the org reached."""
    if not known_ids:
        return
    live = set(live_ids)
    if live & set(known_ids.values()):
        return
    name = label.removeprefix("stack:")
    example = ", ".join(f"{k} ({v})" for k, v in sorted(known_ids.items())[:3])
    at = f" at {where}" if where else ""
    raise WrongOrgError(
        f"stack {name!r}: this is not the org this stack was deployed to: its state names "
        f"{len(known_ids)} flow(s) (e.g. {example}), none of which exists in the org reached{at} "
        f"({len(live)} flow(s) there). Check genesys-flows:apiUrl / genesys-flows:region and, for "
        "the emulator, that this checkout's runs (`make deploy` starts it and records its port in "
        ".emulator/port); if the flows were deleted on purpose, "
        f"`scripts/pulumi refresh --stack {name}` forgets them"
    )


# -- stacks ----------------------------------------------------------------------------------------


def stack_info(name: str, *, with_state: bool = True) -> StackInfo:
    """A stack's settings (its `genesys-flows:*` config, via provider.deploy.stacks) and, with `with_state`,
    the flow ids its Pulumi state knows by logical key (none before its first `up`)."""
    from provider.deploy import workspace  # the Automation API: only when a stack is used

    root = project_dir()
    if not (root / "stacks" / f"Pulumi.{name}.yaml").exists() and not (root / f"Pulumi.{name}.yaml").exists():
        raise ConfigurationError(f"no stack {name!r}: stacks/Pulumi.{name}.yaml does not exist in {root}")
    config = stacks.read_config(name, work_dir=root)
    settings = stacks.settings_from_config(name, config, env=stack_org.engine_env_for(root, os.environ))
    flow_ids = workspace.state_flow_ids(workspace.stack(name, root, create=True)) if with_state else {}
    return StackInfo(
        **{f.name: getattr(settings, f.name) for f in fields(stacks.StackSettings)},
        flow_ids=flow_ids,
        raw_config=dict(config),
    )


@dataclass
class ValidationResult:
    keys: list[str]
    order: list[str]
    problems: list[Any]


def validate_definitions(
    directory: Path, substitutions: Mapping[str, str] | None, platform: str | None = None
) -> ValidationResult:
    """Every problem of the definitions in `directory`: each flow's rules and the reference graph,
    for `platform` (default: genesys-cloud for a folder of Archy files, else architecture-api).
    Without substitutions (no stack), placeholders are kept as written."""
    from provider.deploy import gc_org
    from provider.domain import loading as definitions

    if platform is None:
        platform = gc_org.PLATFORM if gc_org.is_definitions_folder(Path(directory)) else TUTORIAL_PLATFORM
    if substitutions is not None:
        subs = dict(substitutions)
    elif platform == gc_org.PLATFORM:
        subs = gc_org.kept_placeholders(Path(directory))
    else:
        subs = placeholders_kept(directory)
    prepared = definitions.prepare(Path(directory), subs, platform=platform)
    keys = [p.stem for p in definitions.definition_files(directory)] if Path(directory).is_dir() else []
    return ValidationResult(keys=keys, order=list(prepared.order), problems=list(prepared.problems))


def flows_dir_for(info: StackInfo | None, explicit: str | Path | None = None) -> Path:
    """The definitions folder: the explicit one, else the stack's `flowsDir` (relative to the
    project), else <project>/flows."""
    if explicit:
        return Path(explicit)
    if info is not None and info.flows_dir:
        path = Path(info.flows_dir)
        return path if path.is_absolute() else project_dir() / path
    return project_dir() / "flows"
