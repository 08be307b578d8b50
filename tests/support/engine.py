"""Helpers for the engine tests: a temp copy of the project driven through the Automation API
(local file backend and PULUMI_HOME in the temp dir), pointed at a test emulator, and small readers
of the emulator's statistics and the org's flows."""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import yaml
from pulumi import automation as auto

from emulator.testing import DEMO_CLIENTS, EmulatorProcess, get_token
from provider.ops.engine import offline_env, pulumi_command
from tests.support.project import copy_project

NS = "genesys-flows"
API = "/api/v2/architect"
FLOWS = f"{API}/flows"
FLOW = f"{API}/flows/{{flowId}}"


def make_project(root: Path, flows: dict[str, Any] | None = None) -> Path:
    """A copy of the project in `root/project` (see `tests.support.project.copy_project`)."""
    return copy_project(root / "project", flows)


def read_flow(project: Path, key: str) -> dict[str, Any]:
    data = yaml.safe_load((project / "flows" / f"{key}.yaml").read_text())
    assert isinstance(data, dict)
    return data


def engine_env(root: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "GENESYSCLOUD_"))}
    return offline_env(backend_dir=root / "backend", pulumi_home=root / "home", base=base)


def open_stack(project: Path, root: Path, emulator_url: str, stack_name: str = "dev") -> auto.Stack:
    """The stack `stack_name` of the copy in `project` on the backend under `root`, pointed at the
    emulator. One CLI run: the settings go into the copy's stack file (what `pulumi config set-all`
    would write there), and a fresh backend's stack is created without a failed `select` first."""
    env = engine_env(root)
    opts = auto.LocalWorkspaceOptions(
        pulumi_command=pulumi_command(), pulumi_home=env["PULUMI_HOME"], env_vars=env
    )
    values = {
        f"{NS}:apiUrl": emulator_url,
        f"{NS}:metricsDir": str(root / "metrics"),
        f"{NS}:auditLog": str(root / "audit" / "audit.jsonl"),
    }
    config_file = project / "stacks" / f"Pulumi.{stack_name}.yaml"
    if config_file.exists():
        data = yaml.safe_load(config_file.read_text())
        data.setdefault("config", {}).update(values)
        config_file.write_text(yaml.safe_dump(data, sort_keys=False))
    try:
        stack = auto.create_stack(stack_name=stack_name, work_dir=str(project), opts=opts)
    except auto.StackAlreadyExistsError:
        stack = auto.select_stack(stack_name=stack_name, work_dir=str(project), opts=opts)
    if not config_file.exists():  # a stack of no file of the project's: the CLI writes one
        stack.set_all_config({k: auto.ConfigValue(v) for k, v in values.items()})
    return stack


def raw_export(project: Path, root: Path, stack_name: str = "dev") -> str:
    """`pulumi stack export` as stored (secrets encrypted; the Automation API's export decrypts)."""
    from provider.ops.engine import tools_bin

    result = subprocess.run(
        [str(tools_bin() / "pulumi"), "stack", "export", "--stack", stack_name],
        cwd=project,
        env=engine_env(root),
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


@dataclass
class Calls:
    """What the emulator saw between two snapshots of its statistics."""

    total: int
    writes: int
    rate_limited: int
    by_route: Counter[tuple[str, str]]
    by_status: Counter[tuple[str, str, int]]
    write_log: list[dict[str, Any]]

    def count(self, method: str, path: str = FLOW) -> int:
        return self.by_route[(method, path)]


class Meter:
    """Counts the emulator's requests made during a `with` block."""

    def __init__(self, emulator: EmulatorProcess) -> None:
        self.emulator = emulator
        self.calls: Calls | None = None

    def __enter__(self) -> Meter:
        self._before = self.emulator.admin.stats()
        return self

    def __exit__(self, *exc: object) -> None:
        after = self.emulator.admin.stats()
        self.calls = diff_stats(self._before, after)

    @property
    def result(self) -> Calls:
        assert self.calls is not None
        return self.calls


def diff_stats(before: dict[str, Any], after: dict[str, Any]) -> Calls:
    def counter(stats: dict[str, Any]) -> Counter[tuple[str, str, int]]:
        return Counter({(r["method"], r["path"], r["status"]): r["count"] for r in stats["requests"]})

    by_status = counter(after)
    by_status.subtract(counter(before))
    by_status = Counter({k: v for k, v in by_status.items() if v})
    by_route: Counter[tuple[str, str]] = Counter()
    for (method, path, _status), count in by_status.items():
        by_route[(method, path)] += count
    last_seq = max((w["seq"] for w in before["write_log"]), default=0)
    return Calls(
        total=after["total_requests"] - before["total_requests"],
        writes=after["writes"] - before["writes"],
        rate_limited=after["rate_limited"] - before["rate_limited"],
        by_route=by_route,
        by_status=by_status,
        write_log=[w for w in after["write_log"] if w["seq"] > last_seq],
    )


class Org:
    """Another client of the org (the `someone else` of the tests), over plain HTTP."""

    def __init__(self, url: str, client_id: str = "dev-rw") -> None:
        self.url = url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {get_token(url, client_id, DEMO_CLIENTS[client_id])}"

    def get(self, flow_id: str) -> requests.Response:
        return self.session.get(f"{self.url}{FLOWS}/{flow_id}", timeout=10)

    def flow(self, flow_id: str) -> dict[str, Any]:
        response = self.get(flow_id)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def patch(self, flow_id: str, **fields: Any) -> dict[str, Any]:
        current = self.flow(flow_id)
        response = self.session.patch(
            f"{self.url}{FLOWS}/{flow_id}",
            json={"_version": current["_version"], **fields},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    def live_flows(self) -> list[dict[str, Any]]:
        response = self.session.get(f"{self.url}{FLOWS}", params={"pageSize": 500}, timeout=10)
        response.raise_for_status()
        entities: list[dict[str, Any]] = response.json()["entities"]
        return entities


def flow_ids(result: auto.UpResult | auto.OutputMap) -> dict[str, str]:
    outputs = result.outputs if isinstance(result, auto.UpResult) else result
    return {key: value["id"] for key, value in outputs["flows"].value.items()}


def summary(preview: auto.PreviewResult) -> dict[str, int]:
    """The change summary without the `same` entries, as plain strings."""
    out = {str(getattr(k, "value", k)): v for k, v in preview.change_summary.items() if v}
    out.pop("same", None)
    return out
