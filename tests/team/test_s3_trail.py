"""The journal and the audit trail in the bucket of an s3:// backend (the real SeaweedFS process),
the clear errors before any write, `archctl audit` and `archctl unlock` on it, and whose server a
checkout uses. No engine here (tests/team/test_team_recovery.py drives it)."""

from __future__ import annotations

import io
import json
import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from provider.cli.main import main as archctl
from provider.governance import intents
from provider.governance.intents import IntentJournal, IntentWriteError
from provider.governance.s3_trail import S3Trail
from provider.governance.telemetry import Telemetry
from provider.ops import preflight
from provider.ops.s3_server import S3Server, backend_url, free_ports
from tests.team.conftest import Bucket

# `slow`: they need the SeaweedFS server that `make tools` builds (so not in `make test-fast`).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("s3")]  # one SeaweedFS process, one worker


def journal(url: str, stack: str = "dev") -> IntentJournal:
    return IntentJournal(S3Trail(url, stack))


def begin(j: IntentJournal, key: str = "main", name: str = "Main") -> intents.Intent:
    return j.begin("create", flow_key=key, flow_type="INBOUNDCALL", flow_name=name)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = archctl(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_each_entry_is_one_object_under_the_stacks_prefix_readable_by_a_fresh_runner(bucket: Bucket):
    a = journal(bucket.url)
    created = begin(a)
    a.finish(created, "success", flow_id="id-1", revision="1", digest="d1")
    killed = begin(a, key="other", name="Other")  # runner A dies here: no outcome
    begin(journal(bucket.url, "prod"), key="main")  # another stack's intent: never adoptable by dev

    objects = bucket.objects()
    trail = {k: json.loads(v) for k, v in objects.items() if "/dev/trail/" in k}
    assert all(k.startswith(".genesys-flows/genesys-flows/dev/trail/") for k in trail)
    assert [e["event"] for e in trail.values()] == ["intent", "intent_outcome", "intent"]
    assert sum("/prod/trail/" in k for k in objects) == 1

    # Runner B: a new process with nothing local (no index, no cache) reads the bucket.
    intents._indexes.clear()
    b = journal(bucket.url)
    assert b.adoptable(flow_key="other", flow_type="INBOUNDCALL", flow_name="OTHER", flow_id="x") == killed.id
    assert (
        b.adoptable(flow_key="main", flow_type="INBOUNDCALL", flow_name="Main", flow_id="id-1") == created.id
    )
    assert b.adoptable(flow_key="main", flow_type="INBOUNDCALL", flow_name="Main", flow_id="id-2") is None
    write = b.last_write(flow_key="main", flow_id="id-1")
    assert write is not None and (write.revision, write.digest) == ("1", "d1")
    # Nothing was rewritten: B's reads left every object as it was.
    assert bucket.objects() == objects


def test_the_trail_follows_the_backend_and_an_explicit_file_wins(bucket: Bucket, tmp_path: Path):
    tel = Telemetry(flush_at_exit=False)
    assert tel.recorder("dev", metrics_dir=tmp_path).audit.location.startswith(f"s3://{bucket.name}/")
    explicit = tel.recorder("dev", metrics_dir=tmp_path, audit_log=tmp_path / "a.jsonl").audit
    assert explicit.location == str(tmp_path / "a.jsonl")
    tel.close()


def test_an_intent_the_bucket_does_not_take_refuses_the_write_with_the_reason(bucket: Bucket, monkeypatch):
    (closed,) = free_ports(1)
    cases = {
        backend_url(bucket.name, closed): "unreachable",
        backend_url("no-such-bucket-here", bucket.server.port): "does not exist",
    }
    for url, reason in cases.items():
        with pytest.raises(IntentWriteError) as caught:
            begin(journal(url))
        assert reason in str(caught.value)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong-" + os.environ["AWS_SECRET_ACCESS_KEY"])
    with pytest.raises(IntentWriteError) as caught:
        begin(journal(bucket.url))
    assert "keys are refused" in str(caught.value)
    assert "wrong-" not in str(caught.value)  # never the secret


def test_preflight_names_each_bad_condition_before_anything_runs(bucket: Bucket, monkeypatch):
    assert preflight.problems("dev") == []
    env = dict(os.environ)
    (closed,) = free_ports(1)
    bad = {
        "unreachable": {"PULUMI_BACKEND_URL": backend_url(bucket.name, closed)},
        "keys are refused": {"AWS_ACCESS_KEY_ID": "GFNOBODY"},
        "does not exist": {"PULUMI_BACKEND_URL": backend_url("missing-bucket", bucket.server.port)},
        "PULUMI_CONFIG_PASSPHRASE is not set": {"CI": "true"},
    }
    for reason, change in bad.items():
        case = {k: v for k, v in env.items() if not k.startswith("PULUMI_CONFIG_PASSPHRASE")}
        found = preflight.problems("dev", {**case, **change})
        assert len(found) == 1 and reason in found[0], (reason, found)
    with_secret = {**env, "CI": "true", "PULUMI_CONFIG_PASSPHRASE": "from-the-secret-store"}
    assert preflight.problems("dev", with_secret) == []


def pulumi_lock(bucket: Bucket, stack: str, *, host: str, pid: int, age: timedelta) -> str:
    """A lock object as Pulumi's DIY backend writes it (backend/diy/lock.go)."""
    key = f".pulumi/locks/organization/genesys-flows/{stack}/lock-{pid}.json"
    stamp = (datetime.now(UTC) - age).isoformat()
    body = json.dumps({"pid": pid, "username": "ci", "hostname": host, "timestamp": stamp})
    bucket.server.client().put_object(Bucket=bucket.name, Key=key, Body=body.encode())
    return key


def test_unlock_names_the_lock_asks_and_is_audited(bucket: Bucket):
    key = pulumi_lock(bucket, "dev", host="runner-7", pid=4242, age=timedelta(minutes=12))
    found = preflight.problems("dev")
    assert len(found) == 1 and "runner-7" in found[0] and "4242" in found[0] and "archctl unlock" in found[0]

    code, out, _ = run("unlock", "--stack", "dev")  # no terminal, no --yes: nothing removed
    assert code == 1 and "ci@runner-7 (pid 4242)" in out and "12 min ago" in out
    assert key in bucket.objects()

    code, out, _ = run("unlock", "--stack", "dev", "--yes")
    assert code == 0 and key not in bucket.objects()
    code, out, _ = run("audit", "--stack", "dev", "--json")
    entries = json.loads(out)["entries"]
    assert [(e["event"], e["outcome"], e["lock_host"], e["lock_pid"]) for e in entries] == [
        ("unlock", "intent", "runner-7", 4242),  # written before the lock is touched
        ("unlock", "success", "runner-7", 4242),
    ]
    assert preflight.problems("dev") == []


def test_unlock_refuses_the_lock_of_a_live_process_on_this_host(bucket: Bucket):
    key = pulumi_lock(bucket, "dev", host=socket.gethostname(), pid=os.getpid(), age=timedelta(seconds=5))
    code, out, _ = run("unlock", "--stack", "dev", "--yes")
    assert code == 1 and "still runs on this host" in out
    assert key in bucket.objects()


def test_archctl_audit_reads_the_bucket_in_order(bucket: Bucket):
    for stack in ("dev", "staging"):
        j = journal(bucket.url, stack)
        j.finish(begin(j), "success", flow_id=f"{stack}-1", revision="1")
    code, out, _ = run("audit", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["count"] == 4
    assert [e["stack"] for e in doc["entries"]] == ["dev", "dev", "staging", "staging"]
    assert doc["file"].startswith(f"s3://{bucket.name}/")
    code, out, _ = run("audit", "--stack", "staging", "--flow", "staging-1", "--json")
    assert [e["event"] for e in json.loads(out)["entries"]] == ["intent_outcome"]


def test_a_checkout_never_uses_another_checkouts_server(
    s3_server: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    other = S3Server(tmp_path / "other-checkout")
    # The other checkout finds our server's pid and port (e.g. a copied folder): not its server.
    other.folder.mkdir()
    (other.folder / "server.json").write_text((s3_server.folder / "server.json").read_text())
    assert s3_server.running() and not other.running()
    (other.folder / "server.json").unlink()
    # A port chosen free is taken by another process before weed binds it: weed exits "address
    # already in use" and the start is tried again on new ports (once here, bounded). The master's
    # port: weed binds it first and exits at once (a volume server's port lost lets weed live on
    # without it; `_ensure_bucket` sees that in the log).
    from provider.ops import s3_server as module

    taken = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    chosen: list[list[int]] = []

    def racing_free_ports(n: int) -> list[int]:
        ports = free_ports(n)
        if not chosen:
            ports[module._PORTS.index("master")] = taken.getsockname()[1]
        chosen.append(ports)
        return ports

    monkeypatch.setattr(module, "free_ports", racing_free_ports)
    with taken, other:
        assert len(chosen) == 2 and taken.getsockname()[1] not in chosen[1]
        assert other.running() and other.port != s3_server.port
        assert S3Server(s3_server.folder).running()  # ours still answers our keys only
        pid = json.loads((other.folder / "server.json").read_text())["pid"]
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # stopped (SIGTERM, then SIGKILL after the grace period): no process left
