"""The write-ahead intent journal: what it records, when it refuses, and which flows it lets a create
adopt."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from provider.deploy.sdk_patches import backend_repair
from provider.errors import RateLimitedError, ServerError, TransportError, ValidationError
from provider.governance.audit import AuditLog
from provider.governance.intents import IntentJournal, IntentWriteError, outcome_of


def journal(tmp_path: Path, stack: str = "dev") -> IntentJournal:
    return IntentJournal(AuditLog(tmp_path / "audit.jsonl", stack))


def begin(j: IntentJournal, key: str = "main", name: str = "Main"):
    return j.begin("create", flow_key=key, flow_type="INBOUNDCALL", flow_name=name)


def adoptable(j: IntentJournal, key: str = "main", flow_id: str = "id-1", name: str = "MAIN"):
    return j.adoptable(flow_key=key, flow_type="INBOUNDCALL", flow_name=name, flow_id=flow_id)


def test_an_open_or_unknown_intent_of_this_stack_and_key_is_adoptable(tmp_path: Path):
    j = journal(tmp_path)
    first = begin(j)
    assert adoptable(j) == first.id  # no outcome: killed mid-write
    j.finish(first, "unknown")
    assert adoptable(j) == first.id
    assert adoptable(j, key="other") is None  # another key's flow may be in the state
    assert adoptable(j, name="Other") is None


def test_a_failed_intent_or_another_stacks_is_not(tmp_path: Path):
    j = journal(tmp_path)
    j.finish(begin(j), "failure")
    assert adoptable(j) is None
    begin(journal(tmp_path, "prod"))
    assert adoptable(j) is None


def test_a_success_adopts_only_its_own_flow(tmp_path: Path):
    j = journal(tmp_path)
    intent = begin(j)
    j.finish(intent, "success", flow_id="id-1")
    assert adoptable(j, flow_id="id-1") == intent.id
    assert adoptable(j, flow_id="id-2") is None


def test_the_running_create_never_adopts_by_its_own_intent(tmp_path: Path):
    j = journal(tmp_path)
    running = begin(j)
    assert (
        j.adoptable(flow_key="main", flow_type="INBOUNDCALL", flow_name="Main", flow_id="x", exclude=running)
        is None
    )


def test_entries_are_intent_then_outcome(tmp_path: Path):
    j = journal(tmp_path)
    j.finish(begin(j), "success", flow_id="id-1")
    entries = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert [e["event"] for e in entries] == ["intent", "intent_outcome"]
    assert entries[0]["stack"] == "dev" and entries[0]["flow_name"] == "Main"
    assert entries[1]["outcome"] == "success" and entries[1]["intent_id"] == entries[0]["intent_id"]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_an_intent_that_cannot_be_written_refuses(tmp_path: Path):
    j = IntentJournal(AuditLog(Path("/dev/full"), "dev"))
    with pytest.raises(IntentWriteError):
        begin(j)


def test_outcome_of_an_error():
    assert outcome_of(TransportError("lost", ambiguous=True)) == "unknown"
    assert outcome_of(TransportError("refused", ambiguous=False)) == "failure"  # nothing was sent
    assert outcome_of(ValidationError("bad", status=400)) == "failure"
    assert outcome_of(RuntimeError("bug")) == "unknown"
    assert outcome_of(ServerError("busy", status=503)) == "unknown"  # it may have been applied
    assert outcome_of(RateLimitedError("slow down", status=429)) == "failure"  # refused before it ran


# -- the backend repair ------------------------------------------------------------------------------


def test_backend_repair(tmp_path: Path):
    root = tmp_path / ".pulumi"
    locks = root / "locks" / "organization" / "genesys-flows" / "dev"
    locks.mkdir(parents=True)
    dead = os.getpid() + 10**6  # beyond pid_max: never alive
    (locks / "a.json").write_text(json.dumps({"pid": dead, "hostname": socket.gethostname()}))
    (locks / "b.json").write_text(json.dumps({"pid": os.getpid(), "hostname": socket.gethostname()}))
    stacks = root / "stacks" / "genesys-flows"
    stacks.mkdir(parents=True)
    (stacks / "dev.json").write_text('{"version": 3, "checkpoint": {}}')
    (stacks / "dev.json.attrs").write_bytes(b"")
    done = backend_repair.repair("dev", root)
    assert len(done) == 1 and not (locks / "a.json").exists() and (locks / "b.json").exists()
    # a live run holds the stack: its files may be mid-write, so nothing else is touched
    assert (stacks / "dev.json.attrs").exists()
    (locks / "b.json").unlink()  # that run ended
    assert len(backend_repair.repair("dev", root)) == 1
    assert not (stacks / "dev.json.attrs").exists()
    (stacks / "dev.json").write_text('{"version": 3, "chec')
    with pytest.raises(RuntimeError, match="backup"):
        backend_repair.repair("dev", root)
    (stacks / "dev.json.bak").write_text('{"version": 3, "checkpoint": {"old": 1}}')
    assert "restored" in backend_repair.repair("dev", root)[0]
    assert json.loads((stacks / "dev.json").read_text())["checkpoint"] == {"old": 1}


def test_written_lists_the_key_s_flows_this_stack_wrote_and_did_not_delete(tmp_path: Path):
    j = journal(tmp_path)
    j.finish(begin(j), "success", flow_id="id-1", revision="published=1.0;checkedIn=1.0")
    j.finish(begin(j, key="other"), "success", flow_id="id-2", revision="1")
    j.finish(begin(j), "failure", flow_id="id-3")
    assert j.written(flow_key="main") == ["id-1"]
    gone = j.begin("delete", flow_key="main", flow_type="INBOUNDCALL", flow_name="Main", flow_id="id-1")
    j.finish(gone, "success", flow_id="id-1")
    assert j.written(flow_key="main") == []
    assert journal(tmp_path, "prod").written(flow_key="other") == []  # another stack's journal


def test_a_success_keeps_how_its_revision_was_derived(tmp_path: Path):
    """A cycle's cut compares the live revision with the owner's write as recorded here: a revision
    derived from a job's answer, not read back, says so (the platform may have numbered it otherwise)."""
    j = journal(tmp_path)
    j.finish(
        begin(j),
        "success",
        flow_id="id-1",
        revision="published=2.0;checkedIn=2.0",
        revision_inferred="update",
    )
    j.finish(begin(j, key="other"), "success", flow_id="id-2", revision="published=1.0;checkedIn=1.0")
    again = journal(tmp_path)
    owner, other = again.owner_of("id-1"), again.owner_of("id-2")
    assert owner is not None and owner.revision_inferred == "update"
    assert other is not None and other.revision_inferred is None
