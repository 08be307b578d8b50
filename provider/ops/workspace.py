"""The project's Pulumi stacks through the Automation API, with the offline engine settings.

The backend and PULUMI_HOME come from the environment when set (tests point them at temp folders),
else from provider/ops/engine.py's defaults inside the project.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from provider.ops.engine import offline_env, pulumi_command

#: The resource type of `provider.deploy.resource.Flow` in a stack's state.
FLOW_TYPE = "pulumi-python:dynamic/architect:Flow"


def engine_env() -> dict[str, str]:
    home = os.environ.get("PULUMI_HOME")
    return offline_env(pulumi_home=Path(home) if home else None)


def stack(name: str, work_dir: Path, *, create: bool = False) -> auto.Stack:
    """The stack `name` of the project in `work_dir` (created in the backend when `create`)."""
    env = engine_env()
    opts = auto.LocalWorkspaceOptions(
        pulumi_command=pulumi_command(), pulumi_home=env["PULUMI_HOME"], env_vars=env
    )
    if create:
        return auto.create_or_select_stack(stack_name=name, work_dir=str(work_dir), opts=opts)
    return auto.select_stack(stack_name=name, work_dir=str(work_dir), opts=opts)


def state_flow_ids(st: auto.Stack) -> dict[str, str]:
    """Logical key (the resource name) → flow id of every flow in the stack's state."""
    return flow_ids_from_deployment(st.export_stack().deployment or {})


def line_printer(progress: Callable[[str], None] | None) -> Callable[[str], None] | None:
    """An `on_output` for the Automation API that forwards non-empty engine lines to `progress`."""
    if progress is None:
        return None

    def on_output(line: str) -> None:
        text = line.rstrip()
        if text:
            progress(text)

    return on_output


def changes(summary: Mapping[Any, int] | None) -> dict[str, int]:
    """A change summary with plain string keys (OpType values)."""
    return {str(getattr(k, "value", k)): int(v) for k, v in (summary or {}).items()}


def pending(summary: dict[str, int]) -> dict[str, int]:
    """The operations of a change summary that change something (everything but `same`)."""
    return {k: v for k, v in summary.items() if k != "same" and v}


def flow_ids_from_deployment(deployment: Mapping[str, Any]) -> dict[str, str]:
    """Logical key (the resource name) → flow id, from an exported deployment."""
    out: dict[str, str] = {}
    for resource in deployment.get("resources") or []:
        if resource.get("type") == FLOW_TYPE and resource.get("id") and not resource.get("delete"):
            out[str(resource["urn"]).rsplit("::", 1)[-1]] = str(resource["id"])
    return out


def state_outputs(st: auto.Stack) -> dict[str, dict[str, Any]]:
    """Logical key → the outputs the stack's state records for that flow."""
    out: dict[str, dict[str, Any]] = {}
    for resource in (st.export_stack().deployment or {}).get("resources") or []:
        if resource.get("type") == FLOW_TYPE and resource.get("id") and not resource.get("delete"):
            out[str(resource["urn"]).rsplit("::", 1)[-1]] = dict(resource.get("outputs") or {})
    return out
