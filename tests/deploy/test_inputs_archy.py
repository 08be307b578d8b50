"""The genesys-cloud shape of a Flow's inputs and outputs (no engine, no network): the Archy text is a
diffed input, the revision we wrote is the base of the next update, a refresh keeps that base."""

from __future__ import annotations

from provider.deploy.inputs import (
    ARCHY_SHA_KEY,
    changed_fields,
    normalize_inputs,
    outputs,
    refreshed,
    to_base,
    to_document,
)
from provider.platforms.base import LiveFlow

TEXT = "commonModule:\n  name: M\n"
OURS = "published=1.0;checkedIn=1.0"


def _inputs(text: str = TEXT) -> dict[str, object]:
    return normalize_inputs(
        {
            "name": "M",
            "type": "COMMONMODULE",
            "lifecycle_state": "published",
            "archy": text,
            "references": [],
            "referenceIds": {},
            "flowKey": "m",
        }
    )


def _live(revision: str = OURS, **extra: str) -> LiveFlow:
    return LiveFlow(
        id="f1",
        name="M",
        type="COMMONMODULE",
        description="",
        lifecycle_state="published",
        revision=revision,
        changed_by="Alice Architect",
        extra={"publishedVersion": "1.0", "checkedInVersion": "1.0", ARCHY_SHA_KEY: "abc", **extra},
    )


def test_architecture_api_inputs_get_no_archy_key() -> None:
    assert "archy" not in normalize_inputs({"name": "x", "lifecycle_state": "draft"})


def test_the_archy_text_is_diffed_and_the_document_carries_it() -> None:
    assert changed_fields(_inputs(), _inputs(TEXT + "  description: d\n")) == ["archy"]
    assert changed_fields(_inputs(), _inputs()) == []
    document = to_document(_inputs())
    assert document.archy == TEXT and document.blocks is None


def test_outputs_keep_what_the_next_update_needs() -> None:
    out = outputs(_inputs(), _live())
    assert out["version"] == OURS and out[ARCHY_SHA_KEY] == "abc" and out["consumedIds"] == []
    base = to_base("f1", out)
    assert base.revision == OURS and base.extra[ARCHY_SHA_KEY] == "abc" and base.content == TEXT


def test_refresh_shows_their_text_and_keeps_our_revision_as_the_base() -> None:
    out = outputs(_inputs(), _live())
    theirs = _live("published=2.0;checkedIn=2.0")
    outs, inputs = refreshed(out, theirs, "commonModule:\n  name: M\n  description: theirs\n")
    assert "theirs" in inputs["archy"] and "theirs" in outs["archy"]
    assert outs["version"] == OURS and outs[ARCHY_SHA_KEY] == "abc"
    assert outs["liveRevision"] == theirs.revision and outs["changedBy"] == "Alice Architect"
    assert changed_fields(inputs, _inputs()) == ["archy"]
