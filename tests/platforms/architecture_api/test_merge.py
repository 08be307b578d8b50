"""Three-way merge per field: unit cases and properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provider.platforms.architecture_api.merge import three_way_merge
from provider.platforms.architecture_api.models import MUTABLE_FIELDS

FIELDS = ("name", "description", "lifecycle_state", "blocks", "references")


def test_only_ours_only_theirs_both():
    base = {"name": "n", "description": "d", "lifecycle_state": "draft", "blocks": [], "references": []}
    theirs = {**base, "description": "theirs", "name": "same"}
    ours = {
        **base,
        "blocks": [{"id": "a", "type": "t", "children": []}],
        "name": "same",
        "lifecycle_state": "published",
    }
    result = three_way_merge(base, theirs, ours, FIELDS)
    assert result.clean
    assert result.merged["description"] == "theirs"
    assert result.merged["blocks"] == ours["blocks"]
    assert result.to_send == {"blocks": ours["blocks"], "lifecycle_state": "published"}
    assert set(result.ours_changed) == {"name", "blocks", "lifecycle_state"}
    assert set(result.theirs_changed) == {"name", "description"}


def test_true_conflict_names_both_values():
    base = {"description": "base"}
    result = three_way_merge(base, {"description": "theirs"}, {"description": "ours"}, ["description"])
    assert result.conflicts == {"description": ("theirs", "ours")}
    assert result.to_send == {}
    assert result.resolved_with_ours() == {"description": "ours"}


def test_fields_absent_from_ours_keep_theirs():
    result = three_way_merge({"name": "a"}, {"name": "b"}, {}, ["name"])
    assert result.merged == {"name": "b"} and result.clean and result.to_send == {}


def test_mutable_fields_exclude_type():
    assert "type" not in MUTABLE_FIELDS


values = st.sampled_from(["x", "y", "z"]) | st.lists(st.sampled_from(["a", "b"]), max_size=2)
docs = st.fixed_dictionaries({f: values for f in FIELDS})


@pytest.mark.slow
@settings(max_examples=500, deadline=None)
@given(docs, docs, docs)
def test_merge_properties(base, theirs, ours):
    result = three_way_merge(base, theirs, ours, FIELDS)
    for f in FIELDS:
        b, t, o = base[f], theirs[f], ours[f]
        if o != b and t != b and o != t:
            assert result.conflicts[f] == (t, o)
            assert f not in result.to_send
        else:
            assert f not in result.conflicts
            expected = o if (o != b and t == b) else t
            assert result.merged[f] == expected
        assert result.merged[f] in (t, o)
    # sending to_send on top of theirs gives the merge
    assert {**theirs, **result.to_send} == {**theirs, **{f: result.merged[f] for f in FIELDS}}
    assert all(theirs[f] != v for f, v in result.to_send.items())


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(docs, docs)
def test_identity_laws(base, other):
    # nobody else changed anything: ours wins entirely
    result = three_way_merge(base, base, other, FIELDS)
    assert result.clean and result.merged == other
    # we changed nothing: theirs wins entirely and nothing is sent
    result = three_way_merge(base, other, base, FIELDS)
    assert result.clean and result.merged == other and result.to_send == {}
    # both made the same change: no conflict, nothing to send
    result = three_way_merge(base, other, other, FIELDS)
    assert result.clean and result.to_send == {}


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(docs, docs, docs)
def test_symmetry(base, theirs, ours):
    left = three_way_merge(base, theirs, ours, FIELDS)
    right = three_way_merge(base, ours, theirs, FIELDS)
    assert set(left.conflicts) == set(right.conflicts)
    assert {f: (o, t) for f, (t, o) in left.conflicts.items()} == right.conflicts
    if left.clean:
        assert left.merged == right.merged
