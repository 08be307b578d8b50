"""The reference graph of a set of flow definitions: order, unknown references, cycles, publish rule.

Keys are whatever the caller uses to name flows (logical names in the program, or ids); a node's
`references` name other keys (or, via `external`, flows that already exist outside the set).
Everything is iterative (graphlib for the order, an explicit-stack Tarjan for the cycles), so a
100,000-deep chain is fine.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter

from provider.domain.problems import RULE_CYCLE, RULE_UNKNOWN, RULE_UNPUBLISHED, Problem

ARROW = " → "
#: At most this many distinct cycles are reported per strongly connected component.
MAX_CYCLES_PER_COMPONENT = 50


@dataclass(frozen=True)
class GraphNode:
    references: Sequence[str] = ()
    lifecycle_state: str = "draft"
    #: Where each reference comes from, when it is derived from content (genesys-cloud: the Archy
    #: path of the action, e.g. `inboundCall.menus[0]...transferToFlow`): a problem about that edge
    #: (a cycle) names it as its field (`archy: <path>`) instead of `references`.
    reference_paths: Mapping[str, str] | None = None

    def field_of(self, target: str, default: str) -> str:
        path = (self.reference_paths or {}).get(target)
        return f"archy: {path}" if path else default


@dataclass
class GraphReport:
    """`order`: every key, dependencies before dependents (members of a cycle are kept together).
    `problems`: unknown/self references, cycles (with their paths) and unpublished references."""

    order: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    cycles: list[list[str]] = field(default_factory=list)
    #: With `cycles_allowed`: the edges (source, target) that close the cycles, bound by name; the
    #: graph without them is acyclic and `order` is one of its topological orders.
    closing: list[tuple[str, str]] = field(default_factory=list)
    #: With `cycles_allowed`: each cycle as it would be a problem (flow, the field of its edge, the
    #: path), for the caller to show as information.
    notes: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _state(value: object) -> str:
    return str(value)  # a LifecycleState (a StrEnum) or its string


def precheck(
    nodes: Mapping[str, GraphNode],
    *,
    external: Mapping[str, str] | None = None,
    cycles_allowed: bool = False,
) -> GraphReport:
    """Check the reference graph of `nodes`.

    `external` maps the ids of flows that exist outside the set to their lifecycle state; a reference
    to one of them is known (and counts for the published-references-only rule). `cycles_allowed`
    (a platform whose references bind by name): every cycle is still found and named in `cycles`,
    but it is no problem; `closing` holds the edges that close them (`closing_edges`).
    """
    report = GraphReport()
    edges = {key: _edges(key, node, nodes, external or {}, report) for key, node in nodes.items()}

    # The common case: no cycle. graphlib orders the graph directly (and detects a cycle).
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for key, targets in edges.items():
        sorter.add(key, *targets)
    try:
        report.order = list(sorter.static_order())
        return report
    except CycleError:
        pass
    _order_with_cycles(nodes, edges, report)
    if cycles_allowed:
        report.notes = [p for p in report.problems if p.rule == RULE_CYCLE]
        report.problems = [p for p in report.problems if p.rule != RULE_CYCLE]
        report.closing = closing_edges(edges)
        closed = set(report.closing)
        acyclic: TopologicalSorter[str] = TopologicalSorter()
        for key, targets in edges.items():
            acyclic.add(key, *(t for t in targets if (key, t) not in closed))
        report.order = list(acyclic.static_order())
    return report


def closing_edges(edges: Mapping[str, Sequence[str]]) -> list[tuple[str, str]]:
    """The edges that close the cycles of `edges`, chosen deterministically: within each strongly
    connected component, a depth-first walk from its smallest key, children in sorted order; an edge
    back to a key on the walk's path closes a cycle. Without them the graph is acyclic (the back
    edges of a depth-first walk are a feedback arc set), and the choice depends only on the keys,
    never on file or dict order. Iterative (no recursion)."""
    closing: list[tuple[str, str]] = []
    for members in strongly_connected_components(edges):
        inside = set(members)
        if len(inside) < 2:
            continue
        done: set[str] = set()
        for root in sorted(inside):
            if root in done:
                continue
            on_path: set[str] = {root}
            done.add(root)
            work: list[tuple[str, list[str]]] = [(root, sorted(t for t in edges[root] if t in inside))]
            while work:
                node, children = work[-1]
                if not children:
                    work.pop()
                    on_path.discard(node)
                    continue
                child = children.pop(0)
                if child in on_path:
                    closing.append((node, child))
                elif child not in done:
                    done.add(child)
                    on_path.add(child)
                    work.append((child, sorted(t for t in edges[child] if t in inside)))
    return sorted(closing)


def _edges(
    key: str,
    node: GraphNode,
    nodes: Mapping[str, GraphNode],
    external: Mapping[str, str],
    report: GraphReport,
) -> list[str]:
    """The flows of the set `key` references (each once); unknown, self and unpublished references
    reported."""
    targets: list[str] = []
    seen: set[str] = set()
    published = _state(node.lifecycle_state) == "published"
    for index, ref in enumerate(node.references):
        where = f"references[{index}]"
        if ref == key:
            report.problems.append(
                Problem(
                    key,
                    node.field_of(key, where),
                    RULE_UNKNOWN,
                    f"a flow cannot reference itself ({key}{ARROW}{key})",
                )
            )
            report.cycles.append([key, key])
            continue
        if ref in nodes:
            target_state = _state(nodes[ref].lifecycle_state)
            if ref not in seen:
                seen.add(ref)
                targets.append(ref)
        elif ref in external:
            target_state = _state(external[ref])
        else:
            report.problems.append(
                Problem(
                    key,
                    where,
                    RULE_UNKNOWN,
                    f"reference {ref!r} names no known flow",
                )
            )
            continue
        if published and target_state != "published":
            report.problems.append(
                Problem(
                    key,
                    where,
                    RULE_UNPUBLISHED,
                    f"a published flow may only reference published flows; {ref!r} is {target_state}",
                )
            )
    return targets


def _order_with_cycles(
    nodes: Mapping[str, GraphNode], edges: Mapping[str, list[str]], report: GraphReport
) -> None:
    """Every cycle reported (with its path), and an order all the same: the condensation (one unit
    per strongly connected component) ordered with graphlib, each unit expanded in file order."""
    components = strongly_connected_components(edges)
    component_of: dict[str, int] = {}
    for number, members in enumerate(components):
        for member in members:
            component_of[member] = number
    for number, members in enumerate(components):
        if len(members) > 1:
            for cycle in _cycles_in_component(members, edges, component_of, number):
                report.cycles.append(cycle)
                report.problems.append(
                    Problem(
                        cycle[0],
                        nodes[cycle[0]].field_of(cycle[1], "references"),
                        RULE_CYCLE,
                        "references form a cycle: " + render_path(cycle),
                    )
                )
    units: TopologicalSorter[int] = TopologicalSorter()
    for number, members in enumerate(components):
        deps = {component_of[t] for m in members for t in edges[m]}
        deps.discard(number)
        units.add(number, *deps)
    position = {key: i for i, key in enumerate(nodes)}
    for number in units.static_order():
        members = components[number]
        report.order.extend(members if len(members) == 1 else sorted(members, key=position.__getitem__))


def render_path(path: Sequence[str], limit: int = 200) -> str:
    """`a → b → c → a`; a very long path keeps its ends and says how many keys it left out."""
    if len(path) <= limit:
        return ARROW.join(path)
    head, tail = path[: limit // 2], path[-(limit // 2) :]
    return ARROW.join(head) + f"{ARROW}…({len(path) - len(head) - len(tail)} more){ARROW}" + ARROW.join(tail)


def strongly_connected_components(edges: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Tarjan's algorithm with an explicit stack (no recursion)."""
    index_of: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in edges:
        if root in index_of:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, child_index = work.pop()
            if child_index == 0:
                index_of[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            children = edges.get(node, ())
            recurse = False
            while child_index < len(children):
                child = children[child_index]
                child_index += 1
                if child not in index_of:
                    work.append((node, child_index))
                    work.append((child, 0))
                    recurse = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index_of[child])
            if recurse:
                continue
            if low[node] == index_of[node]:
                members = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.append(member)
                    if member == node:
                        break
                components.append(members)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components


def _shortest_cycle_through(
    start: str, edges: Mapping[str, Sequence[str]], component_of: Mapping[str, int], number: int
) -> list[str] | None:
    parent: dict[str, str] = {}
    queue: deque[str] = deque()
    for child in edges[start]:
        if component_of.get(child) == number and child not in parent:
            parent[child] = start
            queue.append(child)
    while queue:
        node = queue.popleft()
        if node == start:
            path = [start]
            cursor = parent[start]
            while cursor != start:
                path.append(cursor)
                cursor = parent[cursor]
            path.append(start)
            path.reverse()
            return path
        for child in edges[node]:
            if component_of.get(child) == number and child not in parent:
                parent[child] = node
                queue.append(child)
    return None


def _cycles_in_component(
    members: list[str], edges: Mapping[str, Sequence[str]], component_of: Mapping[str, int], number: int
) -> list[list[str]]:
    """Distinct cycles covering every member of a strongly connected component (bounded)."""
    cycles: list[list[str]] = []
    covered: set[Hashable] = set()
    for member in sorted(members):
        if member in covered:
            continue
        if len(cycles) >= MAX_CYCLES_PER_COMPONENT:
            break
        cycle = _shortest_cycle_through(member, edges, component_of, number)
        if cycle is None:  # pragma: no cover - every member of a non-trivial SCC lies on a cycle
            continue
        # Rotate so the cycle starts at its smallest key: the same cycle always reads the same.
        body = cycle[:-1]
        pivot = body.index(min(body))
        body = body[pivot:] + body[:pivot]
        canonical = [*body, body[0]]
        if canonical not in cycles:
            cycles.append(canonical)
        covered.update(body)
    return cycles
