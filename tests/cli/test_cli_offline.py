"""CLI commands that need no org: help, usage errors, diff of snapshots, audit, metrics, schema."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from provider.cli import main as cli
from provider.cli import schemas as cli_schemas
from provider.domain import snapshot as snap
from provider.domain.live import LiveFlow
from provider.governance import telemetry
from provider.platforms.http.recorder import MutationEvent, RequestEvent
from tests.support.cli import archctl, archctl_json
from tests.support.state import clear_genesys_env

COMMANDS = ["validate", "graph", "export", "diff", "drift", "audit", "metrics", "import", "promote", "schema"]


def _flow(fid, name, refs=(), state="published", blocks=None, description=""):
    return LiveFlow(
        id=fid,
        name=name,
        type="INBOUNDCALL",
        lifecycle_state=state,
        revision="1",
        references=tuple(refs),
        content=blocks or [],
        attributes={"description": description},
    )


def _snapshot(tmp_path: Path, name: str, **changes) -> Path:
    blocks = [{"id": "root", "type": "menu", "children": [{"id": "x", "type": "transfer", "reference": "s"}]}]
    flows = [
        _flow(
            "m",
            "Main Menu",
            refs=["s"],
            blocks=changes.get("blocks", blocks),
            description=changes.get("description", ""),
        ),
        _flow("s", "Support", state=changes.get("support_state", "published")),
    ]
    out = tmp_path / name
    snap.write(snap.from_flows(flows, source={"kind": "org", "api_url": "http://x"}), out)
    return out


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_every_command_has_help(command, capsys) -> None:
    argv = ["--help"] if command is None else [command, "--help"]
    assert cli.main(argv) == 0
    text = capsys.readouterr().out
    assert text.startswith("usage: archctl")
    if command is None:
        assert all(c in text for c in COMMANDS)


def test_usage_errors_exit_2() -> None:
    run = archctl("frobnicate")
    assert run.code == 2 and "invalid choice" in run.err
    assert archctl().code == 2
    run = archctl_json("export", "--api-url", "http://127.0.0.1:9")  # --out missing
    assert run.code == 2 and run.doc["error"]["kind"] == "usage"
    run = archctl_json("diff", "/nonexistent/a", "/nonexistent/b", expect=2)
    assert "neither a folder" in run.doc["error"]["message"]


def test_configuration_error_exit_2(monkeypatch) -> None:
    clear_genesys_env(monkeypatch)
    run = archctl_json("export", "--region", "us-east-1", "--out", "/tmp/x", expect=2)
    assert run.doc["error"]["kind"] == "configuration"
    assert "GENESYSCLOUD_OAUTHCLIENT_ID" in run.doc["error"]["message"]


@pytest.mark.slow
def test_connection_error_exit_2(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_ID", "dev-rw")
    monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_SECRET", "dev-rw-demo-secret")
    run = archctl_json("export", "--api-url", "http://127.0.0.1:9", "--out", str(tmp_path / "o"), expect=2)
    assert run.doc["error"]["kind"] == "connection"  # refused before any answer: not an auth failure
    assert "dev-rw-demo-secret" not in run.out + run.err


def test_diff_of_identical_snapshots_is_empty(tmp_path) -> None:
    a, b = _snapshot(tmp_path, "a"), _snapshot(tmp_path, "b")
    run = archctl_json("diff", str(a), str(b), expect=0)
    assert run.doc["identical"] is True and run.doc["summary"]["unchanged"] == 2
    assert "no differences" in archctl("diff", str(a), str(b)).out


def test_diff_shows_each_difference(tmp_path) -> None:
    a = _snapshot(tmp_path, "a")
    blocks = [
        {
            "id": "root",
            "type": "menu",
            "children": [{"id": "x", "type": "queue", "reference": "s"}, {"id": "y", "type": "say"}],
        }
    ]
    b = _snapshot(tmp_path, "b", blocks=blocks, description="changed", support_state="draft")
    run = archctl_json("diff", str(a), str(b), expect=1)
    changes = {
        (f["key"], c["kind"], c["change"], c["field"], c["block"])
        for f in run.doc["flows"]
        for c in f["changes"]
    }
    assert changes == {
        ("main-menu", "field", "changed", "description", None),
        ("main-menu", "block", "changed", "type", "x"),
        ("main-menu", "block", "added", None, "y"),
        ("support", "lifecycle", "changed", "lifecycle_state", None),
    }
    human = archctl("diff", str(a), str(b))
    assert human.code == 1
    assert "~ main-menu [Main Menu]" in human.out and "block y: added under root" in human.out


def test_graph_of_a_snapshot(tmp_path) -> None:
    a = _snapshot(tmp_path, "a")
    run = archctl_json("graph", str(a), expect=0)
    assert run.doc["edges"] == [{"from": "main-menu", "to": "support"}]
    assert run.doc["text"].startswith("graph LR")
    dot = archctl_json("graph", str(a), "--format", "dot", expect=0)
    assert '"main-menu" -> "support";' in dot.doc["text"]


def test_graph_render_needs_graphviz(tmp_path, monkeypatch) -> None:
    a = _snapshot(tmp_path, "a")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    run = archctl_json("graph", str(a), "--render", str(tmp_path / "g.svg"), expect=2)
    assert "Graphviz" in run.doc["error"]["message"]
    # with a `dot` on PATH (a stand-in that writes its input), the file is rendered
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "dot"
    fake.write_text('#!/bin/sh\nout="$3"\ncat > "$out"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}/usr/bin:/bin")
    run = archctl_json("graph", str(a), "--render", str(tmp_path / "g.svg"), expect=0)
    assert run.doc["rendered"] == str(tmp_path / "g.svg")
    assert "digraph flows" in (tmp_path / "g.svg").read_text()


def test_audit_table_and_filters(tmp_path, tel: telemetry.Telemetry) -> None:
    log = tmp_path / "a.jsonl"
    rec = tel.recorder("dev", metrics_dir=tmp_path / "m", audit_log=log, client_id="dev-rw")
    with telemetry.flow_context("main-menu"):
        rec.on_mutation(MutationEvent("create", "id-1", "Main Menu", None, 1, "success", latency_s=0.2))
    with telemetry.flow_context("support"):
        rec.on_mutation(
            MutationEvent("update", "id-2", "Support", 1, None, "failure", "general.resource.conflict")
        )
    # whose work was replaced: the holder of a forced unlock, the version an overwrite replaced
    lock = {"what": "lock", "holder_kind": "user", "holder_id": "u-1", "holder_name": "Bob Builder"}
    lock |= {"lock_since": "2026-01-01T00:00:00.000Z", "lock_age_s": 300.0}
    version = {"what": "version", "version": "2.0", "revision": "published=2.0;checkedIn=2.0"}
    version |= {"by_kind": "user", "by_id": "u-2", "by_name": "Ann Architect", "base_version": "1.0"}
    version |= {"base_revision": "published=1.0;checkedIn=1.0"}
    with telemetry.flow_context("queue"):
        rec.on_mutation(MutationEvent("unlock", "id-3", "Queue", "1.0", "1.0", "success", replaced=lock))
        rec.on_mutation(MutationEvent("update", "id-3", "Queue", "1.0", "3.0", "success", replaced=version))
    replaced = archctl_json("audit", "--file", str(log), "--flow", "queue", expect=0).doc["entries"]
    assert [e["replaced"] for e in replaced] == [lock, version]
    shown = archctl("audit", "--file", str(log), "--flow", "queue").out
    assert (
        "lock of user Bob Builder (held ≥ 300 s)" in shown and "2.0 of user Ann Architect (base 1.0)" in shown
    )
    run = archctl_json("audit", "--file", str(log), expect=0)
    assert [e["flow_key"] for e in run.doc["entries"]] == ["main-menu", "support", "queue", "queue"]
    only = archctl_json("audit", "--file", str(log), "--flow", "support", expect=0)
    assert only.doc["count"] == 1
    assert archctl_json("audit", "--file", str(log), "--since", "2999-01-01", expect=0).doc["count"] == 0
    human = archctl("audit", "--file", str(log))
    assert "main-menu" in human.out and "general.resource.conflict" in human.out and "1→-" in human.out
    assert (
        archctl_json("audit", "--file", str(log), "--since", "yesterday", expect=2).doc["error"]["kind"]
        == "usage"
    )


def test_metrics_tables_and_merged_files(tmp_path, tel: telemetry.Telemetry) -> None:
    rec = tel.recorder("dev", metrics_dir=tmp_path / "m", audit_log=tmp_path / "a.jsonl")
    for i in range(10):
        rec.on_request(RequestEvent("GET", "/api/v2/architect/flows", 200, 0.01 * (i + 1), 1))
    rec.on_request(RequestEvent("GET", "/api/v2/architect/flows", 429, 0.01, 1, retry_reason="429"))
    rec.on_rate_limit_wait(1.5, "429")
    tel.flush()
    run = archctl_json("metrics", "--dir", str(tmp_path / "m"), "--write", expect=0)
    [summary] = run.doc["stacks"]
    assert summary["total_requests"] == 11 and summary["rate_limit"]["wait_seconds"] == 1.5
    assert len(run.doc["written"]) == 2
    human = archctl("metrics", "--dir", str(tmp_path / "m"))
    assert "p95" in human.out and "429=1" in human.out and "1.50s waited" in human.out
    assert "no metrics" in archctl("metrics", "--dir", str(tmp_path / "empty")).out


def test_schema_command_prints_valid_schemas() -> None:
    run = archctl("schema")
    docs = json.loads(run.out)
    assert set(docs) == set(cli_schemas.SCHEMAS)
    for doc in docs.values():
        jsonschema.Draft202012Validator.check_schema(doc)
    assert json.loads(archctl("schema", "diff").out)["title"] == "archctl diff --json"


@pytest.mark.slow
def test_console_script_and_module_entry_point(tmp_path) -> None:
    a = _snapshot(tmp_path, "a")
    exe = Path(sys.prefix) / "bin" / "archctl"
    proc = subprocess.run(
        [str(exe), "diff", str(a), str(a), "--json"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    jsonschema.validate(json.loads(proc.stdout), cli_schemas.schema("diff"))
    proc = subprocess.run(
        [sys.executable, "-m", "provider.cli", "nope"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2


def test_graph_marks_the_references_closing_a_cycle(tmp_path) -> None:
    """genesys-cloud binds them by name: drawn dashed, `by_name` in the JSON, the same every run."""
    for key, name, target in (
        ("main-ivr", "Main IVR", "Billing Line"),
        ("billing", "Billing Line", "Main IVR"),
    ):
        (tmp_path / f"{key}.archy.yaml").write_text(
            f"inboundCall:\n  name: {name}\n  tasks:\n    - task:\n        name: T\n        actions:\n"
            f"          - transferToFlow:\n              targetFlow:\n                name: {target}\n"
        )
        (tmp_path / f"{key}.yaml").write_text(f"archy: {key}.archy.yaml\nlifecycle_state: published\n")
    run = archctl_json("graph", str(tmp_path), expect=0)
    assert run.doc["edges"] == [
        {"from": "billing", "to": "main-ivr"},
        {"from": "main-ivr", "to": "billing", "by_name": True},
    ]
    assert "f_main_ivr -.->|by name| f_billing" in run.doc["text"]
    dot = archctl_json("graph", str(tmp_path), "--format", "dot", expect=0)
    assert '"main-ivr" -> "billing" [style=dashed, label="by name"];' in dot.doc["text"]
    validate = archctl("validate", str(tmp_path))  # not a problem there: named, with its path
    assert validate.code == 0 and "billing → main-ivr → billing" in validate.out, validate.out
    # The tutorial's Architecture API: a cycle is an error there, so no reference is drawn by name.
    tutorial = tmp_path / "tutorial"
    tutorial.mkdir()
    for key, target in (("main-ivr", "billing"), ("billing", "main-ivr")):
        (tutorial / f"{key}.yaml").write_text(
            f"name: {key}\ntype: INBOUNDCALL\nlifecycle_state: published\nreferences: [{target}]\n"
            f"blocks:\n  - id: go\n    type: transferToFlow\n    reference: {target}\n"
        )
    drawn = archctl_json("graph", str(tutorial), expect=0)
    assert drawn.doc["edges"] == [
        {"from": "billing", "to": "main-ivr"},
        {"from": "main-ivr", "to": "billing"},
    ]
    assert "by name" not in drawn.doc["text"]
