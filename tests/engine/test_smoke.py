"""The real Pulumi engine, offline: the built CLI, this project's language host, the dynamic-provider
shim and provider serialization, driven through the Automation API on a local file backend."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest
from pulumi import automation as auto

from provider.ops.engine import PROJECT_DIR, offline_env, pulumi_command

pytestmark = pytest.mark.engine

PROGRAM = """\
import pulumi
from tests.engine.smoke_resource import Echo

greeting = pulumi.Config().require("greeting")
echo = Echo("echo", greeting=greeting)
pulumi.export("greeting", echo.greeting)
pulumi.export("length", echo.length)
"""


@pytest.fixture
def smoke_stack(tmp_path: Path) -> auto.Stack:
    project = tmp_path / "project"
    project.mkdir()
    venv = Path(sys.prefix)
    (project / "Pulumi.yaml").write_text(
        textwrap.dedent(
            f"""\
            name: engine-smoke
            runtime:
              name: python
              options:
                virtualenv: {venv}
            """
        )
    )
    (project / "__main__.py").write_text(PROGRAM)
    env = offline_env(
        backend_dir=tmp_path / "backend",
        pulumi_home=tmp_path / "home",
        base={k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")},
    )
    stack = auto.create_or_select_stack(
        stack_name="smoke",
        work_dir=str(project),
        opts=auto.LocalWorkspaceOptions(
            pulumi_command=pulumi_command(),
            pulumi_home=env["PULUMI_HOME"],
            env_vars=env,
        ),
    )
    stack.set_config("greeting", auto.ConfigValue("hello"))
    return stack


def test_preview_up_refresh_destroy_through_the_real_engine(smoke_stack: auto.Stack) -> None:
    assert (PROJECT_DIR / "provider" / "ops" / "engine.py").exists()

    preview = smoke_stack.preview()
    assert preview.change_summary == {auto.OpType.CREATE: 2}  # the stack and the Echo resource

    up = smoke_stack.up()
    assert up.summary.result == "succeeded"
    assert up.summary.resource_changes == {"create": 2}
    assert up.outputs["greeting"].value == "hello"
    assert up.outputs["length"].value == 5

    # Nothing changed: the engine must agree, or this raises.
    smoke_stack.preview(expect_no_changes=True)

    refresh = smoke_stack.refresh()
    assert refresh.summary.result == "succeeded"
    assert refresh.summary.resource_changes == {"same": 2}

    smoke_stack.set_config("greeting", auto.ConfigValue("hello, world"))
    changed = smoke_stack.up()
    assert changed.summary.resource_changes == {"same": 1, "update": 1}
    assert changed.outputs["length"].value == len("hello, world")

    destroy = smoke_stack.destroy()
    assert destroy.summary.result == "succeeded"
    assert destroy.summary.resource_changes == {"delete": 2}
    deployment = smoke_stack.export_stack().deployment or {}
    assert deployment.get("resources") in (None, [])
