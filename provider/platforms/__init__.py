"""Platforms: the APIs the project can manage flows on, behind one interface (`base.Platform`).

- `architecture_api`: the tutorial's Architecture API (`PATCH /api/v2/architect/flows/{id}`).
- `genesys_cloud`: the real Genesys Cloud flows API (`/api/v2/flows`, locks, Archy jobs).

Platforms import no Pulumi.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from provider.errors import ConfigurationError

if TYPE_CHECKING:
    from provider.domain.rules import Problem
    from provider.platforms.base import Platform, PlatformConfig
    from provider.platforms.http.pool import ClientPool
    from provider.platforms.http.recorder import Recorder

#: The platform of a stack that names none: the real Genesys Cloud flows API (the tutorial's
#: Architecture API only when named: provider/deploy/stack_org.py says where it may be used).
DEFAULT = "genesys-cloud"
#: The tutorial's Architecture API (served by this project's emulator, not by Genesys Cloud).
TUTORIAL = "architecture-api"


def platform_problems(name: str, data: Mapping[str, Any], *, flow: str) -> list[Problem]:
    """The rules platform `name` adds to the domain's, checked without the network on a flow's
    managed fields (logical keys; fields not known yet left out)."""
    if name == "architecture-api":
        from provider.platforms.architecture_api.platform import platform_problems as rules

        return rules(data, flow=flow)
    return []


def get_platform(
    config: PlatformConfig, *, recorder: Recorder | None = None, pool: ClientPool | None = None
) -> Platform:
    """The platform `config.platform` names (`genesys-flows:platform`, default genesys-cloud),
    connected with the config's connection; `pool` is shared with other platforms (default: a
    private one). Each implementation is imported only when chosen."""
    name = config.platform or DEFAULT
    if name == "architecture-api":
        from provider.platforms.architecture_api.client import ArchitectClient
        from provider.platforms.architecture_api.platform import ArchitectureApiPlatform

        client = ArchitectClient(config.connection(), recorder=recorder, pool=pool)
        return ArchitectureApiPlatform(client)
    if name == "genesys-cloud":
        from provider.platforms.genesys_cloud import GenesysCloudPlatform

        return GenesysCloudPlatform.from_config(config, recorder=recorder, pool=pool)
    raise ConfigurationError(
        f"stack {config.stack!r}: genesys-flows:platform is {name!r}; use architecture-api or genesys-cloud"
    )
