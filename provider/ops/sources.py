"""Where the CLI's flows come from: definitions in flows/, snapshot folders, live organizations (given by
a stack's config or by explicit connection options), and the keys a stack's Pulumi state knows.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from provider import platforms
from provider.deploy import stack_org
from provider.domain import snapshot as snap
from provider.errors import ConfigurationError
from provider.ops import stacks
from provider.paths import PROJECT_DIR
from provider.platforms.base import ConflictPolicy, Platform, Progress
from provider.platforms.http.settings import ConnectionSettings
from provider.platforms.org import ExportFiles, OrgRead, list_org

__all__ = ["OrgRead", "Progress", "list_org"]  # re-exported for the CLI


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
    without any, placeholders stay as written), read by the platform whose folder it is
    (`platforms.for_folder`: Archy files give the Archy content, references derived from it).
    `DefinitionError` lists every problem."""
    return platforms.for_folder(Path(directory)).definition_docs(Path(directory), substitutions)


def definition_docs_or_empty(directory: Path, substitutions: Mapping[str, str]) -> dict[str, snap.FlowDoc]:
    """`definition_docs`, for naming live flows only: a missing or broken folder just means no names."""
    from provider.domain.loading import DefinitionError

    try:
        return definition_docs(directory, substitutions)
    except DefinitionError:
        return {}


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
    connection: ConnectionSettings, platform: str | None = None, *, stack: str = "(none)"
) -> Platform:
    """The platform (`genesys-flows:platform`) of an organization, for reading it."""
    return platforms.get_platform(_Connection(stack, platform or platforms.DEFAULT, connection))


def org_snapshot(
    platform: Platform,
    *,
    known_ids: Mapping[str, str] | None = None,
    definitions: Mapping[str, Mapping[str, Any]] | None = None,
    source: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
) -> snap.Snapshot:
    """A snapshot of a live organization, keyed by logical key (see provider/domain/snapshot.py)."""
    return org_read(
        platform, known_ids=known_ids, definitions=definitions, source=source, progress=progress
    ).snapshot


def org_read(
    platform: Platform,
    *,
    known_ids: Mapping[str, str] | None = None,
    definitions: Mapping[str, Mapping[str, Any]] | None = None,
    source: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
) -> OrgRead:
    """A live organization by logical key, with each flow's content where the platform reads it apart
    (export jobs; `OrgRead.content_apart`), and what could not be read."""
    read = platforms.kind(platform.name).read_org(
        platform, known_ids=known_ids, definitions=definitions, source=source, progress=progress
    )
    src = source or {}
    require_same_org(
        str(src.get("label") or ""), known_ids, read.snapshot.ids.values(), str(src.get("api_url") or "")
    )
    return read


def write_export(
    platform: Platform,
    read: OrgRead,
    out_dir: Path,
    *,
    substitutions: Mapping[str, str] | None = None,
    definitions_dir: Path | None = None,
) -> ExportFiles:
    """`archctl export`: the definition files of the organization read, in the platform's form (with
    a stack's substitutions: its placeholders put back, to deploy to any environment)."""
    return platforms.kind(platform.name).write_export(
        read, out_dir, substitutions=substitutions, definitions_dir=definitions_dir
    )


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
    """A stack's settings (its `genesys-flows:*` config, via provider.ops.stacks) and, with `with_state`,
    the flow ids its Pulumi state knows by logical key (none before its first `up`)."""
    from provider.ops import workspace  # the Automation API: only when a stack is used

    root = project_dir()
    if not (root / "stacks" / f"Pulumi.{name}.yaml").exists() and not (root / f"Pulumi.{name}.yaml").exists():
        raise ConfigurationError(f"no stack {name!r}: stacks/Pulumi.{name}.yaml does not exist in {root}")
    opened = workspace.stack(name, root, create=True)  # one `stack select` for its config and state
    config = stacks.read_config(name, work_dir=root, opened=opened)
    settings = stacks.settings_from_config(name, config, env=stack_org.engine_env_for(root, os.environ))
    flow_ids = workspace.state_flow_ids(opened) if with_state else {}
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
    #: Not problems: each cycle the platform deploys (genesys-cloud), on its flow and edge.
    notes: list[Any] = field(default_factory=list)


def validate_definitions(
    directory: Path, substitutions: Mapping[str, str] | None, platform: str | None = None
) -> ValidationResult:
    """Every problem of the definitions in `directory`: each flow's rules and the reference graph,
    for `platform` (default: the platform whose folder it is, `platforms.for_folder`).
    Without substitutions (no stack), placeholders are kept as written."""
    kind = platforms.for_folder(Path(directory)) if platform is None else platforms.kind(platform)
    subs = dict(substitutions) if substitutions is not None else kind.kept_placeholders(Path(directory))
    prepared = kind.prepare(Path(directory), subs)
    keys = kind.definition_keys(Path(directory))
    return ValidationResult(
        keys=keys, order=list(prepared.order), problems=list(prepared.problems), notes=list(prepared.notes)
    )


def flows_dir_for(info: StackInfo | None, explicit: str | Path | None = None) -> Path:
    """The definitions folder: the explicit one, else the stack's `flowsDir` (relative to the
    project), else <project>/flows."""
    if explicit:
        return Path(explicit)
    if info is not None and info.flows_dir:
        path = Path(info.flows_dir)
        return path if path.is_absolute() else project_dir() / path
    return project_dir() / "flows"
