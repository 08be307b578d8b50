"""A throw-away copy of the project (program, stacks, flows) on a temp backend, for the E2E tests of
the governance commands through the real Pulumi engine."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from provider.deploy import workspace
from provider.deploy.engine import PROJECT_DIR

from .conftest import clear_genesys_env


@dataclass
class Project:
    root: Path
    metrics_dir: Path
    audit_log: Path

    def stack(self, name: str):
        return workspace.stack(name, self.root, create=True)


def make_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator_url: str, *, flows: bool
) -> Project:
    root = tmp_path / "project"
    (root / "stacks").mkdir(parents=True)
    text = (PROJECT_DIR / "Pulumi.yaml").read_text()
    (root / "Pulumi.yaml").write_text(text.replace("virtualenv: .venv", f"virtualenv: {sys.prefix}"))
    shutil.copy(PROJECT_DIR / "__main__.py", root / "__main__.py")
    for path in (PROJECT_DIR / "stacks").glob("Pulumi.*.yaml"):
        shutil.copy(path, root / "stacks" / path.name)
    if flows:
        shutil.copytree(PROJECT_DIR / "flows", root / "flows")
    else:
        (root / "flows").mkdir()
    for var in ("PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE_FILE", "PULUMI_ACCESS_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    clear_genesys_env(monkeypatch)
    (tmp_path / "backend").mkdir()
    monkeypatch.setenv("PULUMI_BACKEND_URL", (tmp_path / "backend").resolve().as_uri())
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GENESYS_FLOWS_PROJECT_DIR", str(root))
    project = Project(root, tmp_path / "metrics", tmp_path / "audit" / "audit.jsonl")
    monkeypatch.setenv("GENESYS_FLOWS_METRICS_DIR", str(project.metrics_dir))
    monkeypatch.setenv("GENESYS_FLOWS_AUDIT_LOG", str(project.audit_log))
    from pulumi import automation as auto

    for name in ("dev", "staging", "prod"):
        project.stack(name).set_config("genesys-flows:apiUrl", auto.ConfigValue(emulator_url))
    return project
