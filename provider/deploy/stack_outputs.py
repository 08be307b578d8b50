"""The stack's `flows` output, one shape on every platform.

Per flow: `{"id": <flow id>, "version": {"current", "published", "checkedIn"}}`, every pointer a
string or null. The Architecture API has one version number (`current`; no pointers); Genesys Cloud
has a published and a checked-in version (its revision `published=<v>;checkedIn=<v>`; `current` is
the checked-in one, else the published one). The Flow resources' own outputs are unchanged (the
state's shape is kept for compatibility).
"""

from __future__ import annotations

from typing import Any


def version_pointers(version: Any) -> dict[str, str | None]:
    """A Flow's `version` output (an int, or the pointers text) as the one object shape."""
    text = "" if version is None else str(version)
    if "=" not in text:
        return {"current": text or None, "published": None, "checkedIn": None}
    pointers = dict(part.split("=", 1) for part in text.split(";") if "=" in part)
    published = pointers.get("published") or None
    checked_in = pointers.get("checkedIn") or None
    return {"current": checked_in or published, "published": published, "checkedIn": checked_in}


#: The reference id a flow gets for a referenced flow that failed (`pulumi up --continue-on-error`):
#: the provider refuses it with one message naming the failed reference, and nothing is written.
FAILED_REFERENCE = "(failed)"


def recovered(output: Any, value: Any) -> Any:
    """`output`, or `value` when the flow it comes from failed (`Output.recover`, SDK ≥ 3.2xx; older
    releases: `output` as it is, and a failure faults its dependents as before)."""
    recover = getattr(output, "recover", None)
    return output if recover is None else recover(lambda _exc: value)
