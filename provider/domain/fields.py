"""A flow's managed fields and their vocabulary, the same on every platform: the flow types, the
lifecycle states, and which fields a writer manages (the provider diffs them; files write them in
`FILE_ORDER`)."""

from __future__ import annotations

from enum import StrEnum


class FlowType(StrEnum):
    """The real platform's 21 flow types; a platform's rules reject the ones it does not know
    (architecture-api: BUSINESSPROCESS, EMAILSEND)."""

    BOT = "BOT"
    BUSINESSPROCESS = "BUSINESSPROCESS"
    COMMONMODULE = "COMMONMODULE"
    DIGITALBOT = "DIGITALBOT"
    EMAILSEND = "EMAILSEND"
    INBOUNDCALL = "INBOUNDCALL"
    INBOUNDCHAT = "INBOUNDCHAT"
    INBOUNDEMAIL = "INBOUNDEMAIL"
    INBOUNDSHORTMESSAGE = "INBOUNDSHORTMESSAGE"
    INQUEUECALL = "INQUEUECALL"
    INQUEUEEMAIL = "INQUEUEEMAIL"
    INQUEUESHORTMESSAGE = "INQUEUESHORTMESSAGE"
    OUTBOUNDCALL = "OUTBOUNDCALL"
    SECURECALL = "SECURECALL"
    SPEECH = "SPEECH"
    SURVEYINVITE = "SURVEYINVITE"
    VOICE = "VOICE"
    VOICEMAIL = "VOICEMAIL"
    VOICESURVEY = "VOICESURVEY"
    WORKFLOW = "WORKFLOW"
    WORKITEM = "WORKITEM"


class LifecycleState(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


#: The fields a writer manages (and the provider diffs). `type` is immutable after create.
MANAGED_FIELDS: tuple[str, ...] = ("name", "description", "type", "lifecycle_state", "blocks", "references")
#: The same fields in the order definition and snapshot files write them (the block tree last).
FILE_ORDER: tuple[str, ...] = (*(f for f in MANAGED_FIELDS if f != "blocks"), "blocks")
