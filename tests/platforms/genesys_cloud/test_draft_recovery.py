"""A draft's write killed between its job (which publishes) and the deactivation: the journal holds
the step, and the next run deactivates the flow first, under any conflict policy, then compares
revisions (the in-process fake API, the real journal; the kill is a BaseException at the step)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from provider.deploy import adoption, write_ahead
from provider.deploy.provider_errors import Attempt
from provider.errors import ConflictError
from provider.governance import intents
from provider.governance.audit import AuditLog, read
from provider.governance.intents import STEP, IntentJournal
from provider.platforms.base import STEP_DEACTIVATION_PENDING, LiveFlow
from provider.platforms.genesys_cloud import GenesysCloudPlatform
from provider.platforms.genesys_cloud.platform import EXTRA_ARCHY_SHA
from provider.platforms.http.recorder import ListRecorder
from tests.platforms.genesys_cloud.conftest import document

Make = Callable[..., tuple[GenesysCloudPlatform, ListRecorder]]


class Killed(BaseException):
    """kill -9 of the provider, as far as the provider's own code can tell."""


def _killed_at_the_step(gc: GenesysCloudPlatform, journal: IntentJournal, base: LiveFlow, note: str) -> None:
    """An update to a new draft revision, killed right after the journal recorded the job's step."""
    new = document("Main", state="draft", note=note)
    journal_step = IntentJournal.step

    def step_then_die(self: IntentJournal, *args: object, **kwargs: object) -> None:
        journal_step(self, *args, **kwargs)  # type: ignore[arg-type]
        raise Killed

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(IntentJournal, "step", step_then_die)
        # no outcome is written: a killed process writes nothing more
        mp.setattr(write_ahead.Write, "finish", lambda self, outcome: None)
        with (
            pytest.raises(Killed),
            write_ahead.recorded(journal, Attempt("update", "main", base.id), new, {}),
        ):
            gc.update(base.id, new, {}, base=base, policy="fail")


def test_a_draft_left_published_by_a_killed_write_is_deactivated_first_under_fail(
    make_platform: Make, tmp_path: Path
) -> None:
    gc, _ = make_platform()
    journal = IntentJournal(AuditLog(tmp_path / "audit.jsonl", "dev"))
    state = gc.create(document("Main", state="draft", note="v1"), {})  # what the state records
    _killed_at_the_step(gc, journal, state, note="v2")

    left = gc.read(state.id)
    assert left is not None and left.lifecycle_state == "published"  # the job published the draft
    steps = [e for e in read(journal.audit.path).entries if e.get("event") == STEP]
    assert [(s["step"], s["version_after"]) for s in steps] == [(STEP_DEACTIVATION_PENDING, left.revision)]

    # The next run (a fresh journal index, as in a new provider process), policy fail.
    next_run = IntentJournal(AuditLog(tmp_path / "audit.jsonl", "dev"))
    intents._indexes.clear()
    definition = document("Main", state="draft", note="v2")
    base = adoption.own_base(gc, next_run, "main", state, definition, {})
    live = gc.read(state.id)
    assert live is not None and live.lifecycle_state == "draft"  # deactivated before any comparison
    assert base.revision == live.revision and base.extra.get(EXTRA_ARCHY_SHA)  # ours: no job again
    assert next_run.pending_step(flow_id=state.id) is None
    flow = gc.update(state.id, definition, {}, base=base, policy="fail")  # no conflict
    assert flow.lifecycle_state == "draft"


def test_a_publish_by_someone_else_after_the_killed_step_is_still_theirs(
    make_platform: Make, tmp_path: Path
) -> None:
    gc, _ = make_platform()
    other, _ = make_platform("admin")
    journal = IntentJournal(AuditLog(tmp_path / "audit.jsonl", "dev"))
    state = gc.create(document("Main", state="draft", note="v1"), {})
    _killed_at_the_step(gc, journal, state, note="v2")
    theirs = gc.read(state.id)
    assert theirs is not None
    other.update(state.id, document("Main", note="theirs"), {}, base=theirs, policy="overwrite")

    definition = document("Main", state="draft", note="v2")
    base = adoption.own_base(gc, journal, "main", state, definition, {})
    live = gc.read(state.id)
    assert live is not None and live.lifecycle_state == "published"  # not ours to take down
    with pytest.raises(ConflictError, match="changed outside this stack"):
        gc.update(state.id, definition, {}, base=base, policy="fail")


def test_a_draft_published_by_a_job_killed_before_its_step_is_taken_down_under_fail(
    make_platform: Make, tmp_path: Path
) -> None:
    """Killed while the job ran (before the step could be journaled): the published content is
    exactly what the interrupted update sent, so it is this stack's own; deactivated first."""
    gc, _ = make_platform()
    journal = IntentJournal(AuditLog(tmp_path / "audit.jsonl", "dev"))
    state = gc.create(document("Main", state="draft", note="v1"), {})
    # as the loader makes it: the description is the Archy document's
    new = document("Main", state="draft", note="v2").model_copy(update={"description": "v2"})

    def die(*_args: object, **_kwargs: object) -> None:
        raise Killed

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(type(gc), "_settle", die)  # the job was registered and uploaded; then kill -9
        mp.setattr(write_ahead.Write, "finish", lambda self, outcome: None)
        with (
            pytest.raises(Killed),
            write_ahead.recorded(journal, Attempt("update", "main", state.id), new, {}),
        ):
            gc.update(state.id, new, {}, base=state, policy="fail")
    left = gc.read(state.id)
    assert left is not None and left.lifecycle_state == "published"  # the job published the draft
    assert not [e for e in read(journal.audit.path).entries if e.get("event") == STEP]

    next_run = IntentJournal(AuditLog(tmp_path / "audit.jsonl", "dev"))
    intents._indexes.clear()
    base = adoption.own_base(gc, next_run, "main", state, new, {})
    live = gc.read(state.id)
    assert live is not None and live.lifecycle_state == "draft"  # taken down before any comparison
    assert next_run.interrupted_update(flow_id=state.id) is None  # the intent is closed
    flow = gc.update(state.id, new, {}, base=base, policy="fail")  # no conflict
    assert flow.lifecycle_state == "draft"


def test_a_published_draft_with_other_content_than_the_killed_update_sent_is_not_taken_down(
    make_platform: Make, tmp_path: Path
) -> None:
    gc, _ = make_platform()
    other, _ = make_platform("admin")
    journal = IntentJournal(AuditLog(tmp_path / "audit.jsonl", "dev"))
    state = gc.create(document("Main", state="draft", note="v1"), {})
    new = document("Main", state="draft", note="v2").model_copy(update={"description": "v2"})
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(type(gc), "_settle", lambda *a, **k: (_ for _ in ()).throw(Killed()))
        mp.setattr(write_ahead.Write, "finish", lambda self, outcome: None)
        with (
            pytest.raises(Killed),
            write_ahead.recorded(journal, Attempt("update", "main", state.id), new, {}),
        ):
            gc.update(state.id, new, {}, base=state, policy="fail")
    theirs = gc.read(state.id)
    assert theirs is not None
    other.update(state.id, document("Main", note="theirs"), {}, base=theirs, policy="overwrite")
    intents._indexes.clear()
    base = adoption.own_base(gc, journal, "main", state, new, {})
    live = gc.read(state.id)
    assert live is not None and live.lifecycle_state == "published"  # someone else's: left live
    with pytest.raises(ConflictError, match="changed outside this stack"):
        gc.update(state.id, new, {}, base=base, policy="fail")
