"""A stack's settings as the program and the tools that run outside `pulumi up` (the CLI) see them.

    config = read_config("dev")                 # stacks/Pulumi.dev.yaml through the Automation API
    settings = settings_from_config("dev", config)

The config is read with the Automation API (a `LocalWorkspace` on the project, with the offline
engine settings of provider/ops/engine.py), which decrypts secrets with the stack's passphrase; the stack
is created in the backend when it does not exist there yet (the config file in stacks/ is kept). As
in the program, values missing from the config come from the GENESYSCLOUD_* environment variables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provider.deploy import config as stack_config
from provider.deploy.config import NAMESPACE
from provider.ops import workspace
from provider.paths import PROJECT_DIR
from provider.platforms.http.settings import ConnectionSettings

if TYPE_CHECKING:
    from pulumi import automation as auto


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
    platform: str = stack_config.DEFAULT_PLATFORM


def read_config(
    stack: str, *, work_dir: str | Path = PROJECT_DIR, opened: auto.Stack | None = None
) -> dict[str, Any]:
    """The stack's config values (secrets decrypted), by key without the `genesys-flows:` prefix.
    `opened`: the stack already opened by the caller (one CLI run fewer than opening it again)."""
    st = opened or workspace.stack(stack, Path(work_dir), create=True)
    values = st.get_all_config()
    prefix = NAMESPACE + ":"
    return {key[len(prefix) :]: item.value for key, item in values.items() if key.startswith(prefix)}


def settings_from_config(
    stack: str,
    config: Mapping[str, Any],
    *,
    env: Mapping[str, str] | None = None,
) -> StackSettings:
    """`StackSettings` from config values (as `read_config` returns them), through the one
    stack-config model. `StackConfigError` names every key that is wrong."""
    model = stack_config.parse(stack, config)
    return StackSettings(
        stack=stack,
        connection=model.connection(env),
        substitutions=model.substitutions,
        conflict_policy=model.conflict_policy,
        metrics_dir=model.metrics_dir,
        audit_log=model.audit_log,
        flows_dir=model.flows_dir,
        platform=model.platform,
    )


__all__ = [
    "NAMESPACE",
    "StackSettings",
    "read_config",
    "settings_from_config",
]
