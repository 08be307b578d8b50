"""A throw-away copy of the project (program, stacks, flows): `copy_project` (the one copy every
engine test uses) and `cli_project` (a copy on a temp backend with the process environment pointed
at it and every stack at the test's emulator, for the commands run in-process)."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from provider.ops import workspace
from provider.ops.engine import PROJECT_DIR
from tests.support.state import clear_genesys_env


@dataclass
class Project:
    root: Path
    metrics_dir: Path
    audit_log: Path

    def stack(self, name: str):
        return workspace.stack(name, self.root, create=True)


def copy_project(project: Path, flows: dict[str, Any] | None = None) -> Path:
    """A copy of the project (program, stacks, flows) in `project`; `flows` (key → definition
    mapping) replaces the sample set. The virtualenv is this interpreter's."""
    project.mkdir(parents=True)
    text = (PROJECT_DIR / "Pulumi.yaml").read_text()
    (project / "Pulumi.yaml").write_text(text.replace("virtualenv: .venv", f"virtualenv: {sys.prefix}"))
    shutil.copy(PROJECT_DIR / "__main__.py", project / "__main__.py")
    shutil.copytree(PROJECT_DIR / "stacks", project / "stacks")
    if flows is None:
        shutil.copytree(PROJECT_DIR / "flows", project / "flows")
    else:
        (project / "flows").mkdir()
        for key, definition in flows.items():
            write_flow(project, key, definition)
    return project


def write_flow(project: Path, key: str, definition: dict[str, Any]) -> None:
    (project / "flows" / f"{key}.yaml").write_text(yaml.safe_dump(definition, sort_keys=False))


def cli_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator_url: str, *, flows: bool
) -> Project:
    root = copy_project(tmp_path / "project", flows=None if flows else {})
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
    point_stacks_at(root, emulator_url)
    return project


def point_stacks_at(root: Path, url: str) -> None:
    """Every stack file of the copy at the emulator `url`: its apiUrl line rewritten in place, as
    `pulumi config set` would write it, without a CLI run per stack (stacks are created in the
    backend on first use, as `archctl` and `project.stack` do)."""
    for path in sorted((root / "stacks").glob("Pulumi.*.yaml")):
        text = path.read_text()
        lines = [line for line in text.splitlines() if line.startswith("  genesys-flows:apiUrl:")]
        assert len(lines) <= 1, path
        if lines:
            path.write_text(text.replace(lines[0], f"  genesys-flows:apiUrl: {url}"))
