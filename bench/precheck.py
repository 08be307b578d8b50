"""Benchmark: client-side validation plus the topological pre-check of a large set of flows.

1. 10,000 flows with 50,000 references (a random DAG: each flow references 5 earlier flows, every
   reference also used by a block), each validated, then the whole set pre-checked.
2. A 100,000-deep chain of references (and the same chain closed into one cycle).
Prints seconds and flows per second. No server involved.

    .venv/bin/python bench/precheck.py [--flows 10000] [--refs-per-flow 5] [--chain 100000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from provider.domain.graph import GraphNode, precheck
from provider.platforms.architecture_api.rules import validate_flow


def make_set(flows: int, refs_per_flow: int, seed: int = 1) -> dict[str, dict[str, Any]]:
    rng = random.Random(seed)
    definitions: dict[str, dict[str, Any]] = {}
    keys = [f"flow-{i:06d}" for i in range(flows)]
    # Early flows have fewer earlier flows to reference; the last ones make up for it, so the set
    # holds exactly flows * refs_per_flow references.
    counts = [min(i, refs_per_flow) for i in range(flows)]
    deficit = flows * refs_per_flow - sum(counts)
    for i in range(flows - 1, 0, -1):
        if deficit <= 0:
            break
        extra = min(deficit, i - counts[i])
        counts[i] += extra
        deficit -= extra
    for i, key in enumerate(keys):
        refs = rng.sample(keys[:i], counts[i]) if i else []
        blocks = [
            {
                "id": "root",
                "type": "menu",
                "children": [
                    {"id": f"call-{j}", "type": "transfer", "reference": ref} for j, ref in enumerate(refs)
                ],
            }
        ]
        definitions[key] = {
            "name": f"Flow {i}",
            "description": "generated",
            "type": "INBOUNDCALL",
            "lifecycle_state": "published",
            "blocks": blocks,
            "references": refs,
        }
    return definitions


def run_set(flows: int, refs_per_flow: int) -> None:
    definitions = make_set(flows, refs_per_flow)
    total_refs = sum(len(d["references"]) for d in definitions.values())
    started = time.perf_counter()
    problems = []
    for key, definition in definitions.items():
        problems.extend(validate_flow(definition, flow=key))
    validated = time.perf_counter()
    report = precheck(
        {
            k: GraphNode(references=d["references"], lifecycle_state=d["lifecycle_state"])
            for k, d in definitions.items()
        }
    )
    finished = time.perf_counter()
    assert not problems and not report.problems and len(report.order) == flows
    total = finished - started
    print(f"set: {flows} flows, {total_refs} references")
    print(f"  validation      {validated - started:8.3f} s  {flows / (validated - started):12,.0f} flows/s")
    print(f"  graph pre-check {finished - validated:8.3f} s  {flows / (finished - validated):12,.0f} flows/s")
    print(f"  total           {total:8.3f} s  {flows / total:12,.0f} flows/s")


def run_chain(length: int) -> None:
    nodes = {f"n{i}": GraphNode(references=[f"n{i + 1}"] if i < length - 1 else []) for i in range(length)}
    started = time.perf_counter()
    report = precheck(nodes)
    elapsed = time.perf_counter() - started
    assert not report.problems and report.order[0] == f"n{length - 1}"
    print(f"chain: {length} deep, acyclic  {elapsed:8.3f} s  {length / elapsed:12,.0f} flows/s")
    nodes[f"n{length - 1}"] = GraphNode(references=["n0"])
    started = time.perf_counter()
    report = precheck(nodes)
    elapsed = time.perf_counter() - started
    assert len(report.cycles) == 1 and len(report.cycles[0]) == length + 1
    print(f"chain: {length} deep, one cycle {elapsed:8.3f} s  {length / elapsed:12,.0f} flows/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=10_000)
    parser.add_argument("--refs-per-flow", type=int, default=5)
    parser.add_argument("--chain", type=int, default=100_000)
    args = parser.parse_args()
    run_set(args.flows, args.refs_per_flow)
    run_chain(args.chain)


if __name__ == "__main__":
    main()
