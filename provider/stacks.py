"""A stack's settings as the program sees them, for tools that run outside `pulumi up` (the CLI).

    settings = stack_settings("dev")            # reads stacks/Pulumi.dev.yaml through the Pulumi CLI
    client = ArchitectClient(settings.connection, conflict_policy=settings.conflict_policy)
    prepared = definitions.prepare(settings.flows_dir, settings.substitutions)

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

from provider.engine import PROJECT_DIR, offline_env, pulumi_command
from provider.errors import ConfigurationError
from provider.settings import ConnectionSettings

NAMESPACE = "genesys-flows"
CONFLICT_POLICIES = ("merge", "overwrite", "fail")
#: The resource type of `provider.flow_resource.Flow` in a stack's state.
FLOW_TYPE = "pulumi-python:dynamic/architect:Flow"


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
    flows_dir: Path = PROJECT_DIR / "flows"


def _workspace(
    work_dir: Path, env: Mapping[str, str] | None, backend_dir: Path | None, pulumi_home: Path | None
) -> Any:
    from pulumi import automation as auto

    engine_env = offline_env(backend_dir=backend_dir, pulumi_home=pulumi_home, base=dict(env or os.environ))
    return auto.LocalWorkspace(
        work_dir=str(work_dir),
        pulumi_home=engine_env["PULUMI_HOME"],
        env_vars=engine_env,
        pulumi_command=pulumi_command(),
    )


def read_config(
    stack: str,
    *,
    work_dir: str | Path = PROJECT_DIR,
    env: Mapping[str, str] | None = None,
    backend_dir: Path | None = None,
    pulumi_home: Path | None = None,
) -> dict[str, Any]:
    """The stack's config values (secrets decrypted), by key without the `genesys-flows:` prefix."""
    from pulumi import automation as auto

    workspace = _workspace(Path(work_dir), env, backend_dir, pulumi_home)
    try:
        auto.Stack.select(stack, workspace)
    except auto.StackNotFoundError:
        auto.Stack.create(stack, workspace)
    values = workspace.get_all_config(stack)
    out: dict[str, Any] = {}
    prefix = NAMESPACE + ":"
    for key, item in values.items():
        if key.startswith(prefix):
            out[key[len(prefix) :]] = item.value
    return out


def settings_from_config(
    stack: str,
    config: Mapping[str, Any],
    *,
    env: Mapping[str, str] | None = None,
    work_dir: str | Path = PROJECT_DIR,
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
    flows_dir = Path(config.get("flowsDir") or Path(work_dir) / "flows")
    return StackSettings(
        stack=stack,
        connection=connection,
        substitutions={str(k): str(v) for k, v in raw_subs.items()},
        conflict_policy=policy,
        metrics_dir=config.get("metricsDir") or None,
        audit_log=config.get("auditLog") or None,
        flows_dir=flows_dir,
    )


def stack_settings(
    stack: str,
    *,
    work_dir: str | Path = PROJECT_DIR,
    env: Mapping[str, str] | None = None,
    backend_dir: Path | None = None,
    pulumi_home: Path | None = None,
) -> StackSettings:
    """The settings of `stack` (see the module docstring). `env` is the environment for the engine
    and for the GENESYSCLOUD_* fallbacks (default: this process's)."""
    config = read_config(stack, work_dir=work_dir, env=env, backend_dir=backend_dir, pulumi_home=pulumi_home)
    return settings_from_config(stack, config, env=env, work_dir=work_dir)


def stack_flow_ids(
    stack: str,
    *,
    work_dir: str | Path = PROJECT_DIR,
    env: Mapping[str, str] | None = None,
    backend_dir: Path | None = None,
    pulumi_home: Path | None = None,
) -> dict[str, str]:
    """Logical key → flow id of every flow in the stack's state (empty for a new stack)."""
    from pulumi import automation as auto

    workspace = _workspace(Path(work_dir), env, backend_dir, pulumi_home)
    try:
        deployment = workspace.export_stack(stack)
    except auto.StackNotFoundError:
        return {}
    return flow_ids_from_deployment(deployment.deployment or {})


def flow_ids_from_deployment(deployment: Mapping[str, Any]) -> dict[str, str]:
    """Logical key (the resource name) → flow id, from an exported deployment."""
    out: dict[str, str] = {}
    for resource in deployment.get("resources") or []:
        if resource.get("type") == FLOW_TYPE and resource.get("id") and not resource.get("delete"):
            out[str(resource["urn"]).rsplit("::", 1)[-1]] = str(resource["id"])
    return out


__all__ = [
    "FLOW_TYPE",
    "NAMESPACE",
    "StackSettings",
    "flow_ids_from_deployment",
    "read_config",
    "settings_from_config",
    "stack_flow_ids",
    "stack_settings",
]
