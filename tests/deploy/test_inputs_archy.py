"""The genesys-cloud shape of a Flow's inputs and outputs (no engine, no network): the Archy text is a
diffed input, the revision we wrote is the base of the next update, a refresh keeps that base."""

from __future__ import annotations

from provider.deploy.inputs import (
    ARCHY_SHA_KEY,
    ARCHY_TEXT_SHA_KEY,
    changed_fields,
    content_sha,
    normalize_inputs,
    outputs,
    refreshed,
    slim,
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
    assert out["version"] == OURS and out[ARCHY_SHA_KEY] == "abc"
    # The Archy text is in the inputs only: a sha256 stands for it (the version pointers are in
    # `version`, the consumed ids read by nothing).
    assert "archy" not in out and "blocks" not in out
    assert out[ARCHY_TEXT_SHA_KEY] == content_sha("archy", TEXT)
    assert not {"consumedIds", "publishedVersion", "checkedInVersion"} & set(out)
    assert changed_fields(out, _inputs()) == []
    assert changed_fields(out, _inputs(TEXT + "  description: d\n")) == ["archy"]
    base = to_base("f1", out, _inputs())
    assert base.revision == OURS and base.extra == {ARCHY_SHA_KEY: "abc"} and base.content == TEXT
    assert to_base("f1", out).content is None  # not recorded; the platform does not need it


def test_outputs_written_before_compare_the_text_and_refresh_stores_them_slim() -> None:
    old = {**_inputs(), "flowId": "f1", "version": OURS, ARCHY_SHA_KEY: "abc", "consumedIds": ["x"]}
    old.update(publishedVersion="1.0", checkedInVersion="1.0")
    assert changed_fields(old, _inputs()) == []
    assert changed_fields(old, _inputs(TEXT + "  description: d\n")) == ["archy"]
    assert to_base("f1", old, _inputs()).extra == {ARCHY_SHA_KEY: "abc"}
    stored = slim(old)  # what a refresh that found our version stores
    assert stored == {k: v for k, v in outputs(_inputs(), _live()).items() if k in stored}
    assert set(outputs(_inputs(), _live())) - set(stored) == {"lifecycleState", "selfUri", "dateModified"}
    assert changed_fields(stored, _inputs()) == []


def test_refresh_shows_their_text_and_keeps_our_revision_as_the_base() -> None:
    out = outputs(_inputs(), _live())
    theirs = _live("published=2.0;checkedIn=2.0")
    text = "commonModule:\n  name: M\n  description: theirs\n"
    outs, inputs = refreshed(out, theirs, text)
    assert "theirs" in inputs["archy"] and outs[ARCHY_TEXT_SHA_KEY] == content_sha("archy", text)
    assert "archy" not in outs and inputs["blocks"] == []  # the inputs stay complete
    assert changed_fields(outs, _inputs()) == ["archy"]
    assert outs["version"] == OURS and outs[ARCHY_SHA_KEY] == "abc"
    assert outs["liveRevision"] == theirs.revision and outs["changedBy"] == "Alice Architect"
    assert changed_fields(inputs, _inputs()) == ["archy"]
