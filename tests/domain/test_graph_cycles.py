"""The deterministic choice of the references that close a cycle (genesys-cloud binds them by name)."""

from __future__ import annotations

import itertools
from graphlib import CycleError, TopologicalSorter

from hypothesis import given, settings
from hypothesis import strategies as st

from provider.domain.graph import GraphNode, closing_edges, precheck
from provider.domain.problems import RULE_CYCLE


def nodes_from(edges: dict[str, list[str]]) -> dict[str, GraphNode]:
    return {k: GraphNode(references=v, lifecycle_state="published") for k, v in edges.items()}


def acyclic_without(edges: dict[str, list[str]], closing: list[tuple[str, str]]) -> list[str]:
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for key, targets in edges.items():
        sorter.add(key, *(t for t in targets if (key, t) not in closing))
    return list(sorter.static_order())  # raises CycleError when a cycle is left


def test_two_flow_transfer_cycle_is_closed_by_the_later_key():
    edges = {"main-ivr": ["billing"], "billing": ["main-ivr"]}
    # The walk starts at the smallest key: billing → main-ivr is its tree edge, the way back closes.
    assert closing_edges(edges) == [("main-ivr", "billing")]
    report = precheck(nodes_from(edges), cycles_allowed=True)
    assert report.problems == []
    assert report.cycles == [["billing", "main-ivr", "billing"]]
    assert report.closing == [("main-ivr", "billing")]
    assert report.order == ["main-ivr", "billing"]  # the by-name holder first, then the target


def test_common_module_pair_and_outside_callers():
    edges = {"ivr": ["mod-a"], "mod-a": ["mod-b"], "mod-b": ["mod-a"], "other": ["mod-b"]}
    report = precheck(nodes_from(edges), cycles_allowed=True)
    assert report.closing == [("mod-b", "mod-a")]
    assert report.problems == []
    position = {k: i for i, k in enumerate(report.order)}
    assert position["mod-b"] < position["mod-a"] < position["ivr"]
    assert position["mod-b"] < position["other"]


def test_three_flow_cycle_and_chord():
    ring = {"a": ["b"], "b": ["c"], "c": ["a"]}
    assert closing_edges(ring) == [("c", "a")]
    chord = {"a": ["b"], "b": ["a", "c"], "c": ["a"]}
    assert closing_edges(chord) == [("b", "a"), ("c", "a")]
    report = precheck(nodes_from(chord), cycles_allowed=True)
    assert report.order == ["c", "b", "a"]


def test_choice_ignores_file_and_reference_order():
    base = {"x": ["y", "z"], "y": ["z", "x"], "z": ["x"]}
    expected = closing_edges(base)
    for keys in itertools.permutations(base):
        shuffled = {k: list(reversed(base[k])) for k in keys}
        assert closing_edges(shuffled) == expected


def test_cycles_still_refused_without_the_platform_flag():
    report = precheck(nodes_from({"a": ["b"], "b": ["a"]}))
    assert [p.rule for p in report.problems] == [RULE_CYCLE]
    assert report.closing == []


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from("abcdefgh"),
        st.lists(st.sampled_from("abcdefgh"), max_size=4, unique=True),
        min_size=1,
    )
)
def test_any_graph_is_acyclic_without_its_closing_edges(raw: dict[str, list[str]]) -> None:
    edges = {k: [t for t in v if t in raw and t != k] for k, v in raw.items()}
    closing = closing_edges(edges)
    order = acyclic_without(edges, closing)
    assert sorted(order) == sorted(edges)
    assert all(t in edges[s] for s, t in closing)
    # None is chosen needlessly: putting any one back brings a cycle back.
    for edge in closing:
        others = [e for e in closing if e != edge]
        try:
            acyclic_without(edges, others)
        except CycleError:
            continue
        raise AssertionError(f"{edge} closes no cycle")
