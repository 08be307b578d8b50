"""Rollback and protected stacks on genesys-cloud through the real engine (issue 24), in one stack
run against the emulator process: two flows (billing-line calls the verify-caller module).

- `archctl rollback` without `--now` rewrites the definition (placeholders restored); the next `up`
  publishes it, and the one after is a no-op;
- `archctl rollback --now --reason` republishes at once through a journaled update (a targeted up),
  audited with who, which versions and why; the preview after it shows no change;
- an unpublish is named in the preview ("UNPUBLISH a live flow used by …"); with
  `protectPublished: true` the preview refuses it and the `up` refuses a deletion, each naming the
  setting, and the flow stays published; a flow registered since carries Pulumi's `protect`, so
  the preview of its removal is refused by the engine.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from emulator.testing import EmulatorProcess
from tests.support.cli import archctl_json
from tests.support.engine import make_project, open_stack, summary
from tests.support.gc_org import platform
from tests.support.state import clear_genesys_env

pytestmark = pytest.mark.engine

STACK = "gc-dev"
KEEP = ("billing-line", "verify-caller")
BROKEN = "tts: Welcome to a BROKEN billing line."


def _run(*argv: str) -> tuple[int, dict[str, Any], str]:
    run = archctl_json("rollback", *argv)  # checked against `archctl schema rollback`
    return run.code, run.doc, run.err


def _changes(result: auto.UpResult) -> dict[str, int]:
    """The changes of an up, without the unchanged resources."""
    changes = {str(getattr(k, "value", k)): v for k, v in (result.summary.resource_changes or {}).items()}
    return {k: v for k, v in changes.items() if k != "same" and v}


def test_rollback_with_and_without_now_and_a_protected_stack(
    tmp_path: Path, emulator: EmulatorProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(tmp_path)
    flows = project / "flows" / "genesys-cloud"
    for path in flows.iterdir():
        if not path.name.startswith(KEEP):
            path.unlink()
    clear_genesys_env(monkeypatch)
    monkeypatch.setenv("PULUMI_BACKEND_URL", (tmp_path / "backend").resolve().as_uri())
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GENESYS_FLOWS_PROJECT_DIR", str(project))
    monkeypatch.setenv("USER", "night-shift")
    stack = open_stack(project, tmp_path, emulator.url, STACK)
    archy = flows / "billing-line.archy.yaml"
    committed = archy.read_text()
    gc = platform(emulator.url)

    ids = {k: v["id"] for k, v in stack.up().outputs["flows"].value.items()}
    archy.write_text(committed.replace("tts: Welcome to billing.", BROKEN))
    assert _changes(stack.up()) == {"update": 1}

    # -- without --now: the definition is rewritten; the next up publishes it; the one after: no-op
    code, doc, _ = _run("--stack", STACK, "billing-line")
    assert code == 0 and [Path(p).name for p in doc["written"]] == [archy.name] and not doc["now"]
    assert f"-    {BROKEN}" in doc["diff"] and "+    tts: Welcome to billing." in doc["diff"]
    assert "{{env_label}}" in archy.read_text() and BROKEN not in archy.read_text()
    assert _changes(stack.up()) == {"update": 1}
    live = gc.read(ids["billing-line"])
    assert live is not None and "Welcome to billing." in gc.fetch_content(live.id)
    assert summary(stack.preview()) == {}

    # -- with --now: republished at once, audited; Git, the state and the org agree
    archy.write_text(archy.read_text().replace("tts: Welcome to billing.", BROKEN))
    stack.up()
    broken_version = gc.versions(ids["billing-line"])[0].id
    code, doc, _ = _run("--stack", STACK, "billing-line", "--now", "--reason", "2 a.m. outage")
    assert code == 0 and doc["now"] is True and doc["live_version"] == broken_version
    live = gc.read(ids["billing-line"])
    assert live is not None and doc["published_version"] == live.extra["publishedVersion"] != broken_version
    assert BROKEN not in gc.fetch_content(live.id) and BROKEN not in archy.read_text()
    assert summary(stack.preview()) == {}
    audit = [json.loads(line) for line in (tmp_path / "audit" / "audit.jsonl").read_text().splitlines()]
    rollbacks = [e for e in audit if e.get("event") == "rollback" and e["now"]]
    assert [e["outcome"] for e in rollbacks] == ["intent", "success"]
    assert rollbacks[-1]["by_user"] == "night-shift" and rollbacks[-1]["reason"] == "2 a.m. outage"
    assert (rollbacks[-1]["version_before"], rollbacks[-1]["version_target"]) == (
        broken_version,
        doc["target_version"],
    )
    listed = archctl_json("audit", "--flow", "billing-line", "--stack", STACK, expect=0).doc["entries"]
    assert [e["outcome"] for e in listed if e["event"] == "rollback"] == ["intent", "success"] * 2
    updates = [e for e in audit if e.get("event") == "mutation" and e.get("flow_key") == "billing-line"]
    assert updates[-1]["action"] == "update" and updates[-1]["outcome"] == "success"

    # -- an unpublish is named in the preview; a protected stack refuses it and a deletion
    definition = flows / "billing-line.yaml"
    published = definition.read_text()
    definition.write_text(published.replace("lifecycle_state: published", "lifecycle_state: draft"))
    shown = stack.preview(diff=True).stdout
    assert "UNPUBLISH a live flow used by no other flow" in shown
    stack.set_config("genesys-flows:protectPublished", auto.ConfigValue("true"))
    with pytest.raises(auto.CommandError) as refused:
        stack.preview()
    assert "genesys-flows:protectPublished" in str(refused.value) and "allow_destroy" in str(refused.value)
    definition.unlink()
    archy.unlink()
    with pytest.raises(auto.CommandError) as refused:
        stack.up()
    assert "refused to DELETE published flow 'Billing Line (dev)'" in str(refused.value)
    assert "genesys-flows:protectPublished" in str(refused.value)
    live = gc.read(ids["billing-line"])
    assert live is not None and live.lifecycle_state == "published"
    # That up registered verify-caller (published) with Pulumi's `protect`, now in the state: with
    # its definition removed, the engine itself refuses its deletion, already in preview.
    for path in flows.glob("verify-caller*"):
        path.unlink()
    with pytest.raises(auto.CommandError) as refused:
        stack.preview()
    shown = str(refused.value)
    assert 'Flow::verify-caller" cannot be deleted' in shown and "because it is protected" in shown
