"""archctl import and promote on genesys-cloud through the real engine and the emulator process:
adopt an org's flows (then a no-change preview), and promote gc-dev → gc-staging with parity — and a
hand edit published in Architect that breaks it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pulumi import automation as auto

from emulator.testing import DEMO_CLIENTS, EmulatorProcess
from tests.support.cli import archctl, archctl_json
from tests.support.gc_org import deploy, platform
from tests.support.project import Project, cli_project

pytestmark = [pytest.mark.engine, pytest.mark.slow]


def _subs(project: Project, stack: str) -> dict[str, str]:
    config = yaml.safe_load((project.root / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    subs: dict[str, str] = config["genesys-flows:substitutions"]
    return subs


@pytest.fixture
def gc_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: EmulatorProcess) -> Project:
    project = cli_project(tmp_path, monkeypatch, emulator.url, flows=True)
    emulator.admin.gc_set_async_delay(0.02)
    for name in ("gc-dev", "gc-staging"):
        project.stack(name).set_config("genesys-flows:apiUrl", auto.ConfigValue(emulator.url))
    return project


def test_import_adopts_the_org_then_preview_shows_no_changes(
    gc_project: Project, emulator: EmulatorProcess, tmp_path: Path
) -> None:
    ids = deploy(emulator.url, "dev-rw", _subs(gc_project, "gc-dev"))
    seq = len(emulator.admin.stats()["write_log"])
    run = archctl_json("import", "--stack", "gc-dev", expect=0)
    assert {r["key"]: r["id"] for r in run.doc["imported"]} == ids
    assert run.doc["not_in_org"] == [] and run.doc["unmatched_live"] == []
    assert all(v == 0 for k, v in run.doc["preview_changes"].items() if k != "same")
    stack = gc_project.stack("gc-dev")
    stack.preview(expect_no_changes=True)
    # Adopting changes no flow: the only writes are the export jobs that read the content.
    later = emulator.admin.stats()["write_log"][seq:]
    assert all("export" in w["path"] for w in later), later
    raw_state = (tmp_path / "backend" / ".pulumi" / "stacks" / "genesys-flows" / "gc-dev.json").read_text()
    assert DEMO_CLIENTS["dev-rw"] not in raw_state
    assert archctl_json("drift", "--stack", "gc-dev", expect=0).doc["drift"] is False


def test_promotion_gc_dev_to_gc_staging_with_parity_then_a_hand_edit_breaks_it(
    gc_project: Project, emulator: EmulatorProcess
) -> None:
    gc_project.stack("gc-dev").up()
    run = archctl_json("promote", "gc-dev", "gc-staging", expect=0)
    assert run.doc["promoted"] and run.doc["parity"]["identical"]
    assert run.doc["parity"]["summary"]["unchanged"] == 7
    assert run.doc["up"]["resource_changes"] == {"create": 8}

    staging = platform(emulator.url, "staging-rw")
    flow = next(f for f in staging.list_flows() if f.name == "Support Line (staging)")
    text = staging.fetch_content(flow.id)
    emulator.admin.gc_publish_as_user("staging", flow.id, text.replace("tts:", "tts: Edited by hand.", 1))

    diff = archctl_json("diff", "stack:gc-dev", "stack:gc-staging", expect=1)
    [changed] = diff.doc["flows"]
    assert changed["key"] == "support-line" and [c["kind"] for c in changed["changes"]] == ["content"]
    again = archctl("promote", "gc-dev", "gc-staging", "--skip-source-check")
    assert again.code == 1
    assert "parity gc-dev ≠ gc-staging" in again.out and "Edited by hand." in again.out
    drift = archctl_json("drift", "--stack", "gc-staging", expect=1)
    [published] = drift.doc["published"]
    assert published["key"] == "support-line" and published["published_by"] == "Alice Architect"
    # The version pointers moved since the stack's state recorded them (a publish in Architect).
    assert published["state_revision"] and published["state_revision"] != published["revision"]
    human = archctl("drift", "--stack", "gc-staging")
    assert "published by Alice Architect (version pointers" in human.out
