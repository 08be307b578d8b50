"""The provider's write-ahead protocol (`write_ahead.recorded`) and its error table
(`provider_errors`): every write's intent gets exactly one outcome, decided by how the write ended,
and the exception leaves as the provider's one-line message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from provider.deploy import write_ahead
from provider.deploy.inputs import CODE_IN_USE, FlowProviderError
from provider.deploy.provider_errors import Attempt, provider_error
from provider.domain.document import FlowDocument
from provider.errors import (
    ConflictError,
    ErrorDetail,
    MergeConflictError,
    NotFoundError,
    ServerError,
    TransportError,
    ValidationError,
)
from provider.governance.audit import AuditLog
from provider.governance.intents import IntentJournal
from provider.platforms.base import LiveFlow

DOC = FlowDocument(key="main", name="Main", type="INBOUNDCALL", lifecycle_state="published")  # type: ignore[arg-type]


def outcomes(path: Path) -> list[tuple[str, str]]:
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    return [(e["action"], e["outcome"]) for e in lines if e.get("event") == "intent_outcome"]


@pytest.fixture
def journal(tmp_path: Path) -> IntentJournal:
    return IntentJournal(AuditLog(tmp_path / "audit.jsonl", "dev"))


def test_a_write_that_succeeds_records_success_with_what_it_left(journal: IntentJournal, tmp_path: Path):
    with write_ahead.recorded(journal, Attempt("create", "main"), DOC, {}) as write:
        write.succeeded(LiveFlow("id-1", "Main", "INBOUNDCALL", "published", "7"))
    entries = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    done = [e for e in entries if e.get("event") == "intent_outcome"]
    assert [(e["outcome"], e["flow_id"], e["version_after"]) for e in done] == [("success", "id-1", "7")]
    assert done[0]["content_sha256"]


@pytest.mark.parametrize(
    ("error", "outcome", "message"),
    [
        (TransportError("no answer", ambiguous=True), "unknown", "outcome is recorded as unknown"),
        (ServerError("boom", status=503), "unknown", "create failed: boom"),
        (ValidationError("bad", problems=[]), "failure", "create rejected: bad"),
        (ConflictError("taken", status=409, code="other"), "failure", "create failed: taken"),
    ],
)
def test_a_write_that_raises_records_unknown_or_failure_and_leaves_as_the_providers_message(
    journal: IntentJournal, tmp_path: Path, error: Exception, outcome: str, message: str
):
    with (
        pytest.raises(FlowProviderError) as raised,
        write_ahead.recorded(journal, Attempt("create", "main"), DOC),
    ):
        raise error
    assert message in str(raised.value) and "flow 'main'" in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    assert outcomes(tmp_path / "audit.jsonl") == [("create", outcome)]


def test_a_bug_leaves_as_it_is_and_the_outcome_is_unknown(journal: IntentJournal, tmp_path: Path):
    with pytest.raises(KeyError), write_ahead.recorded(journal, Attempt("update", "main", "id-1"), DOC):
        raise KeyError("bug")
    assert outcomes(tmp_path / "audit.jsonl") == [("update", "unknown")]


def test_an_outcome_the_body_decided_is_not_recorded_twice(journal: IntentJournal, tmp_path: Path):
    with (
        pytest.raises(FlowProviderError),
        write_ahead.recorded(journal, Attempt("create", "main"), DOC) as write,
    ):
        write.finish("failure")
        raise FlowProviderError("flow 'main': exists")
    with write_ahead.recorded(journal, Attempt("delete", "main", "id-1"), None, name="Main"):
        pass  # a body that returns: the write succeeded
    assert outcomes(tmp_path / "audit.jsonl") == [("create", "failure"), ("delete", "success")]


def test_an_audit_trail_that_cannot_take_the_intent_refuses_before_the_body():
    journal = IntentJournal(AuditLog(Path("/dev/full"), "dev"))  # every write fails: ENOSPC
    ran = []
    create = write_ahead.recorded(journal, Attempt("create", "main"), DOC)
    with pytest.raises(FlowProviderError, match="create refused"), create:
        ran.append(True)
    assert not ran


def test_the_table_names_the_update_conflict_the_gone_flow_and_the_consumers():
    update = Attempt("update", "main", "id-1", "v3", "fail")
    merge = MergeConflictError("they changed it", fields=["blocks"])
    assert "someone else changed blocks since version v3" in str(provider_error(update, merge))
    assert "no longer exists" in str(provider_error(update, NotFoundError("gone", status=404)))
    in_use = ConflictError(
        "in use", status=409, code=CODE_IN_USE, details=[ErrorDetail(entityId="id-2", entityName="Caller")]
    )
    text = str(provider_error(Attempt("delete", "main", "id-1"), in_use))
    assert "still used by Caller (id-2)" in text
    assert "read of id-1 failed: x" in str(provider_error(Attempt("read", "main", "id-1"), ServerError("x")))
    assert provider_error(update, KeyError("bug")) is None
