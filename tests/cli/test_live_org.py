"""Against the emulator (no engine): metrics equal the emulator's statistics, audit entries match its
write log one for one, export → diff against the live org is empty, and edits are found."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emulator.testing import DEMO_CLIENTS
from provider.domain.blocks import Block
from provider.errors import ConflictError, ValidationError
from provider.governance import telemetry
from provider.platforms.architecture_api.client import ArchitectClient
from provider.platforms.architecture_api.models import FlowFields
from provider.platforms.http.pool import ClientPool
from provider.platforms.http.retry import RetryPolicy
from tests.support.cli import archctl, archctl_json
from tests.support.state import demo_settings

SECRET = DEMO_CLIENTS["dev-rw"]


def _policy() -> RetryPolicy:
    return RetryPolicy(base_delay=0.02, max_delay=0.2, deadline_seconds=60.0)


def _sample_org(client: ArchitectClient) -> dict[str, str]:
    sup = client.create_flow(FlowFields(name="Support", lifecycle_state="published"))
    bill = client.create_flow(FlowFields(name="Billing", lifecycle_state="published", description="pay"))
    main = client.create_flow(
        FlowFields(
            name="Main Menu",
            lifecycle_state="published",
            references=[sup.id, bill.id],
            blocks=[
                Block(
                    id="root",
                    type="menu",
                    children=[
                        Block(id="to-support", type="transfer", reference=sup.id),
                        Block(id="to-billing", type="transfer", reference=bill.id),
                    ],
                )
            ],
        )
    )
    return {"support": sup.id, "billing": bill.id, "main-menu": main.id}


def test_metrics_equal_the_emulator_statistics(emulator, tmp_path, tel: telemetry.Telemetry) -> None:
    rec = tel.recorder("dev", metrics_dir=tmp_path / "m", audit_log=tmp_path / "a.jsonl", client_id="dev-rw")
    client = ArchitectClient(demo_settings(emulator.url), retry=_policy(), recorder=rec)
    emulator.admin.set_faults(error_rate=1.0, statuses=[503], methods=["PATCH"], max_faults=2, seed=1)
    ids = _sample_org(client)
    for key in ("support", "billing"):
        flow = client.get_flow(ids[key])
        client.update_flow(ids[key], flow.to_fields().model_copy(update={"description": "new"}), base=flow)
    with pytest.raises(ConflictError):
        client.create_flow(FlowFields(name="support", lifecycle_state="draft"))  # duplicate name
    with pytest.raises(ValidationError):  # rejected client-side: nothing sent
        client.create_flow(FlowFields(name="   ", lifecycle_state="draft"))
    client.list_flows()
    emulator.admin.clear_faults()
    tel.flush()

    stats = emulator.admin.stats()
    ours = json.loads((tmp_path / "m" / "dev.json").read_text())
    theirs = {(r["method"], r["path"], str(r["status"])): r["count"] for r in stats["requests"]}
    mine = {(r["method"], r["path"], r["status"]): r["count"] for r in ours["requests"]}
    assert mine == theirs
    assert ours["total_requests"] == stats["total_requests"]
    assert ours["rate_limit"]["responses_429"] == stats["rate_limited"]
    assert sum(r["count"] for r in ours["retries"]) == 2  # the two injected 503s
    assert {(m["action"], m["outcome"]): m["count"] for m in ours["mutations"]} == {
        ("create", "success"): 3,
        ("create", "failure"): 2,
        ("update", "success"): 2,
    }
    assert {v["rule"] for v in ours["validation_failures"]} == {"architect.flow.field.required"}
    assert SECRET not in json.dumps(ours) and SECRET not in (tmp_path / "m" / "dev.prom").read_text()


def test_rate_limit_waits_are_measured(emulator, tmp_path, tel: telemetry.Telemetry) -> None:
    rec = tel.recorder("dev", metrics_dir=tmp_path / "m", audit_log=tmp_path / "a.jsonl")
    client = ArchitectClient(demo_settings(emulator.url), retry=_policy(), recorder=rec, pacing=False)
    emulator.admin.set_rate_limit(3, window_seconds=1)
    for _ in range(5):
        client.list_flows()
    tel.flush()
    stats = emulator.admin.stats()
    ours = json.loads((tmp_path / "m" / "dev.json").read_text())
    assert stats["rate_limited"] >= 1
    assert ours["rate_limit"]["responses_429"] == stats["rate_limited"]
    assert ours["rate_limit"]["waits"] >= stats["rate_limited"]
    assert ours["rate_limit"]["wait_seconds"] > 0


def test_audit_matches_the_emulator_write_log(emulator, tmp_path, tel: telemetry.Telemetry) -> None:
    log = tmp_path / "a.jsonl"
    rec = tel.recorder("dev", metrics_dir=tmp_path / "m", audit_log=log, client_id="dev-rw")
    pool = ClientPool()
    client = ArchitectClient(demo_settings(emulator.url), retry=_policy(), recorder=rec, pool=pool)
    with telemetry.flow_context("support"):
        sup = client.create_flow(FlowFields(name="Support", lifecycle_state="published"))
    with telemetry.flow_context("main"):
        main = client.create_flow(FlowFields(name="Main", lifecycle_state="published", references=[sup.id]))
        client.update_flow(main.id, main.to_fields().model_copy(update={"description": "d"}), base=main)
    with telemetry.flow_context("support"), pytest.raises(ConflictError):
        client.delete_flow(sup.id)  # in use
    with telemetry.flow_context("main"):
        client.delete_flow(main.id)

    entries = [json.loads(line) for line in log.read_text().splitlines()]
    writes = emulator.admin.stats()["write_log"]
    assert len(entries) == len(writes) == 5
    method = {"create": "POST", "update": "PATCH", "delete": "DELETE"}
    for entry, write in zip(entries, writes, strict=True):
        assert method[entry["action"]] == write["method"]
        assert entry["flow_id"] == write["flow_id"]
        assert entry["client_id"] == write["client_id"] == "dev-rw"
        assert (entry["outcome"] == "success") == (200 <= write["status"] < 300)
        assert entry["correlation_id"]
    assert [e["flow_key"] for e in entries] == ["support", "main", "main", "support", "main"]
    assert entries[3]["error_code"] == "architect.flow.in.use"
    assert entries[2]["version_before"] == 1 and entries[2]["version_after"] == 2
    text = log.read_text()
    assert SECRET not in text
    token = pool.tokens.cached(client.settings)
    assert token is not None and token.access_token not in text


def _env(monkeypatch, emulator) -> None:
    monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_ID", "dev-rw")
    monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_SECRET", SECRET)
    monkeypatch.delenv("GENESYSCLOUD_REGION", raising=False)
    monkeypatch.setenv("GENESYS_FLOWS_PROJECT_DIR", str(Path(__file__).parent / "no-project"))


@pytest.mark.slow  # export jobs polled on the wall clock (several seconds)
def test_export_then_diff_against_the_live_org(emulator, tmp_path, monkeypatch) -> None:
    _env(monkeypatch, emulator)
    client = ArchitectClient(demo_settings(emulator.url), retry=_policy())
    ids = _sample_org(client)
    for i in range(30):  # more than a page
        client.create_flow(FlowFields(name=f"Extra {i:02d}", lifecycle_state="draft"))

    out = tmp_path / "snap"
    run = archctl_json(
        "export", "--api-url", emulator.url, "--platform", "architecture-api", "--out", str(out), expect=0
    )
    assert run.doc["count"] == 33
    assert "reading flows" in run.err  # progress
    assert (out / "main-menu.yaml").read_text().count("reference: support") == 1
    first = {p.name: p.read_text() for p in out.iterdir()}
    archctl_json(
        "export", "--api-url", emulator.url, "--platform", "architecture-api", "--out", str(out), expect=0
    )
    assert {p.name: p.read_text() for p in out.iterdir()} == first  # stable

    same = archctl_json(
        "diff", str(out), "live", "--api-url", emulator.url, "--platform", "architecture-api", expect=0
    )
    assert same.doc["identical"] and same.doc["summary"]["unchanged"] == 33

    main = client.get_flow(ids["main-menu"])
    blocks = [
        Block(
            id="root",
            type="menu",
            children=[Block(id="to-support", type="transfer", reference=ids["support"])],
        )
    ]
    client.update_flow(
        main.id,
        main.to_fields().model_copy(update={"blocks": blocks, "references": [ids["support"]]}),
        base=main,
    )
    bill = client.get_flow(ids["billing"])  # no longer referenced: it may leave published
    client.update_flow(bill.id, bill.to_fields().model_copy(update={"lifecycle_state": "draft"}), base=bill)
    changed = archctl_json(
        "diff", str(out), "live", "--api-url", emulator.url, "--platform", "architecture-api", expect=1
    )
    found = {
        (f["key"], c["kind"], c["change"], c["block"]) for f in changed.doc["flows"] for c in f["changes"]
    }
    assert found == {
        ("main-menu", "reference", "removed", None),
        ("main-menu", "block", "removed", "to-billing"),
        ("billing", "lifecycle", "changed", None),
    }
    human = archctl("diff", str(out), "live", "--api-url", emulator.url, "--platform", "architecture-api")
    assert human.code == 1 and "block to-billing: removed from root" in human.out

    graph = archctl_json("graph", "--api-url", emulator.url, "--platform", "architecture-api", expect=0)
    assert {"from": "main-menu", "to": "support"} in graph.doc["edges"]
    assert SECRET not in run.out + run.err + changed.out + human.out + graph.out


def test_read_only_client_can_export_and_a_wrong_secret_exits_2(emulator, tmp_path, monkeypatch) -> None:
    _env(monkeypatch, emulator)
    monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_ID", "dev-ro")
    monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_SECRET", DEMO_CLIENTS["dev-ro"])
    archctl_json(
        "export",
        "--api-url",
        emulator.url,
        "--platform",
        "architecture-api",
        "--out",
        str(tmp_path / "s"),
        expect=0,
    )
    monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_SECRET", "wrong-secret-value")
    run = archctl_json(
        "export",
        "--api-url",
        emulator.url,
        "--platform",
        "architecture-api",
        "--out",
        str(tmp_path / "s2"),
        expect=2,
    )
    assert run.doc["error"]["kind"] == "auth"
    assert "wrong-secret-value" not in run.out + run.err
