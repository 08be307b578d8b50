"""What a flow's version pointers and references say: the revision token recorded in the state, the
content fingerprint, who changed it. Pure helpers over the `wire` models."""

from __future__ import annotations

import hashlib
from typing import Any

from .wire import EntityRef, Flow, FlowVersion

#: Extra key holding the sha256 of the Archy text last deployed (decides whether a job is needed).
EXTRA_ARCHY_SHA = "archySha256"


def archy_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def revision_of(flow: Flow) -> str:
    """The concurrency token of this platform: the two version pointers."""
    published = flow.publishedVersion.id if flow.publishedVersion else ""
    checked_in = flow.checkedInVersion.id if flow.checkedInVersion else ""
    return f"published={published};checkedIn={checked_in}"


def pointer(revision: str, key: str) -> str | None:
    for part in revision.split(";"):
        name, _, value = part.partition("=")
        if name == key:
            return value or None
    return None


def ref_name(ref: EntityRef | None) -> str | None:
    if ref is None:
        return None
    return ref.name or ref.id


def is_published(flow: Flow) -> bool:
    return flow.publishedVersion is not None


def flow_type_of(dep_type: str | None) -> str:
    if not dep_type:
        return ""
    if dep_type == "WORKFLOW":
        return dep_type
    return dep_type[: -len("FLOW")] if dep_type.endswith("FLOW") else dep_type


def error_code(body: Any) -> str | None:
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, str) else None


def version_order(version_id: str) -> tuple[int, ...]:
    """Platform-assigned version ids ("1.0", "2.0", …) in numeric order; an id of another form sorts
    first (never guessed newer)."""
    try:
        return tuple(int(part) for part in version_id.split("."))
    except ValueError:
        return (-1,)


#: Extra key: the revision recorded was not read back but derived from the job's answer
#: (`create`: a new flow's first version; `update`: the version after the pointers read before).
EXTRA_INFERRED = "revisionInferred"


def version_number(version: FlowVersion | None) -> int:
    """`"3.0"` → 3 (0 when absent or not of the platform's `<n>.0` form)."""
    head = (version.id if version else "").partition(".")[0]
    return int(head) if head.isdigit() else 0


def next_version(flow: Flow | None) -> str:
    """The version a job writes on `flow` (None: a new flow): one past every version it shows."""
    if flow is None:
        return "1.0"
    seen = (flow.publishedVersion, flow.checkedInVersion, flow.savedVersion)
    return f"{max(version_number(v) for v in seen) + 1}.0"


def by_client(flow: Flow, client_id: str) -> bool:
    """Whether the flow's checked-in version, published, was written by this OAuth client."""
    version, live = flow.checkedInVersion, flow.publishedVersion
    if version is None or live is None or live.id != version.id or version.createdByClient is None:
        return False
    return client_id in (version.createdByClient.id, version.createdByClient.name)


#: LiveFlow extra key: the live checked-in version, published, was written by this OAuth client
#: (`by_client`); read by `own_write`, never recorded in the state.
EXTRA_OWN_CHECKIN = "checkedInByUs"


def own_write(now: str, ours: bool, revision: str, inferred: str | None) -> bool:
    """Whether the live version pointers (`now`) are the write this stack recorded (`revision`): the
    same pointers, or, when the recorded ones were derived by an update (`inferred`, the
    `EXTRA_INFERRED` of the state) and the platform numbered the version otherwise (a version
    skipped), the live version is still this client's, checked in and published (`ours`). A create's
    derivation is not trusted so: a flow someone made under the name just before our job would carry
    our version over theirs."""
    return now == revision or (inferred == "update" and ours)
