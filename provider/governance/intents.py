"""The write-ahead intent journal: what makes a flow provably this stack's after an interruption.

Before every mutation the provider appends an `intent` entry to the stack's audit trail (fsynced by
`FsyncHandler`, so it is on disk before the API write starts); afterwards an `intent_outcome` entry
closes it. When the write cannot be recorded the mutation is refused (`IntentWriteError`).

    journal = IntentJournal(recorder.audit)
    intent = journal.begin("create", flow_key="main", flow_type="inboundcall", flow_name="Main")
    ...                                   # the API write
    journal.finish(intent, "success", flow_id=flow.id)

After a kill -9 (of the CLI, the engine's provider or the language host) or an answer that never came,
an intent stays open (no outcome, or "unknown"). A later create that finds a live flow of the same
type and name that the state does not know adopts it only when `adoptable` says an intent of this
stack created it under the same flow key: an open create intent for that key, type and name, or a
recorded success with that flow's id (the state lost it). Anything else is someone else's flow (or
one the state holds under another key) and stays an error.

A write with an intermediate step the platform cannot undo records it before going on (`step`): a
genesys-cloud draft is written as "job (which publishes), then deactivate", so the job's end is
journaled (`intent_step`, step `deactivation_pending`, with the revision the job left) before the
deactivation. `pending_step` hands it to the next run, which deactivates the flow while it is still
at that revision (provider/deploy/adoption.py `complete_deactivation`), under any conflict policy.

A successful create or update also records the flow's resulting revision (`version_after`) and a
digest of what was written (`content_sha256`). Without per-step checkpoints (PULUMI_SKIP_CHECKPOINTS)
a kill -9 leaves the state with the revision from before the run; `last_write` tells the next update
that the live revision is this stack's own last write, not someone else's change.
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass, field
from typing import Literal

from provider.governance.trail import Trail

log = logging.getLogger(__name__)

Action = Literal["create", "update", "delete"]
#: "unknown": the request may have reached the server (no answer); "adopted": a later run matched it.
Outcome = Literal["success", "failure", "unknown", "adopted"]
INTENT = "intent"
OUTCOME = "intent_outcome"
#: An intermediate step of an open intent (e.g. a draft's job done, its deactivation pending).
STEP = "intent_step"


class IntentWriteError(OSError):
    """The intent could not be made durable: the mutation must not be attempted."""


@dataclass(frozen=True)
class Intent:
    id: str
    action: Action
    flow_key: str
    flow_type: str
    flow_name: str


@dataclass(frozen=True)
class Write:
    """This stack's last successful write of a flow: the revision it left and a digest of its content."""

    intent_id: str
    flow_key: str
    flow_id: str
    revision: str
    digest: str | None
    #: Its definition said `allow_destroy: true` (a protectPublished stack may unpublish or delete
    #: it, or publish it empty to delete a flow of its cycle: provider/deploy/cycles.py).
    allow_destroy: bool = False
    #: How the platform derived `revision` without reading it back (genesys-cloud: "create" or
    #: "update", `LiveFlow.extra["revisionInferred"]`); None: read from the platform.
    revision_inferred: str | None = None


@dataclass(frozen=True)
class Step:
    """The last recorded step of a write left without an outcome: the flow's revision at that step
    and a digest of what the write sent."""

    intent_id: str
    action: Action
    flow_key: str
    flow_id: str
    step: str
    revision: str
    digest: str | None


@dataclass
class _Index:
    """One stack's journal, as far as updates need it: per flow id, its last write, the update
    intent left without an answer since (killed mid-write: it may or may not have been applied) and
    the last step recorded by a write without an outcome."""

    writes: dict[str, Write]
    open_updates: dict[str, str]
    steps: dict[str, Step] = field(default_factory=dict)


#: (audit file, stack) → its index; read once per provider process, then kept up to date by `begin`
#: and `finish` (so a look-up costs no read of the audit file: updates stay linear).
_indexes: dict[tuple[str, str], _Index] = {}
_indexes_lock = threading.Lock()


class IntentJournal:
    """One stack's intents, in its audit trail (thread-safe: the trail's appends are): the local
    file beside a file backend, one object per entry in the bucket of an s3:// backend."""

    def __init__(self, audit: Trail) -> None:
        self.audit = audit

    def begin(
        self, action: Action, *, flow_key: str, flow_type: str, flow_name: str, flow_id: str | None = None
    ) -> Intent:
        """Record the intent durably; `IntentWriteError` when that fails (nothing may be written)."""
        intent = Intent(uuid.uuid4().hex, action, flow_key, flow_type, flow_name)
        try:
            self.audit.append(
                {
                    "event": INTENT,
                    "intent_id": intent.id,
                    "action": action,
                    "flow_key": flow_key,
                    "flow_type": flow_type,
                    "flow_name": flow_name,
                    "flow_id": flow_id,
                }
            )
        except OSError as exc:
            raise IntentWriteError(
                exc.errno,
                f"could not record the intent in the audit trail {self.audit.location}: "
                f"{exc.strerror or exc}",
            ) from None
        with _indexes_lock:
            index = _indexes.get(self._index_key())
            if index is not None:
                _note(index, {"event": INTENT, "intent_id": intent.id, "action": action, "flow_id": flow_id})
        return intent

    def finish(
        self,
        intent: Intent,
        outcome: Outcome,
        *,
        flow_id: str | None = None,
        revision: str | None = None,
        digest: str | None = None,
        allow_destroy: bool = False,
        revision_inferred: str | None = None,
    ) -> None:
        """Record the outcome (with a success, the revision the write left and its content digest).
        A failure here is logged, not raised: the API write already happened, and the open intent it
        leaves is resolved by the next run's look-up."""
        entry: dict[str, object] = {
            "event": OUTCOME,
            "intent_id": intent.id,
            "action": intent.action,
            "flow_key": intent.flow_key,
            "flow_id": flow_id,
            "outcome": outcome,
        }
        if revision is not None:
            entry["version_after"] = revision
        if digest is not None:
            entry["content_sha256"] = digest
        if allow_destroy:
            entry["allow_destroy"] = True
        if revision_inferred:
            entry["version_inferred"] = revision_inferred
        try:
            self.audit.append(entry)
        except OSError:
            log.exception("could not record the outcome of intent %s (flow %s)", intent.id, intent.flow_key)
            return
        with _indexes_lock:
            index = _indexes.get(self._index_key())
            if index is not None:
                _note(index, entry)

    def step(
        self, intent: Intent, step: str, *, flow_id: str, revision: str, digest: str | None = None
    ) -> None:
        """Record an intermediate step of `intent` (fsynced, like the intent). A failure is logged,
        not raised: the step already happened on the platform, the write goes on."""
        entry: dict[str, object] = {
            "event": STEP,
            "intent_id": intent.id,
            "action": intent.action,
            "flow_key": intent.flow_key,
            "flow_id": flow_id,
            "step": step,
            "version_after": revision,
        }
        if digest is not None:
            entry["content_sha256"] = digest
        try:
            self.audit.append(entry)
        except OSError:
            log.exception("could not record step %s of intent %s (flow %s)", step, intent.id, intent.flow_key)
            return
        with _indexes_lock:
            index = _indexes.get(self._index_key())
            if index is not None:
                _note(index, entry)

    def pending_step(self, *, flow_id: str) -> Step | None:
        """The last step recorded by this stack's write of `flow_id` that has no outcome yet (killed
        after that step), unless a later write of the flow succeeded."""
        return self._index().steps.get(flow_id)

    def last_write(self, *, flow_key: str, flow_id: str) -> Write | None:
        """This stack's last successful create, update or adoption of `flow_id` under `flow_key` that
        recorded the revision it left; None when there is none, or the flow was deleted since."""
        found = self._index().writes.get(flow_id)
        return found if found is not None and found.flow_key == flow_key else None

    def owner_of(self, flow_id: str) -> Write | None:
        """This stack's last successful write of `flow_id` under any key (None: not this stack's,
        or deleted since)."""
        return self._index().writes.get(flow_id)

    def written(self, *, flow_key: str) -> list[str]:
        """The flows this stack's successful writes under `flow_key` left and did not delete since."""
        return [w.flow_id for w in self._index().writes.values() if w.flow_key == flow_key]

    def interrupted_update(self, *, flow_id: str) -> str | None:
        """The id of this stack's update intent of `flow_id` with no answer (no outcome, or
        `unknown`) since its last write: the write may have been applied."""
        return self._index().open_updates.get(flow_id)

    def _index(self) -> _Index:
        key = self._index_key()
        with _indexes_lock:
            index = _indexes.get(key)
            if index is None:
                index = _Index({}, {})
                for entry in self.audit.entries():
                    if entry.get("stack") == self.audit.stack:
                        _note(index, entry)
                _indexes[key] = index
            return index

    def _index_key(self) -> tuple[str, str]:
        return (self.audit.location, self.audit.stack)

    def adoptable(
        self, *, flow_key: str, flow_type: str, flow_name: str, flow_id: str, exclude: Intent | None = None
    ) -> str | None:
        """The id of this stack's create intent, for this flow key, that the live flow `flow_id` (of
        this type and name) provably came from, else None. The key must match: a create for key K
        runs only when the state has no flow under K, so K's own flow is not in the state, while a
        flow created under another key may still be (a renamed file without `aliases`). `exclude`:
        the running create's own intent (its duplicate is someone else's flow)."""
        intents: dict[str, dict[str, object]] = {}
        outcomes: dict[str, list[dict[str, object]]] = {}
        for entry in self.audit.entries():
            if entry.get("stack") != self.audit.stack:
                continue
            if entry.get("event") == INTENT and entry.get("action") == "create":
                intents[str(entry.get("intent_id"))] = entry
            elif entry.get("event") == OUTCOME:
                outcomes.setdefault(str(entry.get("intent_id")), []).append(entry)
        for intent_id, entry in reversed(intents.items()):
            if exclude is not None and intent_id == exclude.id:
                continue
            if entry.get("flow_key") != flow_key:
                continue
            if str(entry.get("flow_type")) != flow_type:
                continue
            if str(entry.get("flow_name") or "").casefold() != flow_name.casefold():
                continue
            seen = outcomes.get(intent_id, [])
            if not seen or seen[-1].get("outcome") == "unknown":
                return intent_id
            if any(o.get("outcome") in ("success", "adopted") and o.get("flow_id") == flow_id for o in seen):
                return intent_id
        return None


def _note(index: _Index, entry: dict[str, object]) -> None:
    """Update the index with one entry of the journal (in the order they were written)."""
    flow_id = entry.get("flow_id")
    if not isinstance(flow_id, str):
        return
    if entry.get("event") == INTENT:
        if entry.get("action") == "update":
            index.open_updates[flow_id] = str(entry.get("intent_id"))
        return
    if entry.get("event") == STEP:
        index.steps[flow_id] = Step(
            intent_id=str(entry.get("intent_id")),
            action=entry.get("action"),  # type: ignore[arg-type]
            flow_key=str(entry.get("flow_key")),
            flow_id=flow_id,
            step=str(entry.get("step")),
            revision=str(entry.get("version_after") or ""),
            digest=str(entry["content_sha256"]) if entry.get("content_sha256") else None,
        )
        return
    if entry.get("event") != OUTCOME:
        return
    outcome = entry.get("outcome")
    if outcome in ("success", "adopted"):
        # Only a write that ended well settles a step: a failure after it (the deactivation
        # refused, say) leaves the flow as the step left it. A stale step is harmless: recovery
        # acts only while the live revision is still the step's.
        index.steps.pop(flow_id, None)
    if outcome != "unknown" and index.open_updates.get(flow_id) == entry.get("intent_id"):
        del index.open_updates[flow_id]
    if outcome not in ("success", "adopted"):
        return
    if entry.get("action") == "delete":
        index.writes.pop(flow_id, None)
        index.open_updates.pop(flow_id, None)
        return
    revision = entry.get("version_after")
    if revision is None or revision == "":
        return
    digest = entry.get("content_sha256")
    index.writes[flow_id] = Write(
        intent_id=str(entry.get("intent_id")),
        flow_key=str(entry.get("flow_key")),
        flow_id=flow_id,
        revision=str(revision),
        digest=str(digest) if digest is not None else None,
        allow_destroy=entry.get("allow_destroy") is True,
        revision_inferred=str(entry["version_inferred"]) if entry.get("version_inferred") else None,
    )
    index.open_updates.pop(flow_id, None)


def outcome_of(exc: BaseException) -> Outcome:
    """ "unknown" when the write may have been applied (no answer to a sent request, a 5xx, a crash
    of ours), else
    "failure" (the server answered no; a 429 is refused before anything is applied)."""
    from provider.errors import ArchitectError, ServerError, TransportError

    if isinstance(exc, TransportError):  # refused before a byte was sent (a token call, DNS): no
        return "unknown" if exc.ambiguous else "failure"
    if isinstance(exc, ServerError):
        return "unknown"
    return "failure" if isinstance(exc, ArchitectError) else "unknown"
