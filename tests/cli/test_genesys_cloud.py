"""archctl on platform genesys-cloud against the emulator process (no `up`; the stacks are read through
the Automation API, hence the engine mark): the Archy sample set is deployed into the `dev` and
`staging` orgs straight through the platform, then export, diff, drift, graph and promotion parity
are checked — and a hand edit published in Architect breaks them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from emulator.testing import EmulatorProcess
from provider.ops import promote
from tests.support.cli import archctl, archctl_json
from tests.support.gc_org import deploy
from tests.support.project import Project, cli_project

# One org pair deployed once for the module (its own emulator process), on one worker: export and
# graph only read it; the parity-and-drift test alone edits it, last.
pytestmark = [pytest.mark.engine, pytest.mark.slow, pytest.mark.xdist_group("cli-genesys-cloud")]
STACKS = ("gc-dev", "gc-staging")


def _subs(project: Project, stack: str) -> dict[str, str]:
    config = yaml.safe_load((project.root / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    subs: dict[str, str] = config["genesys-flows:substitutions"]
    return subs


@pytest.fixture(scope="module")
def emulator(module_emulator: EmulatorProcess) -> EmulatorProcess:
    return module_emulator


@pytest.fixture(scope="module")
def gc_project(
    tmp_path_factory: pytest.TempPathFactory,
    module_monkeypatch: pytest.MonkeyPatch,
    emulator: EmulatorProcess,
) -> Project:
    project = cli_project(tmp_path_factory.mktemp("gc-cli"), module_monkeypatch, emulator.url, flows=True)
    emulator.admin.gc_set_async_delay(0.02)  # jobs and publishes finish fast: the tests time the CLI
    return project


@pytest.fixture(scope="module")
def orgs(gc_project: Project, emulator: EmulatorProcess) -> dict[str, dict[str, str]]:
    """The sample set deployed in both orgs: stack → key → flow id."""
    return {
        "gc-dev": deploy(emulator.url, "dev-rw", _subs(gc_project, "gc-dev")),
        "gc-staging": deploy(emulator.url, "staging-rw", _subs(gc_project, "gc-staging")),
    }


def _hand_edit(emulator: EmulatorProcess, org: str, flow_id: str, old: str, new: str) -> None:
    """Publish the flow's current content with `old` replaced by `new`, as an Architect user."""
    from tests.support.gc_org import platform

    gc = platform(emulator.url, f"{org}-rw")
    text = gc.fetch_content(flow_id)
    assert old in text
    emulator.admin.gc_publish_as_user(org, flow_id, text.replace(old, new), user_name="Alice Architect")


def test_export_writes_archy_files_and_definitions_that_diff_clean(
    gc_project: Project, orgs: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    out = tmp_path / "exported"
    run = archctl_json("export", "--stack", "gc-dev", "--out", str(out), expect=0)
    doc = run.doc
    assert doc["count"] == 7 and doc["failed"] == []
    assert {f["key"] for f in doc["flows"]} == set(orgs["gc-dev"])
    assert {f["id"] for f in doc["flows"]} == set(orgs["gc-dev"].values())
    main = yaml.safe_load((out / "main-ivr.yaml").read_text())
    assert main == {
        "archy": "main-ivr.archy.yaml",
        "lifecycle_state": "published",
        "references": ["billing-line", "support-line"],
    }
    assert yaml.safe_load((out / "holiday-line.yaml").read_text())["lifecycle_state"] == "draft"
    # The stack's placeholders put back (issue 19): the export deploys to any environment.
    assert "Main IVR {{env_label}}" in (out / "main-ivr.archy.yaml").read_text()
    assert doc["removed"] == [] and doc["ambiguous"] == []
    # The exported definitions folder (with gc-dev's values) against the live org: nothing differs.
    run = archctl_json("diff", str(out), "stack:gc-dev", "--stack", "gc-dev", expect=0)
    assert run.doc["identical"] and run.doc["summary"]["unchanged"] == 7
    # Exporting again rewrites nothing.
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    archctl_json("export", "--stack", "gc-dev", "--out", str(out), expect=0)
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before


def test_graph_of_the_live_org_is_derived_from_the_archy_content(
    gc_project: Project, orgs: dict[str, dict[str, str]]
) -> None:
    doc = archctl_json("graph", "--stack", "gc-dev", expect=0).doc
    edges = {(e["from"], e["to"]) for e in doc["edges"]}
    assert ("main-ivr", "billing-line") in edges and ("main-ivr", "support-line") in edges
    assert ("billing-line", "verify-caller") in edges and ("support-line", "verify-caller") in edges
    assert "f_main_ivr" in doc["text"]
    # The definitions folder draws the same graph.
    defs = archctl_json("graph", str(gc_project.root / "flows" / "genesys-cloud"), expect=0).doc
    assert {(e["from"], e["to"]) for e in defs["edges"]} == edges


def test_parity_and_drift_are_clean_then_hand_edits_break_them(
    gc_project: Project, orgs: dict[str, dict[str, str]], emulator: EmulatorProcess
) -> None:
    """The module's last test: it edits both orgs (staging for parity, then dev for drift)."""
    # Names, descriptions and Archy text differ only by each stack's substitutions: parity.
    result = promote.parity("gc-dev", "gc-staging", flows_dir=None)
    assert result.identical and result.unchanged == 7, result.render()
    run = archctl_json("diff", "stack:gc-dev", "stack:gc-staging", expect=0)
    assert run.doc["identical"]
    # Without undoing the substitutions, every flow differs.
    raw = archctl_json("diff", "stack:gc-dev", "stack:gc-staging", "--raw", expect=1)
    assert raw.doc["summary"]["changed"] == 7

    _hand_edit(emulator, "staging", orgs["gc-staging"]["support-line"], "tts:", "tts: Edited by hand.")
    result = promote.parity("gc-dev", "gc-staging", flows_dir=None)
    assert not result.identical
    assert [(f.key, [c.kind for c in f.changes]) for f in result.flows] == [("support-line", ["content"])]
    assert "Edited by hand." in result.render()
    run = archctl_json("diff", "stack:gc-dev", "stack:gc-staging", expect=1)
    changed: list[dict[str, Any]] = run.doc["flows"]
    assert [f["key"] for f in changed] == ["support-line"]

    # -- drift of gc-dev: clean, then an Architect publish is named
    run = archctl_json("drift", "--stack", "gc-dev", expect=0)
    assert run.doc["drift"] is False
    _hand_edit(emulator, "dev", orgs["gc-dev"]["billing-line"], "Billing Line (dev)", "Billing Line (dev)")
    _hand_edit(emulator, "dev", orgs["gc-dev"]["vip-line"], "To the main IVR", "To the main IVR edited")
    run = archctl_json("drift", "--stack", "gc-dev", expect=1)
    flows = {f["key"]: f for f in run.doc["diff"]["flows"]}
    assert set(flows) == {"vip-line"}  # a publish of the same content is no content drift
    assert [c["kind"] for c in flows["vip-line"]["changes"]] == ["content"]
    assert {p["key"]: p["published_by"] for p in run.doc["published"]} == {"vip-line": "Alice Architect"}
    human = archctl("drift", "--stack", "gc-dev")
    assert human.code == 1
    assert "archy content:" in human.out and "To the main IVR edited" in human.out
    assert "published by Alice Architect" in human.out
