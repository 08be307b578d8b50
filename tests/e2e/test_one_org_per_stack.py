"""One org per stack, from real checkouts (temp copies of the project) through the commands a user
types: `scripts/up` (`make deploy`), `archctl --stack …`, `scripts/pulumi …`.

- Two checkouts, each with its emulator on its own port: every command of each reaches its own
  emulator (their flows, their ids); a checkout pointed at the other's emulator stops with "this is
  not the org this stack was deployed to" instead of reporting every flow missing.
- A stack on a real region (no `platform`) takes `scripts/pulumi config set` before its first deploy,
  starts no emulator, and without a network its preview fails at once saying so (the org check);
  offline (`GENESYS_FLOWS_OFFLINE=1`) it plans on genesys-cloud and fails with one error per flow,
  no traceback.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from tests.support.bad_definitions import bad_flow
from tests.support.checkout import checkout, free_port, run, stop_emulator

pytestmark = [pytest.mark.engine, pytest.mark.slow]

NOISE = ("Traceback", "provider traceback", "unhandled", "Program exited with non-zero exit code")


def archctl(root: Path, *argv: str) -> tuple[int, dict]:
    done = run(root, ".venv/bin/python", "-m", "provider.cli", *argv, "--json")
    text = done.stdout
    return done.returncode, json.loads(text[text.index("{") :])  # progress lines come first


def test_two_checkouts_each_reach_their_own_emulator(tmp_path: Path):
    a, b = checkout(tmp_path / "a"), checkout(tmp_path / "b")
    for root in (a, b):  # a small set keeps the engine runs short
        shutil.rmtree(root / "flows")
        (root / "flows").mkdir()
        for key, flow in {
            "greeting": bad_flow("Greeting"),
            "menu": bad_flow("Menu", refs=["greeting"]),
        }.items():
            (root / "flows" / f"{key}.yaml").write_text(yaml.safe_dump(flow))
    try:
        for root in (a, b):
            up = run(root, "scripts/up", "dev", EMULATOR_PORT=str(free_port()))
            assert up.returncode == 0, up.stdout[-3000:]
            assert "3 created" in up.stdout
        port = {root: (root / ".emulator" / "port").read_text().strip() for root in (a, b)}
        assert port[a] != port[b]

        ids: dict[Path, dict[str, str]] = {}
        for root in (a, b):
            # archctl --stack (every command resolves the stack's org through sources.stack_info)
            code, drift = archctl(root, "drift", "--stack", "dev")
            assert code == 0 and drift["drift"] is False, drift  # its state's flows, all there
            code, export = archctl(root, "export", "--stack", "dev", "--out", str(root / "snap"))
            assert code == 0, export
            ids[root] = {f["key"]: f["id"] for f in export["flows"]}
            assert sorted(ids[root]) == ["greeting", "menu"]
            # A hand-run pulumi reads each flow from this checkout's emulator: nothing changed.
            refresh = run(root, "scripts/pulumi", "refresh", "--preview-only", "--stack", "dev")
            assert refresh.returncode == 0 and "3 unchanged" in refresh.stdout, refresh.stdout[-3000:]
        assert not set(ids[a].values()) & set(ids[b].values())  # two orgs, two sets of flows

        # a's emulator code changes (a `git pull`): the next `make deploy` restarts it on the same
        # port and data instead of using the old routes; nothing to deploy.
        pid = (a / ".emulator" / "emulator.pid").read_text().strip()
        with (a / "emulator" / "org_objects.yaml").open("a") as fh:
            fh.write("\n# changed by a pull\n")
        up = run(a, "scripts/up", "dev")
        assert up.returncode == 0, up.stdout[-3000:]
        assert "runs older code: restarting it (data kept)" in up.stdout
        assert "3 unchanged" in up.stdout and (a / ".emulator" / "port").read_text().strip() == port[a]
        assert (a / ".emulator" / "emulator.pid").read_text().strip() != pid
        code, drift = archctl(a, "drift", "--stack", "dev")  # the data kept: the same flows, unchanged
        assert code == 0 and drift["drift"] is False, drift

        # b's commands pointed at a's emulator: the state's flows are not there.
        (b / ".emulator" / "port").write_text(port[a] + "\n")
        code, wrong = archctl(b, "drift", "--stack", "dev")
        assert code == 2 and "this is not the org this stack was deployed to" in wrong["error"]["message"]
    finally:
        stop_emulator(a)
        stop_emulator(b)


def test_a_real_region_stack_plans_on_genesys_cloud_and_fails_fast_without_a_network(tmp_path: Path):
    root = checkout(tmp_path / "c")
    stack = yaml.safe_load((root / "stacks" / "Pulumi.gc-dev.yaml").read_text())
    config = stack["config"]
    for key in ("genesys-flows:platform", "genesys-flows:apiUrl"):
        config.pop(key)
    config["genesys-flows:region"] = "eu-west-1"  # as the README says for your own org: no platform
    (root / "stacks" / "Pulumi.eu.yaml").write_text(yaml.safe_dump(stack, sort_keys=False))

    # `pulumi config set` on a stack whose file exists, before its first deploy
    config_set = run(
        root, "scripts/pulumi", "config", "set", "genesys-flows:clientId", "my-client", "--stack", "eu"
    )
    assert config_set.returncode == 0, config_set.stdout
    assert (
        yaml.safe_load((root / "stacks" / "Pulumi.eu.yaml").read_text())["config"]["genesys-flows:clientId"]
        == "my-client"
    )

    # The preview talks to the org first (issue 23): without a network it stops before any flow is
    # registered, with one message saying so and how to preview offline.
    up = run(root, "scripts/up", "eu")
    output = up.stdout
    assert up.returncode != 0
    assert "stack eu: Genesys Cloud (the real flows API) at region eu-west-1 (no emulator started)" in output
    assert not (root / ".emulator" / "emulator.pid").exists() and "emulator listens" not in output
    assert "cannot resolve host 'login.mypurecloud.ie': no network or DNS" in output
    assert "GENESYS_FLOWS_OFFLINE=1" in output
    assert "pulumi-python:dynamic/architect:Flow" not in output
    for noise in NOISE:
        assert noise not in output, output

    # Offline, the plan is made without the org and every flow fails at its write, each naming why.
    up = run(root, "scripts/up", "eu", GENESYS_FLOWS_OFFLINE="1")
    output = up.stdout
    assert up.returncode != 0
    assert "cannot resolve host 'login.mypurecloud.ie': no network or DNS" in output
    assert "pulumi-python:dynamic/architect:Flow" in output and "/api/v2/architect" not in output
    for noise in NOISE:
        assert noise not in output, output
    # Every flow is accounted for: each that failed (all 7: no token) is named by one error, the
    # ones referencing a failed flow included; the stack has the engine's verdict and the summary
    # (in the last Diagnostics: the update's, after the preview's).
    section = output.rsplit("Diagnostics:", 1)[1].split("Resources:", 1)[0]
    errors = [line.strip() for line in section.splitlines() if line.strip().startswith("error:")]
    flows = [e for e in errors if e.startswith("error: flow '")]
    assert sorted(set(errors) - set(flows)) == ["error: update failed"], section
    failed = re.findall(r"\n {2}pulumi-python:dynamic/architect:Flow \(([^)]+)\):", section)
    assert len(failed) == len(set(failed)) == len(flows) == 7, section
    assert "7 of 7 flow(s) not deployed, each with its one error" in section
