"""Write-ahead intents around the provider's writes, and the adoption of a flow an interrupted run of
this stack created (see provider/governance/intents.py for the rule).

The provider's write-ahead protocol (`provider.deploy.write_ahead.recorded`) opens an intent before
each platform write and records its outcome after it; on a create that hits an existing flow or gets
no answer, `create` here adopts this stack's own flow (`adopt_after_duplicate` /
`look_up_after_unknown`). Before an update, `own_base` takes the live flow as the base when its revision
is the one this stack's last finished write recorded (the state may hold an older one: a run killed
without per-step checkpoints), so this stack's own write is not taken for someone else's change.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import time
from collections.abc import Mapping

from provider.deploy.inputs import ARCHY_SHA_KEY, DUPLICATE_CODES, INFERRED_KEY, FlowProviderError
from provider.domain import archy_text, convert
from provider.domain.document import FlowDocument
from provider.domain.fields import attribute_values
from provider.domain.yaml_safe import YamlError
from provider.errors import ArchitectError, ConflictError, TransportError
from provider.governance.intents import Action, Intent, IntentJournal, IntentWriteError, Write
from provider.platforms.base import (
    STEP_DEACTIVATION_PENDING,
    ContentExport,
    DraftRecovery,
    LiveFlow,
    Platform,
    RecordedWrites,
)

log = logging.getLogger(__name__)

#: Waits between the look-ups that resolve a create whose answer was lost (about 15 s in all).
LOOKUP_BACKOFF_S: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0)


def begin(
    journal: IntentJournal,
    action: Action,
    key: str,
    document: FlowDocument | None,
    *,
    name: str = "",
    type_: str = "",
    flow_id: str | None = None,
) -> Intent:
    """The durable intent, or a `FlowProviderError` refusing the write."""
    try:
        return journal.begin(
            action,
            flow_key=key,
            flow_type=str(document.type) if document is not None else type_,
            flow_name=document.name if document is not None else name,
            flow_id=flow_id,
        )
    except IntentWriteError as exc:
        raise FlowProviderError(
            f"flow {key!r}: {action} refused: {exc.strerror}. Nothing was written: every write is "
            f"recorded in the audit trail first (free space or fix genesys-flows:auditLog, then rerun)"
        ) from None


def digest(document: FlowDocument, ids: Mapping[str, str]) -> str:
    """What a write sends, as one digest: the document's managed fields and content, and the ids of
    the flows it references (recorded with a successful write's outcome)."""
    fields = document.model_dump(mode="json", exclude={"key", "aliases"})
    text = json.dumps({"document": fields, "ids": dict(sorted(ids.items()))}, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def finish_success(
    journal: IntentJournal,
    intent: Intent,
    flow: LiveFlow,
    document: FlowDocument,
    ids: Mapping[str, str],
    outcome: str = "success",
    *,
    allow_destroy: bool = False,
) -> None:
    """The outcome of a write that succeeded, with the revision it left and what it wrote."""
    journal.finish(
        intent,
        "adopted" if outcome == "adopted" else "success",
        flow_id=flow.id,
        revision=flow.revision or None,
        digest=digest(document, ids),
        allow_destroy=allow_destroy,
        revision_inferred=flow.extra.get(INFERRED_KEY) or None,
    )


def _as_written(
    live: LiveFlow, document: FlowDocument, ids: Mapping[str, str], written: str | None
) -> LiveFlow:
    """`live` (this stack's last write) as the base of the next write: when that write sent what the
    definition now says, genesys-cloud's content digest is set too, so no job deploys the same text."""
    if written is None or document.archy is None or written != digest(document, ids):
        return live
    sha = hashlib.sha256(document.archy.encode("utf-8")).hexdigest()
    return dataclasses.replace(live, extra={**live.extra, ARCHY_SHA_KEY: sha})


def _is_last_write(platform: Platform, live: LiveFlow, last: Write) -> bool:
    """Whether `live` shows this stack's last journaled write: its revision, or one the platform
    numbered otherwise than the write derived it, still this stack's (`RecordedWrites`, the same
    rule as a refresh's and an update's)."""
    if live.revision == last.revision:
        return True
    derived = {INFERRED_KEY: last.revision_inferred} if last.revision_inferred else {}
    recorded = dataclasses.replace(live, revision=last.revision, extra=derived)
    return isinstance(platform, RecordedWrites) and platform.is_recorded_write(live, recorded)


def own_base(
    platform: Platform,
    journal: IntentJournal,
    key: str,
    base: LiveFlow,
    document: FlowDocument,
    ids: Mapping[str, str],
) -> LiveFlow:
    """The base of an update of `base.id`: the state's (`base`), unless the state is older than this
    stack's own writes (a run killed before its state was written). Then the live flow is the base
    when it is provably this stack's: at the revision this stack's last finished write recorded, or,
    after an update intent left without an answer, holding exactly what this update sends. No
    conflict then, and nothing is written again when the flow already matches the definition. A live
    revision that is neither is someone else's change: the base stays, the conflict policy decides.
    Costs nothing (no call) unless the journal says the state may be stale."""
    completed = complete_deactivation(platform, journal, key, base.id)
    if completed is not None:
        return _as_written(completed[0], document, ids, completed[1])
    last = journal.last_write(flow_key=key, flow_id=base.id)
    interrupted = journal.interrupted_update(flow_id=base.id)
    if (last is None or last.revision == base.revision) and interrupted is None:
        return base
    live = platform.read(base.id)
    if live is None or live.revision == base.revision:
        return base
    if last is not None and _is_last_write(platform, live, last):
        why = f"this stack's own last write (intent {last.intent_id})"
        own = _as_written(live, document, ids, last.digest)
    elif interrupted is not None and _holds(platform, live, document, ids):
        why = f"what this stack's interrupted update (intent {interrupted}) sent"
        own = _as_written(live, document, ids, digest(document, ids))
    elif interrupted is not None and (
        after := _take_down_own_draft(platform, journal, key, live, document, ids)
    ):
        why = f"the draft this stack's interrupted update (intent {interrupted}) published, taken down"
        own = _as_written(after, document, ids, digest(document, ids))
    else:
        return base
    log.warning(
        "flow %s (%s): the state records revision %s; the live %s is %s: the base of this update",
        key,
        base.id,
        base.revision,
        live.revision,
        why,
    )
    return own


def complete_deactivation(
    platform: Platform, journal: IntentJournal, key: str, flow_id: str
) -> tuple[LiveFlow, str | None] | None:
    """A draft's write of this stack killed between its job (which published the flow) and the
    deactivation: while the flow is still exactly what that job left, it is deactivated now (under
    any conflict policy: the published revision is this stack's own, never someone else's) and the
    interrupted intent closed as a success. The flow after, and the digest of what that write sent;
    None when no such step is pending (or the flow moved on since: the usual checks decide)."""
    pending = journal.pending_step(flow_id=flow_id)
    if pending is None or pending.step != STEP_DEACTIVATION_PENDING:
        return None
    if not isinstance(platform, DraftRecovery):
        return None
    live = platform.read(flow_id)
    if live is None or live.revision != pending.revision:
        return None
    after = platform.deactivate(flow_id)
    if after is None:
        return None
    intent = Intent(pending.intent_id, pending.action, key, live.type, live.name)
    journal.finish(intent, "success", flow_id=flow_id, revision=after.revision or None, digest=pending.digest)
    log.warning(
        "flow %s (%s): this stack's interrupted write (intent %s) left its draft published at %s; "
        "deactivated it (now %s)",
        key,
        flow_id,
        pending.intent_id,
        pending.revision,
        after.revision,
    )
    return after, pending.digest


def _take_down_own_draft(
    platform: Platform,
    journal: IntentJournal,
    key: str,
    live: LiveFlow,
    document: FlowDocument,
    ids: Mapping[str, str],
) -> LiveFlow | None:
    """A draft's update killed while its job ran (before the step was journaled): the job published
    the flow. When the published content is exactly what that update sent, it is this stack's own
    revision: deactivated now, under any conflict policy, and the interrupted intent closed. The
    flow after; None when the live flow is anything else (the conflict policy decides then)."""
    interrupted = journal.interrupted_update(flow_id=live.id)
    if interrupted is None or not isinstance(platform, DraftRecovery):
        return None
    if str(document.lifecycle_state) != "draft" or live.lifecycle_state != "published":
        return None
    as_draft = dataclasses.replace(live, lifecycle_state=str(document.lifecycle_state))
    if not _holds(platform, as_draft, document, ids):
        return None
    after = platform.deactivate(live.id)
    if after is None:
        return None
    intent = Intent(interrupted, "update", key, live.type, live.name)
    journal.finish(
        intent, "success", flow_id=live.id, revision=after.revision or None, digest=digest(document, ids)
    )
    log.warning(
        "flow %s (%s): this stack's interrupted update (intent %s) left its draft published at %s; "
        "deactivated it (now %s)",
        key,
        live.id,
        interrupted,
        live.revision,
        after.revision,
    )
    return after


def _holds(platform: Platform, live: LiveFlow, document: FlowDocument, ids: Mapping[str, str]) -> bool:
    """The live flow holds exactly the definition (genesys-cloud: its Archy text, exported)."""
    if live.lifecycle_state != str(document.lifecycle_state) or not is_what_we_sent(live, document, ids):
        return False
    if document.archy is None:
        return True
    if not isinstance(platform, ContentExport):
        return False
    version = platform.content_version(live)
    if version is None:
        return False
    try:
        text = platform.fetch_content(live.id, version)
        return bool(archy_text.canonical(text) == archy_text.canonical(document.archy))
    except YamlError:
        return False


def _converge(
    platform: Platform,
    journal: IntentJournal,
    key: str,
    existing: LiveFlow,
    document: FlowDocument,
    ids: Mapping[str, str],
) -> LiveFlow:
    """The adopted flow made to match the definition (it may hold an older revision of it)."""
    complete_deactivation(platform, journal, key, existing.id)  # a draft its create left published
    base = platform.read(existing.id) or existing
    last = journal.last_write(flow_key=key, flow_id=existing.id)
    if last is not None and last.revision == base.revision:
        base = _as_written(base, document, ids, last.digest)
    elif document.archy is not None and _holds(platform, base, document, ids):
        base = _as_written(base, document, ids, digest(document, ids))  # no job for the same text
    return platform.update(existing.id, document, ids, base=base, policy="overwrite")


def adopt_after_duplicate(
    platform: Platform, journal: IntentJournal, intent: Intent, document: FlowDocument, ids: Mapping[str, str]
) -> LiveFlow | None:
    """The existing flow of this type and name, adopted and converged, when an earlier intent of this
    stack created it; None when it is someone else's (or cannot be found)."""
    existing = platform.find(document.name, str(document.type))
    if existing is None:
        return None
    match = journal.adoptable(
        flow_key=intent.flow_key,
        flow_type=str(document.type),
        flow_name=document.name,
        flow_id=existing.id,
        exclude=intent,
    )
    if match is None:
        return None
    log.warning(
        "flow %s: adopting %s (%s), created by this stack's interrupted write %s",
        intent.flow_key,
        existing.id,
        document.name,
        match,
    )
    flow = _converge(platform, journal, intent.flow_key, existing, document, ids)
    adopted = Intent(match, "create", intent.flow_key, intent.flow_type, intent.flow_name)
    finish_success(journal, adopted, flow, document, ids, "adopted")
    return flow


def create(
    platform: Platform, journal: IntentJournal, intent: Intent, document: FlowDocument, ids: Mapping[str, str]
) -> tuple[LiveFlow, bool]:
    """The create of `intent`: the flow, and whether it was adopted (this stack's interrupted create
    made it; that intent records the success). A type change replaces the flow under the same key:
    its predecessor (this stack's) is moved out of the name's way first, on a platform whose
    references bind by name. A duplicate that is not this stack's, or a create with no answer that no
    look-up finds, raises (the caller records failure or unknown)."""
    key = intent.flow_key
    for old_id in journal.written(flow_key=key):
        try:
            platform.set_aside(old_id, document)
        except ArchitectError as exc:
            raise FlowProviderError(f"flow {key!r}: create failed: {exc}") from None
    try:
        return platform.create(document, ids), False
    except ConflictError as exc:
        if exc.code not in DUPLICATE_CODES:
            raise
        try:
            adopted = adopt_after_duplicate(platform, journal, intent, document, ids)
        except ArchitectError as again:
            raise FlowProviderError(f"flow {key!r}: adopting this stack's flow failed: {again}") from None
        if adopted is None:
            raise exists_error(platform, key, document) from None
        return adopted, True
    except TransportError as exc:
        found = look_up_after_unknown(platform, document, ids) if exc.ambiguous else None
        if found is None:
            raise
        return found, False


def exists_error(platform: Platform, key: str, document: FlowDocument) -> FlowProviderError:
    try:
        existing = platform.find(document.name, str(document.type))
    except ArchitectError:
        existing = None
    where = f" (id {existing.id})" if existing is not None else ""
    return FlowProviderError(
        f"flow {key!r}: a live {document.type} flow named {document.name!r} already exists in the "
        f"organization{where}, and this resource does not manage it. Nothing was adopted. If it is "
        f"this stack's flow and you renamed its definition file, add `aliases: [<old key>]` to the "
        f"file; to adopt a flow made outside Pulumi, run `archctl import --stack <stack>`; or rename "
        f"the flow in the definition, or delete the existing flow"
    )


def look_up_after_unknown(
    platform: Platform, document: FlowDocument, ids: Mapping[str, str]
) -> LiveFlow | None:
    """After a create with no answer: the flow it made, looking up with backoff; None when every
    look-up found nothing or failed (the intent stays open for the next run). A flow of that name
    that is not what the create sent is someone else's (our create then hit its name): not ours."""
    for delay in (0.0, *LOOKUP_BACKOFF_S):
        time.sleep(delay)
        try:
            found = platform.find(document.name, str(document.type))
        except ArchitectError as exc:
            log.info("look-up of %s after an unanswered create failed: %s", document.name, exc)
            continue
        return found if found is not None and is_what_we_sent(found, document, ids) else None
    return None


def is_what_we_sent(found: LiveFlow, document: FlowDocument, ids: Mapping[str, str]) -> bool:
    """The live flow holds the document's fields (and, where the platform reports it, its content)."""
    if found.name.casefold() != document.name.casefold() or found.type != str(document.type):
        return False
    ours, theirs = (
        attribute_values(document, canonical=True),
        attribute_values(found.attributes, canonical=True),
    )
    if any(ours[name] != theirs[name] for name in found.attributes):  # the ones the platform carries
        return False
    if document.blocks is not None and isinstance(found.content, list):
        sent = convert.map_block_references(document.blocks, ids)  # logical keys as the ids sent
        return convert.canonical_blocks(found.content) == sent
    return True
