"""Expected failures, as a user sees them: the whole output of the `pulumi` CLI (preview, up, and up
--continue-on-error) against the emulator holds one error per failed flow and nothing else — no
traceback, no "unhandled exception", no "Program exited with non-zero exit code" — and a run that
went on past failures ends with the list of them (the engine's Diagnostics, one entry per flow)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from emulator.testing import EmulatorProcess
from provider.ops.engine import tools_bin
from tests.support.bad_definitions import bad_flow
from tests.support.engine import FLOWS, Org, engine_env, make_project, open_stack
from tests.support.project import write_flow

pytestmark = pytest.mark.engine

NOISE = (
    "Traceback",
    "provider traceback",
    "unhandled",
    "Program exited with non-zero exit code",
    "Program failed",
    "ResourceRegistrationFailed",
)


def pulumi(project: Path, root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it (stdout and stderr together, as a terminal shows them)."""
    return subprocess.run(
        [str(tools_bin() / "pulumi"), *args, "--stack", "dev", "--non-interactive"],
        cwd=project,
        env=engine_env(root),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
        check=False,
    )


def diagnostics(output: str) -> dict[str, list[str]]:
    """The `Diagnostics:` section: per resource (its name), its error lines."""
    section = output.split("Diagnostics:", 1)[1] if "Diagnostics:" in output else ""
    section = re.split(r"\n(?:Outputs|Resources):", section, maxsplit=1)[0]
    out: dict[str, list[str]] = {}
    current = ""
    for line in section.splitlines():
        header = re.match(r"\s{2}(\S+) \(([^)]+)\):$", line)
        if header:
            current = header.group(2)
            out.setdefault(current, [])
        elif line.strip().startswith("error:"):
            out.setdefault(current, []).append(line.strip())
    return {name: errors for name, errors in out.items() if errors}


def quiet(output: str) -> None:
    for noise in NOISE:
        assert noise not in output, f"{noise!r} in:\n{output}"


def test_expected_failures_print_one_error_per_failed_flow(tmp_path: Path, emulator: EmulatorProcess):
    flows = {
        "taken": bad_flow("Taken Flow"),  # its name exists in the org already: refused
        "user": bad_flow("User Flow", refs=["taken"]),  # references the refused flow
        "other": bad_flow("Other Flow"),
    }
    project = make_project(tmp_path, flows)
    open_stack(project, tmp_path, emulator.url)  # the stack, pointed at the emulator

    # preview: a definition the pre-check refuses
    write_flow(project, "broken", {**bad_flow("Broken"), "lifecycle_state": "sometimes"})
    preview = pulumi(project, tmp_path, "preview")
    assert preview.returncode != 0
    quiet(preview.stdout)
    assert preview.stdout.count("flow 'broken'") == 1, preview.stdout  # the problem, once
    assert diagnostics(preview.stdout) == {
        "genesys-flows-dev": diagnostics(preview.stdout)["genesys-flows-dev"]
    }
    (project / "flows" / "broken.yaml").unlink()

    org = Org(emulator.url)
    taken = org.session.post(
        f"{emulator.url}{FLOWS}",
        json={"name": "Taken Flow", "type": "COMMONMODULE", "lifecycle_state": "draft"},
        timeout=10,
    )
    assert taken.status_code == 201

    # up: the first failure stops the run
    up = pulumi(project, tmp_path, "up", "--yes")
    assert up.returncode != 0
    quiet(up.stdout)
    errors = diagnostics(up.stdout)
    assert sorted(errors) == ["genesys-flows-dev", "taken"], up.stdout
    assert len(errors["taken"]) == 1 and "already exists" in errors["taken"][0]
    # The stack's only line is the engine's own verdict (deploymentExecutor.reportExecResult).
    assert errors["genesys-flows-dev"] == ["error: update failed"]

    # up --continue-on-error: the others go on; the dependent is refused once; the summary at the end
    went_on = pulumi(project, tmp_path, "up", "--yes", "--continue-on-error")
    assert went_on.returncode != 0
    quiet(went_on.stdout)
    errors = diagnostics(went_on.stdout)
    assert sorted(errors) == ["genesys-flows-dev", "taken", "user"], went_on.stdout
    assert all(len(lines) == 1 for lines in errors.values()), errors
    assert errors["genesys-flows-dev"] == ["error: update failed"]  # the engine's verdict
    assert "references 'taken', which failed" in errors["user"][0]
    closing = went_on.stdout.split("Diagnostics:", 1)[1]  # the run ends with the failed flows
    assert "Flow (taken):" in closing and "Flow (user):" in closing
    assert "2 of 3 flow(s) not deployed, each with its one error: taken, user" in closing
    names = sorted(f["name"] for f in org.live_flows())
    assert names == ["Other Flow", "Taken Flow"]  # deployed: the independent one; nothing else written
