"""Write-ahead intents around the provider's writes, and the adoption of a flow an interrupted run of
this stack created (see provider/governance/intents.py for the rule).

The provider (`provider.deploy.resource`) calls `begin` before each platform write, `finish` after it,
and on a create that hits an existing flow or gets no answer, `adopt_after_duplicate` /
`look_up_after_unknown`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from provider.deploy.inputs import FlowProviderError
from provider.domain import convert
from provider.domain.document import FlowDocument
from provider.errors import ArchitectError
from provider.governance.intents import Action, Intent, IntentJournal, IntentWriteError
from provider.platforms.base import LiveFlow, Platform

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


def _converge(
    platform: Platform, existing: LiveFlow, document: FlowDocument, ids: Mapping[str, str]
) -> LiveFlow:
    """The adopted flow made to match the definition (it may hold an older revision of it)."""
    base = platform.read(existing.id) or existing
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
    flow = _converge(platform, existing, document, ids)
    journal.finish(
        Intent(match, "create", intent.flow_key, intent.flow_type, intent.flow_name),
        "adopted",
        flow_id=existing.id,
    )
    return flow


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
    if (found.description or "") != (document.description or ""):
        return False
    if document.blocks is not None and isinstance(found.content, list):
        sent = convert.to_flow_fields(document, ids).to_wire().get("blocks", [])
        return convert.canonical_blocks(found.content) == convert.canonical_blocks(sent)
    return True
