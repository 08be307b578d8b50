"""Structural diff: each kind of difference found, nothing on identical flows."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provider.domain.structdiff import diff, diff_flow


def flow(**over):
    base = {
        "name": "Main Menu",
        "description": "entry",
        "type": "INBOUNDCALL",
        "lifecycle_state": "published",
        "references": ["support", "billing"],
        "blocks": [
            {
                "id": "root",
                "type": "menu",
                "children": [
                    {"id": "a", "type": "transfer", "reference": "support"},
                    {"id": "b", "type": "transfer", "reference": "billing"},
                    {"id": "c", "type": "say"},
                ],
            },
            {"id": "end", "type": "disconnect"},
        ],
    }
    base.update(over)
    return base


def kinds(changes):
    return [(c.kind, c.change, c.field, c.block) for c in changes]


def test_identical_flows_have_no_differences() -> None:
    a = {"main": flow(), "support": flow(name="Support", references=[], blocks=[])}
    result = diff(a, copy.deepcopy(a))
    assert result.identical and result.flows == [] and result.summary()["unchanged"] == 2
    assert "no differences" in result.render()


def test_reference_order_is_not_a_difference() -> None:
    assert diff_flow(flow(), flow(references=["billing", "support"])) == []


def test_field_and_lifecycle() -> None:
    changes = diff_flow(flow(), flow(description="new", lifecycle_state="draft", name="Menu"))
    assert kinds(changes) == [
        ("field", "changed", "name", None),
        ("field", "changed", "description", None),
        ("lifecycle", "changed", "lifecycle_state", None),
    ]
    assert changes[1].a == "entry" and changes[1].b == "new"
    assert "lifecycle_state: 'published' → 'draft'" in changes[2].describe()


def test_references_added_and_removed() -> None:
    changes = diff_flow(flow(), flow(references=["support", "fraud"]))
    assert kinds(changes) == [
        ("reference", "removed", "references", None),
        ("reference", "added", "references", None),
    ]
    assert changes[0].a == "billing" and changes[1].b == "fraud"


def test_block_added_removed_changed() -> None:
    b = flow()
    root = b["blocks"][0]
    root["children"] = [
        {"id": "a", "type": "transfer", "reference": "fraud"},  # reference changed
        {"id": "c", "type": "play"},  # type changed; b removed
        {"id": "d", "type": "say"},  # added
    ]
    changes = diff_flow(flow(), b)
    assert kinds(changes) == [
        ("block", "changed", "reference", "a"),
        ("block", "removed", None, "b"),
        ("block", "changed", "type", "c"),
        ("block", "added", None, "d"),
    ]
    assert changes[3].b == "root"  # added under root
    assert changes[1].a == "root"


def test_block_moved_to_another_parent_and_reordered() -> None:
    b = flow()
    root = b["blocks"][0]
    moved = root["children"].pop(2)  # c: from root to end
    b["blocks"][1]["children"] = [moved]
    changes = diff_flow(flow(), b)
    assert kinds(changes) == [("block", "moved", None, "c")]
    assert changes[0].a == "root[2]" and changes[0].b == "end[0]"

    c = flow()
    kids = c["blocks"][0]["children"]
    kids[0], kids[2] = kids[2], kids[0]  # a b c -> c b a
    changes = diff_flow(flow(), c)
    assert [ch.change for ch in changes] == ["moved", "moved"]  # two of three moved relative to the rest
    assert {ch.block for ch in changes} <= {"a", "b", "c"}


def test_insertion_does_not_make_siblings_moved() -> None:
    b = flow()
    b["blocks"][0]["children"].insert(0, {"id": "new", "type": "say"})
    assert kinds(diff_flow(flow(), b)) == [("block", "added", None, "new")]


def test_top_level_flows_added_and_removed() -> None:
    result = diff({"main": flow(), "old": flow(name="Old")}, {"main": flow(), "new": flow(name="New")})
    assert [(f.key, f.status) for f in result.flows] == [("new", "added"), ("old", "removed")]
    doc = result.to_json()
    assert doc["identical"] is False and doc["summary"] == {
        "added": 1,
        "removed": 1,
        "changed": 0,
        "unchanged": 1,
    }
    text = result.render()
    assert "+ new [New] (only in B)" in text and "- old [Old] (only in A)" in text


block_ids = st.sampled_from(["r", "a", "b", "c", "d", "e", "f"])


@st.composite
def trees(draw):
    ids = draw(st.lists(block_ids, unique=True, min_size=0, max_size=7))
    blocks: list[dict] = []
    nodes: list[dict] = []
    for block_id in ids:
        node = {"id": block_id, "type": draw(st.sampled_from(["say", "menu"]))}
        if nodes and draw(st.booleans()):
            parent = draw(st.sampled_from(nodes))
            parent.setdefault("children", []).append(node)
        else:
            blocks.append(node)
        nodes.append(node)
    return blocks


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(trees(), trees())
def test_diff_is_empty_exactly_when_equal(x, y) -> None:
    assert diff_flow(flow(blocks=x), flow(blocks=copy.deepcopy(x))) == []
    changes = diff_flow(flow(blocks=x), flow(blocks=y))
    from provider.domain.snapshot import normalize

    assert (changes == []) == (normalize(flow(blocks=x)) == normalize(flow(blocks=y)))
