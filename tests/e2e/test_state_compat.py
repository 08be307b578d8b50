"""State compatibility: a stack deployed by the code before the packages existed (commit 35a1fab,
archived in tests/e2e/fixtures so a shallow CI clone has it) keeps working on this code: preview and
up show no change and make no write, refresh reads every flow through the old provider path
(`provider.flow_resource.FlowProvider`, recorded in the state), and destroy removes them all."""

from __future__ import annotations

import base64
import tarfile
from pathlib import Path

import pytest
from pulumi import automation as auto

from emulator.testing import EmulatorProcess
from provider.deploy.inputs import BLOCKS_SHA_KEY
from provider.ops.engine import pulumi_command
from tests.support.engine import NS, Meter, Org, engine_env, make_project, open_stack, summary

pytestmark = pytest.mark.engine

OLD_LAYOUT = Path(__file__).parent / "fixtures" / "layout-35a1fab.tar.gz"


def old_project(root: Path) -> Path:
    """The project as of 35a1fab: its program and provider package, today's stacks and flows."""
    project = make_project(root / "old")
    with tarfile.open(OLD_LAYOUT) as archive:
        archive.extractall(project, filter="data")
    return project


def open_old_stack(project: Path, root: Path, url: str) -> auto.Stack:
    env = {**engine_env(root), "PYTHONPATH": str(project)}  # the old `provider`, not this one
    stack = auto.create_or_select_stack(
        stack_name="dev",
        work_dir=str(project),
        opts=auto.LocalWorkspaceOptions(
            pulumi_command=pulumi_command(), pulumi_home=env["PULUMI_HOME"], env_vars=env
        ),
    )
    stack.set_config(f"{NS}:apiUrl", auto.ConfigValue(url))
    stack.set_config(f"{NS}:metricsDir", auto.ConfigValue(str(root / "metrics")))
    stack.set_config(f"{NS}:auditLog", auto.ConfigValue(str(root / "audit" / "audit.jsonl")))
    return stack


def flow_resources(stack: auto.Stack) -> list[dict]:
    return [r for r in stack.export_stack().deployment["resources"] if r["type"].endswith("architect:Flow")]


def provider_paths(stack: auto.Stack) -> set[str]:
    """The module path of the pickled provider of every flow in the state."""
    paths = set()
    for resource in stack.export_stack().deployment["resources"]:
        if resource["type"].endswith("architect:Flow"):
            pickled = base64.b64decode(resource["inputs"]["__provider"])
            paths |= {
                p for p in ("provider.flow_resource", "provider.deploy.resource") if p.encode() in pickled
            }
    return paths


def test_a_state_written_by_the_old_layout_deploys_unchanged(tmp_path: Path, emulator: EmulatorProcess):
    assert OLD_LAYOUT.exists()
    old = old_project(tmp_path)
    assert (old / "provider" / "client.py").exists()  # really the flat layout
    up = open_old_stack(old, tmp_path, emulator.url).up()
    assert up.summary.result == "succeeded"
    ids = {key: value["id"] for key, value in up.outputs["flows"].value.items()}
    live_before = {f["id"]: f["_version"] for f in Org(emulator.url).live_flows()}

    stack = open_stack(make_project(tmp_path / "new"), tmp_path, emulator.url)
    assert provider_paths(stack) == {"provider.flow_resource"}
    assert any("blocks" in r["outputs"] for r in flow_resources(stack))  # the old layout: in full

    with Meter(emulator) as meter:
        preview = stack.preview()
    assert summary(preview) == {}
    assert meter.result.writes == 0

    # read goes through the provider the state records (the old path): it must still import.
    with Meter(emulator) as meter:
        refresh = stack.refresh()
    assert refresh.summary.result == "succeeded"
    assert {k: v for k, v in (refresh.summary.resource_changes or {}).items() if k != "same"} == {}
    assert meter.result.writes == 0
    # ...and stored the outputs slim: a sha256 stands for each block tree (issue 14).
    refreshed = [r["outputs"] for r in flow_resources(stack)]
    assert all("blocks" not in outs and "__connection" not in outs for outs in refreshed)
    assert any(BLOCKS_SHA_KEY in outs for outs in refreshed)

    with Meter(emulator) as meter:
        again = stack.up()
    assert again.summary.result == "succeeded"
    assert {k: v for k, v in (again.summary.resource_changes or {}).items() if k != "same"} == {}
    assert meter.result.writes == 0
    assert {key: value["id"] for key, value in again.outputs["flows"].value.items()} == ids
    assert {f["id"]: f["_version"] for f in Org(emulator.url).live_flows()} == live_before

    destroy = stack.destroy()
    assert destroy.summary.result == "succeeded"
    assert Org(emulator.url).live_flows() == []
