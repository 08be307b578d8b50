"""Through the real engine: metrics and audit of an `up` against the emulator's own records, and
promotion dev → staging → prod with parity; a hand edit in staging breaks parity, visibly."""

from __future__ import annotations

import io
import json

import pytest

from emulator.testing import DEMO_CLIENTS
from provider.governance import metrics
from provider.platforms.architecture_api.client import ArchitectClient
from tests.support.cli import archctl, archctl_json
from tests.support.project import cli_project
from tests.support.state import demo_settings

pytestmark = [pytest.mark.engine, pytest.mark.slow]


def _keys(project) -> list[str]:
    return sorted(p.stem for p in (project.root / "flows").glob("*.yaml"))


def test_metrics_and_audit_of_an_up_match_the_emulator(emulator, tmp_path, monkeypatch) -> None:
    project = cli_project(tmp_path, monkeypatch, emulator.url, flows=True)
    keys = _keys(project)
    dev = project.stack("dev")
    emulator.admin.reset()

    up = dev.up()
    assert up.summary.resource_changes == {"create": len(keys) + 1}

    # -- metrics of the provider process == the emulator's statistics of the same run
    stats = emulator.admin.stats()
    merged = metrics.load(project.metrics_dir, "dev")["dev"].to_json(samples=False)
    theirs = {(r["method"], r["path"], str(r["status"])): r["count"] for r in stats["requests"]}
    mine = {(r["method"], r["path"], r["status"]): r["count"] for r in merged["requests"]}
    assert mine == theirs
    assert merged["total_requests"] == stats["total_requests"]
    assert {(m["action"], m["outcome"]): m["count"] for m in merged["mutations"]} == {
        ("create", "success"): len(keys)
    }
    assert (project.metrics_dir / "dev.prom").exists() and (project.metrics_dir / "dev.json").exists()
    shown = archctl_json("metrics", "--stack", "dev", "--dir", str(project.metrics_dir), expect=0)
    assert shown.doc["stacks"][0]["total_requests"] == stats["total_requests"]

    # -- one audit entry per write the emulator saw, none with a secret
    lines = [json.loads(line) for line in project.audit_log.read_text().splitlines()]
    entries = [e for e in lines if e["event"] == "mutation"]  # around each: its intent and outcome
    events = [e["event"] for e in lines]
    assert events.count("intent") == events.count("intent_outcome") == len(keys)
    writes = stats["write_log"]
    assert len(entries) == len(writes) == len(keys)
    assert sorted(e["flow_id"] for e in entries) == sorted(w["flow_id"] for w in writes)
    assert {e["flow_key"] for e in entries} == set(keys)
    assert all(
        e["stack"] == "dev" and e["client_id"] == "dev-rw" and e["action"] == "create" for e in entries
    )
    assert DEMO_CLIENTS["dev-rw"] not in project.audit_log.read_text()
    audit = archctl_json("audit", "--flow", "main-ivr", expect=0)
    assert [e["event"] for e in audit.doc["entries"]] == ["intent", "mutation", "intent_outcome"]
    assert [e.get("outcome") for e in audit.doc["entries"]][1:] == ["success", "success"]

    # -- validate, graph and drift of the sample flows
    assert archctl_json("validate", "--stack", "dev", expect=0).doc["ok"] is True
    assert archctl_json("drift", "--stack", "dev", expect=0).doc["drift"] is False

    # -- promote refuses while the source has pending changes (a definition edited after the up)
    path = project.root / "flows" / "customer-lookup.yaml"
    path.write_text(path.read_text().replace("load the CRM record", "load the CRM record quickly"))
    run = archctl_json("promote", "dev", "staging", "--yes", expect=1)
    assert run.doc["refused"] and run.doc["source_check"]["pending_changes"] == {"update": 1}
    assert run.doc["up"] is None
    assert "pending changes" in archctl("promote", "dev", "staging", "--yes").out


def test_promotion_dev_staging_prod_with_parity_then_a_hand_edit_in_staging_is_seen_and_restored(
    emulator, tmp_path, monkeypatch
) -> None:
    project = cli_project(tmp_path, monkeypatch, emulator.url, flows=True)
    keys = _keys(project)
    project.stack("dev").up()
    # Without --yes on a stdin that is not a terminal: the plan, and nothing deployed.
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))  # not a terminal: the answer is not read
    plan = archctl_json("promote", "dev", "staging", expect=1).doc
    assert plan["promoted"] is False and "--yes was not given" in plan["refused"]
    assert plan["plan"]["resource_changes"] == {"create": len(keys) + 1} and plan["up"] is None
    assert {f["key"] for f in plan["plan"]["diff"]["flows"]} == set(keys)  # each flow: added
    assert project.stack("staging").export_stack().deployment.get("resources") is None
    human = archctl("promote", "dev", "staging", "--skip-source-check")
    assert human.code == 1 and f"plan for stack staging: create {len(keys) + 1}" in human.out
    assert "customer-lookup" in human.out and "--yes" in human.out
    run = archctl_json("promote", "dev", "staging", "--yes", expect=0)
    assert run.doc["promoted"] and run.doc["parity"]["identical"]
    assert run.doc["up"]["resource_changes"] == {"create": len(keys) + 1}
    assert "up staging" in run.err  # progress
    run = archctl_json("promote", "staging", "prod", "--yes", expect=0)
    assert run.doc["parity"]["summary"]["unchanged"] == len(keys)
    human = archctl("diff", "stack:dev", "stack:prod")
    assert human.code == 0 and "no differences" in human.out

    # -- a hand edit in staging: seen by diff and drift, and replaced by the next promotion
    staging = ArchitectClient(demo_settings(emulator.url, "staging-rw"))
    flow = next(f for f in staging.list_flows() if f.name == "Customer Lookup")
    staging.update_flow(
        flow.id, flow.to_fields().model_copy(update={"description": "edited by hand"}), base=flow
    )

    diff = archctl_json("diff", "stack:dev", "stack:staging", expect=1)
    [changed] = diff.doc["flows"]
    assert changed["key"] == "customer-lookup"
    assert changed["changes"] == [
        {
            "kind": "field",
            "change": "changed",
            "field": "description",
            "block": None,
            "a": "Identify the caller from the ANI or an account number and load the CRM record.",
            "b": "edited by hand",
        }
    ]
    # Staging drifted: it cannot be the source of a promotion, and `drift` names the flow.
    refused = archctl_json("promote", "staging", "prod", "--yes", expect=1)
    assert refused.doc["promoted"] is False and "drifted" in refused.doc["refused"]
    assert refused.doc["source_check"]["drift"] is True
    drift = archctl_json("drift", "--stack", "staging", expect=1)
    assert drift.doc["drift"] and drift.doc["diff"]["flows"][0]["key"] == "customer-lookup"
    # Promoting dev again refreshes staging first (on every platform): the plan shows the hand edit
    # being replaced, the up does what the plan says, and parity holds again. (`make deploy` does not
    # refresh the tutorial's API: there a refresh would make the edit the base of `merge`, unseen.)
    again = archctl_json("promote", "dev", "staging", "--yes", expect=0)
    [planned] = again.doc["plan"]["diff"]["flows"]
    assert planned["key"] == "customer-lookup"
    assert [(c["field"], c["a"]) for c in planned["changes"]] == [("description", "edited by hand")]
    assert again.doc["up"]["resource_changes"] == {"same": len(keys), "update": 1}
    assert again.doc["promoted"] and again.doc["parity"]["identical"]
    assert archctl_json("drift", "--stack", "staging", expect=0).doc["drift"] is False
