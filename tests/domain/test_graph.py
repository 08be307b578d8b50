"""The reference graph: order, unknown/self references, every cycle with its path, publish rule."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provider.domain.graph import GraphNode, precheck, strongly_connected_components
from provider.domain.problems import RULE_CYCLE, RULE_UNKNOWN, RULE_UNPUBLISHED


def nodes_from(edges: dict[str, list[str]], states: dict[str, str] | None = None) -> dict[str, GraphNode]:
    states = states or {}
    return {k: GraphNode(references=v, lifecycle_state=states.get(k, "draft")) for k, v in edges.items()}


def assert_valid_order(order: list[str], edges: dict[str, list[str]]) -> None:
    position = {k: i for i, k in enumerate(order)}
    assert sorted(order) == sorted(edges)
    for key, refs in edges.items():
        for ref in refs:
            if ref in position and ref != key:
                assert position[ref] < position[key], (ref, key)


def test_order_dependencies_first():
    edges = {"menu": ["billing", "support"], "billing": ["common"], "support": ["common"], "common": []}
    report = precheck(nodes_from(edges))
    assert report.problems == []
    assert report.order[0] == "common" and report.order[-1] == "menu"
    assert_valid_order(report.order, edges)


def test_cycle_reported_with_its_path():
    report = precheck(nodes_from({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}))
    cycles = [p for p in report.problems if p.rule == RULE_CYCLE]
    assert len(cycles) == 1
    assert "a → b → c → a" in cycles[0].message
    assert cycles[0].flow == "a"
    # the order still holds every node, dependents after the cycle
    assert report.order.index("d") > max(report.order.index(k) for k in "abc")


def test_every_cycle_each_component_and_self_loops():
    edges = {
        "a": ["b"],
        "b": ["a"],
        "x": ["y"],
        "y": ["z"],
        "z": ["x"],
        "s": ["s"],
        "hub": ["p", "q"],
        "p": ["hub"],
        "q": ["hub"],
    }
    report = precheck(nodes_from(edges))
    messages = [p.message for p in report.problems if p.rule == RULE_CYCLE]
    assert any("a → b → a" in m for m in messages)
    assert any("x → y → z → x" in m for m in messages)
    # two distinct cycles through one hub
    assert any("hub → p → hub" in m for m in messages) and any("hub → q → hub" in m for m in messages)
    self_refs = [p for p in report.problems if p.rule == RULE_UNKNOWN]
    assert len(self_refs) == 1 and self_refs[0].flow == "s" and "s → s" in self_refs[0].message


def test_unknown_references_and_external_flows():
    report = precheck(nodes_from({"a": ["ghost", "ext-1"]}), external={"ext-1": "published"})
    assert [(p.flow, p.field, p.rule) for p in report.problems] == [("a", "references[0]", RULE_UNKNOWN)]
    assert "ghost" in report.problems[0].message


def test_published_references_only_published():
    edges = {"pub": ["drafty", "pub2", "ext"], "drafty": [], "pub2": []}
    report = precheck(
        nodes_from(edges, {"pub": "published", "pub2": "published"}), external={"ext": "archived"}
    )
    found = [(p.field, p.rule) for p in report.problems]
    assert found == [("references[0]", RULE_UNPUBLISHED), ("references[2]", RULE_UNPUBLISHED)]
    assert "'drafty' is draft" in report.problems[0].message
    # a draft may reference anything
    assert precheck(nodes_from({"d": ["x"], "x": []})).problems == []


@pytest.mark.slow
def test_100000_deep_chain_and_cycle_without_recursion():
    n = 100_000
    edges = {f"n{i}": ([f"n{i + 1}"] if i < n - 1 else []) for i in range(n)}
    report = precheck(nodes_from(edges))
    assert report.problems == []
    assert report.order[0] == f"n{n - 1}" and report.order[-1] == "n0"
    edges[f"n{n - 1}"] = ["n0"]
    report = precheck(nodes_from(edges))
    assert [p.rule for p in report.problems] == [RULE_CYCLE]
    assert len(report.cycles[0]) == n + 1
    assert report.problems[0].message.startswith("references form a cycle: n0 → n1 → ")
    assert "more)" in report.problems[0].message  # a huge path is abbreviated in the message


@st.composite
def dags(draw, max_nodes: int = 40):
    n = draw(st.integers(min_value=1, max_value=max_nodes))
    names = draw(st.permutations([f"f{i}" for i in range(n)]))
    edges: dict[str, list[str]] = {}
    for i, name in enumerate(names):
        targets = (
            draw(st.lists(st.integers(min_value=0, max_value=max(0, i - 1)), max_size=4, unique=True))
            if i
            else []
        )
        edges[name] = [names[t] for t in targets]
    order = draw(st.permutations(list(edges)))
    return {k: edges[k] for k in order}


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(dags())
def test_random_dags_sort_correctly(edges):
    report = precheck(nodes_from(edges))
    assert report.problems == []
    assert_valid_order(report.order, edges)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(dags(), st.data())
def test_random_cycles_are_found(edges, data):
    names = list(edges)
    if len(names) < 2:
        names.append("extra")
        edges["extra"] = []
    cycle = data.draw(st.lists(st.sampled_from(names), min_size=2, max_size=len(names), unique=True))
    for a, b in zip(cycle, cycle[1:] + cycle[:1], strict=True):
        if b not in edges[a]:
            edges[a] = [*edges[a], b]
    report = precheck(nodes_from(edges))
    assert report.cycles, "an injected cycle must be found"
    assert all(p.rule == RULE_CYCLE for p in report.problems)
    for found in report.cycles:
        assert found[0] == found[-1]
        for a, b in itertools.pairwise(found):
            assert b in edges[a], (found, a, b)
    covered = {k for c in report.cycles for k in c}
    assert set(cycle) <= covered
    # one reported cycle at least per non-trivial component
    components = [c for c in strongly_connected_components(edges) if len(c) > 1]
    for component in components:
        assert any(set(c) <= set(component) for c in report.cycles)
    assert sorted(report.order) == sorted(edges)


def test_a_cycle_edge_with_a_content_path_is_named_by_it_and_the_others_by_references():
    """Nodes whose references come from content (genesys-cloud's Archy) carry where each one is: a
    cycle names that path (`archy: <path>`) for the edge out of the flow it is reported on; plain
    references (architecture-api) keep the field `references` and the same message."""
    paths = {"a": {"b": "inboundCall.x[0].transferToFlow"}, "b": {"a": "commonModule.y.callCommonModule"}}
    nodes = {k: GraphNode(references=list(v), reference_paths=v) for k, v in paths.items()}
    [problem] = precheck(nodes).problems
    assert (problem.flow, problem.field, problem.rule) == (
        "a",
        "archy: inboundCall.x[0].transferToFlow",
        RULE_CYCLE,
    )
    assert problem.message == "references form a cycle: a → b → a"
    [plain] = precheck(nodes_from({"a": ["b"], "b": ["a"]})).problems
    assert (plain.field, plain.message) == ("references", problem.message)
    itself = precheck({"s": GraphNode(references=["s"], reference_paths={"s": "inboundCall.t"})}).problems
    assert [(p.field, p.rule) for p in itself] == [("archy: inboundCall.t", RULE_UNKNOWN)]
