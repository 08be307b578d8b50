"""Platforms: the APIs the project can manage flows on, and the one registry of them.

`PLATFORMS` maps `genesys-flows:platform` to its `base.PlatformKind` (connect, load definitions,
read the org, validate, import plan); a connected platform is a `base.Platform`. A third platform is
one package with a `kind.py` and one row here.

- `architecture_api`: the tutorial's Architecture API (`PATCH /api/v2/architect/flows/{id}`).
- `genesys_cloud`: the real Genesys Cloud flows API (`/api/v2/flows`, locks, Archy jobs).

Platforms import no Pulumi; the two platform packages never import each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provider.errors import ConfigurationError
from provider.platforms.architecture_api.kind import KIND as ARCHITECTURE_API
from provider.platforms.genesys_cloud.kind import KIND as GENESYS_CLOUD
from provider.platforms.kind import PlatformKind

if TYPE_CHECKING:
    from provider.domain.checks import Current
    from provider.domain.problems import Problem
    from provider.platforms.base import Platform, PlatformConfig
    from provider.platforms.http.pool import ClientPool
    from provider.platforms.http.recorder import Recorder

#: name → platform: the only place the platforms are listed.
PLATFORMS: dict[str, PlatformKind] = {kind.name: kind for kind in (ARCHITECTURE_API, GENESYS_CLOUD)}
NAMES: tuple[str, ...] = tuple(PLATFORMS)
#: The platform of a stack (or a folder) that names none: the real Genesys Cloud flows API (the
#: tutorial's Architecture API only when named: provider/deploy/stack_org.py says where it may be used).
DEFAULT = GENESYS_CLOUD.name
#: The tutorial's Architecture API (served by this project's emulator, not by Genesys Cloud).
TUTORIAL = ARCHITECTURE_API.name


def kind(name: str | None) -> PlatformKind:
    """The registry's row for `name` (None: the default)."""
    found = PLATFORMS.get(name or DEFAULT)
    if found is None:
        raise ConfigurationError(f"genesys-flows:platform is {name!r}; use one of {', '.join(NAMES)}")
    return found


def for_folder(directory: Path) -> PlatformKind:
    """The platform whose definitions `directory` holds (its content files), else the one that reads
    plain block-tree definitions (the tutorial's)."""
    return next((k for k in PLATFORMS.values() if k.owns_folder(Path(directory))), PLATFORMS[TUTORIAL])


def platform_problems(
    name: str, data: Mapping[str, Any], *, flow: str, current: Current | None = None
) -> list[Problem]:
    """The rules platform `name` adds to the domain's neutral checks, checked without the network on
    a flow's managed fields (logical keys; fields not known yet left out); `current` is the flow as
    it is now (an update; None: a create)."""
    return kind(name).field_problems(data, flow=flow, current=current)


def get_platform(
    config: PlatformConfig, *, recorder: Recorder | None = None, pool: ClientPool | None = None
) -> Platform:
    """The platform `config.platform` names (`genesys-flows:platform`, default `DEFAULT`),
    connected with the config's connection; `pool` is shared with other platforms (default: a
    private one). Each implementation is imported only when chosen."""
    try:
        row = kind(config.platform)
    except ConfigurationError as exc:
        raise ConfigurationError(f"stack {config.stack!r}: {exc}") from None
    return row.connect(config, recorder=recorder, pool=pool)
