"""archctl import and promote on genesys-cloud through the real engine and the emulator process:
adopt an org's flows (then a no-change preview), and promote gc-dev → gc-staging with parity — and a
hand edit published in Architect that breaks it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

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
    return project


def test_import_adopts_the_org_then_promotion_to_gc_staging_with_parity_then_a_hand_edit_breaks_it(
    gc_project: Project, emulator: EmulatorProcess, tmp_path: Path
) -> None:
    """gc-dev adopted by import (no change, no write but export jobs) is the promotion's source."""
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

    # -- promotion gc-dev → gc-staging from the adopted stack, with parity
    run = archctl_json("promote", "gc-dev", "gc-staging", "--yes", expect=0)
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
    again = archctl("promote", "gc-dev", "gc-staging", "--yes", "--skip-source-check")
    assert again.code == 1
    # The promotion's up refreshes: the Architect edit is noticed, and refused under `fail`
    # naming who made it (before issue 22 the up saw nothing and only the parity check failed).
    assert "Alice Architect" in again.err and "changed outside this stack" in again.err
    drift = archctl_json("drift", "--stack", "gc-staging", expect=1)
    [published] = drift.doc["published"]
    assert published["key"] == "support-line" and published["published_by"] == "Alice Architect"
    # The version pointers moved since the stack's state recorded them (a publish in Architect).
    assert published["state_revision"] and published["state_revision"] != published["revision"]
    human = archctl("drift", "--stack", "gc-staging")
    assert "published by Alice Architect (version pointers" in human.out


def _files(directory: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(directory.iterdir())}


def test_import_writes_definitions_for_live_flows_without_one_then_adopts_them(
    gc_project: Project, emulator: EmulatorProcess
) -> None:
    """Flows made in the org (not by this stack) with no definition: import exports their Archy,
    writes `<key>.archy.yaml` + `<key>.yaml` (keys: slugs of the live names), adopts every flow, and
    the next preview shows no change; the only writes to the org are the export jobs."""
    ids = deploy(emulator.url, "dev-rw", _subs(gc_project, "gc-dev"))
    folder = gc_project.root / "flows" / "genesys-cloud"
    for key in ("main-ivr", "support-line", "verify-caller"):  # the org has them; the folder no more
        (folder / f"{key}.yaml").unlink()
        (folder / f"{key}.archy.yaml").unlink()
    seq = len(emulator.admin.stats()["write_log"])

    run = archctl_json("import", "--stack", "gc-dev", expect=0)

    renamed = {
        "main-ivr": "main-ivr-dev",
        "support-line": "support-line-dev",
        "verify-caller": "verify-caller-dev",
    }
    expected = {renamed.get(k, k): flow_id for k, flow_id in ids.items()}
    assert {r["key"]: r["id"] for r in run.doc["imported"]} == expected
    assert sorted(Path(p).name for p in run.doc["written"]) == sorted(
        f"{k}{suffix}" for k in renamed.values() for suffix in (".yaml", ".archy.yaml")
    )
    assert [u.split(" ")[0] for u in run.doc["unmatched_live"]] == sorted(renamed.values())
    assert run.doc["problems"] == [] and run.doc["not_in_org"] == []
    assert all(v == 0 for k, v in run.doc["preview_changes"].items() if k != "same")
    main = yaml.safe_load((folder / "main-ivr-dev.yaml").read_text())
    assert main == {
        "archy": "main-ivr-dev.archy.yaml",
        "lifecycle_state": "published",
        "references": ["billing-line", "support-line-dev"],
    }
    # The exported text with the stack's placeholders put back (issue 19): any environment deploys it.
    assert "name: Main IVR {{env_label}}" in (folder / "main-ivr-dev.archy.yaml").read_text()
    later = emulator.admin.stats()["write_log"][seq:]
    assert later and all("export" in w["path"] for w in later), later

    seq = len(emulator.admin.stats()["write_log"])
    gc_project.stack("gc-dev").preview(expect_no_changes=True)
    assert emulator.admin.stats()["write_log"][seq:] == []
    assert run.doc["kept_files"] == [f"{k}.yaml" for k in sorted(set(ids) - set(renamed))]
    # Again with --overwrite: nothing left to adopt, and no definition differs from its live flow, so
    # every file (placeholders and all) is kept.
    before = _files(folder)
    again = archctl_json("import", "--stack", "gc-dev", "--overwrite", expect=0)
    assert again.doc["imported"] == [] and again.doc["written"] == []
    assert sorted(again.doc["already_managed"]) == sorted(expected)
    assert _files(folder) == before


def test_import_with_a_problem_in_the_exported_set_writes_and_imports_nothing(
    gc_project: Project, emulator: EmulatorProcess
) -> None:
    """A live flow with no definition whose content transfers to a flow the org does not have: the
    set as it would be fails the pre-check, so no file is written and the state stays empty."""
    ids = deploy(emulator.url, "dev-rw", _subs(gc_project, "gc-dev"))
    folder = gc_project.root / "flows" / "genesys-cloud"
    for key in ("main-ivr", "support-line"):
        (folder / f"{key}.yaml").unlink()
        (folder / f"{key}.archy.yaml").unlink()
    gc = platform(emulator.url, "dev-rw")
    text = gc.fetch_content(ids["main-ivr"])
    broken = text.replace("name: Billing Line (dev)", "name: Nowhere Line (dev)", 1)
    assert broken != text
    emulator.admin.gc_publish_as_user("dev", ids["main-ivr"], broken)
    before = _files(folder)

    run = archctl_json("import", "--stack", "gc-dev", expect=1)

    assert run.doc["imported"] == [] and run.doc["written"] == [] and not run.doc["ok"]
    [problem] = run.doc["problems"]
    assert problem.startswith("flow 'main-ivr-dev'") and "Nowhere Line (dev)" in problem, problem
    assert "architect.flow.reference.unknown" in problem, problem
    assert _files(folder) == before
    assert gc_project.stack("gc-dev").export_stack().deployment.get("resources") in (None, [])
