"""The CI recipe's scripts, run as the recipe runs them: each step a fresh runner (clean HOME, its
own PULUMI_HOME, nothing kept from the step before), secrets from the environment only, the state in
the real SeaweedFS bucket, the org the real emulator. One engine test (a deploy, then a preview)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from emulator.testing import EmulatorProcess
from provider.ops.engine import DEMO_PASSPHRASE, tools_bin
from provider.paths import PROJECT_DIR
from tests.resilience.test_interruptions import flows
from tests.support.engine import Org
from tests.support.project import copy_project, write_flow
from tests.team.conftest import Bucket

pytestmark = [
    pytest.mark.xdist_group("s3"),  # one SeaweedFS process: these run on one worker
    pytest.mark.engine,
    pytest.mark.slow,
    pytest.mark.skipif(not (tools_bin() / "pulumi").exists(), reason="the Pulumi CLI is not built"),
]


def repo(tmp_path: Path, emulator_url: str) -> Path:
    root = copy_project(tmp_path / "repo", flows(3))
    shutil.copytree(PROJECT_DIR / "scripts", root / "scripts")
    config = root / "stacks" / "Pulumi.dev.yaml"
    config.write_text(config.read_text().replace("http://127.0.0.1:8099", emulator_url))
    return root


def step(tmp_path: Path, root: Path, bucket: Bucket, name: str, *argv: str, **extra: str):
    """One CI job step on a throw-away runner."""
    runner = tmp_path / name
    (runner / "home").mkdir(parents=True)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(runner / "home"),
        "PULUMI_HOME": str(runner / "pulumi-home"),
        "PYTHON": sys.executable,
        "CI": "true",
        "PULUMI_CONFIG_PASSPHRASE": DEMO_PASSPHRASE,  # the CI secret store's value for these stacks
        "GENESYS_FLOWS_METRICS_DIR": str(runner / "metrics"),
        "CI_SUMMARY": str(runner / "summary.md"),
        **bucket.env(),
        **extra,
    }
    env = {k: v for k, v in env.items() if v != ""}
    result = subprocess.run(
        [str(root / "scripts" / argv[0]), *argv[1:]],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return result, runner / "summary.md"


def test_deploy_then_a_pull_requests_preview_names_every_change(
    tmp_path: Path, emulator: EmulatorProcess, bucket: Bucket
):
    root = repo(tmp_path, emulator.url)
    deployed, _ = step(tmp_path, root, bucket, "merge", "ci-deploy", "up", "dev")
    assert deployed.returncode == 0, deployed.stdout[-3000:] + deployed.stderr[-3000:]
    assert sorted(f["name"] for f in Org(emulator.url).live_flows()) == ["Flow 0", "Flow 1", "Flow 2"]

    # The pull request: f0 changed, f1 removed, f3 added.
    definitions = flows(4)
    definitions["f0"]["description"] = "reviewed change"
    write_flow(root, "f0", definitions["f0"])
    (root / "flows" / "f1.yaml").unlink()
    write_flow(root, "f3", definitions["f3"])
    previewed, summary_file = step(tmp_path, root, bucket, "pr", "ci-preview", "dev")
    assert previewed.returncode == 0, previewed.stdout[-3000:] + previewed.stderr[-3000:]
    summary = summary_file.read_text()
    assert "**1** to create, **1** to update, **1** to delete" in summary
    assert (
        "- **create** `f3`" in summary and "- **update** `f0`" in summary and "- **delete** `f1`" in summary
    )
    assert "+description: reviewed change" in summary
    assert "-name: Flow 1" in summary and "+name: Flow 3" in summary
    assert "f2" not in summary  # unchanged
    assert "demo-secret" not in summary
    assert len(Org(emulator.url).live_flows()) == 3  # a preview writes nothing

    # A CI job without the passphrase from the secret store stops before anything runs.
    refused, _ = step(
        tmp_path, root, bucket, "no-secret", "ci-deploy", "up", "dev", PULUMI_CONFIG_PASSPHRASE=""
    )
    assert refused.returncode == 2 and "PULUMI_CONFIG_PASSPHRASE is not set" in refused.stderr
