"""A stack's settings as the program and the tools that run outside `pulumi up` (the CLI) see them.

    config = read_config("dev")                 # stacks/Pulumi.dev.yaml through the Automation API
    settings = settings_from_config("dev", config)
    connection_input(config, "dev")             # the `__connection` input of every Flow

The config is read with the Automation API (a `LocalWorkspace` on the project, with the offline
engine settings of provider/engine.py), which decrypts secrets with the stack's passphrase; the stack
is created in the backend when it does not exist there yet (the config file in stacks/ is kept). As
in the program, values missing from the config come from the GENESYSCLOUD_* environment variables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provider.deploy import workspace
from provider.errors import ConfigurationError
from provider.paths import PROJECT_DIR
from provider.platforms.http.settings import ConnectionSettings

NAMESPACE = "genesys-flows"
CONFLICT_POLICIES = ("merge", "overwrite", "fail")
#: The config keys that make up a Flow's `__connection` input (besides the stack's name).
CONNECTION_CONFIG_KEYS: tuple[str, ...] = (
    "apiUrl",
    "region",
    "clientId",
    "clientSecret",
    "conflictPolicy",
    "metricsDir",
    "auditLog",
)


@dataclass(frozen=True)
class StackSettings:
    """What one stack's config says: where its org is and who we are there, its substitutions, its
    conflict policy and where its metrics and audit log go (None: the defaults)."""

    stack: str
    connection: ConnectionSettings
    substitutions: dict[str, str] = field(default_factory=dict)
    conflict_policy: str = "merge"
    metrics_dir: str | None = None
    audit_log: str | None = None
    flows_dir: str | None = None  # genesys-flows:flowsDir, when set (relative: to the project)


def read_config(stack: str, *, work_dir: str | Path = PROJECT_DIR) -> dict[str, Any]:
    """The stack's config values (secrets decrypted), by key without the `genesys-flows:` prefix."""
    values = workspace.stack(stack, Path(work_dir), create=True).get_all_config()
    prefix = NAMESPACE + ":"
    return {key[len(prefix) :]: item.value for key, item in values.items() if key.startswith(prefix)}


def settings_from_config(
    stack: str,
    config: Mapping[str, Any],
    *,
    env: Mapping[str, str] | None = None,
) -> StackSettings:
    """`StackSettings` from config values (as `read_config` returns them). `ConfigurationError` names
    what is missing or wrong."""
    import json

    policy = str(config.get("conflictPolicy") or "merge")
    if policy not in CONFLICT_POLICIES:
        raise ConfigurationError(
            f"stack {stack!r}: {NAMESPACE}:conflictPolicy is {policy!r}; use one of "
            + ", ".join(CONFLICT_POLICIES)
        )
    raw_subs = config.get("substitutions") or {}
    if isinstance(raw_subs, str):
        try:
            raw_subs = json.loads(raw_subs)
        except ValueError as exc:
            raise ConfigurationError(f"stack {stack!r}: {NAMESPACE}:substitutions is not an object") from exc
    if not isinstance(raw_subs, Mapping):
        raise ConfigurationError(f"stack {stack!r}: {NAMESPACE}:substitutions must be an object")
    connection = ConnectionSettings.resolve(
        region=config.get("region") or None,
        api_url=config.get("apiUrl") or None,
        client_id=config.get("clientId") or None,
        client_secret=config.get("clientSecret") or None,
        env=os.environ if env is None else env,
    )
    return StackSettings(
        stack=stack,
        connection=connection,
        substitutions={str(k): str(v) for k, v in raw_subs.items()},
        conflict_policy=policy,
        metrics_dir=config.get("metricsDir") or None,
        audit_log=config.get("auditLog") or None,
        flows_dir=config.get("flowsDir") or None,
    )


def connection_input(values: Mapping[str, Any], stack: str) -> dict[str, Any]:
    """A Flow's `__connection` input from the stack's config values (the program passes the client
    secret as a Pulumi secret Output; `archctl import` as the decrypted value it marks secret). Unset
    values are left out, so the provider falls back to the environment for them."""
    out = {key: values.get(key) for key in CONNECTION_CONFIG_KEYS}
    out["conflictPolicy"] = out["conflictPolicy"] or "merge"
    out["stack"] = stack
    return {k: v for k, v in out.items() if v is not None}


__all__ = [
    "CONFLICT_POLICIES",
    "CONNECTION_CONFIG_KEYS",
    "NAMESPACE",
    "StackSettings",
    "connection_input",
    "read_config",
    "settings_from_config",
]
