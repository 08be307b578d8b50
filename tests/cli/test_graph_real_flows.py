"""`archctl graph` draws every flow reference Archy holds: a bot called by a message flow and the
in-queue flow of an ACD transfer, as for common modules and transfers (issue 19)."""

from __future__ import annotations

from pathlib import Path

from provider.cli.definitions import graph_of
from provider.ops import sources


def test_graph_draws_bot_and_in_queue_edges_and_not_settings(tmp_path: Path) -> None:
    files = {
        "front.yaml": "archy: Front.yaml\nlifecycle_state: published\n",
        "Front.yaml": (
            "inboundShortMessage:\n  name: Front\n"
            "  settingsActionDefaults:\n    callBotFlow: {botFlow: {Ghost: {}}}\n"
            "  actions:\n"
            "    - callBotFlow: {botFlow: {Helper: {ver_latestPublished: {}}}}\n"
            "    - transferToAcd: {overrideInQueueFlow: {name: Hold}}\n"
        ),
        "helper.yaml": "archy: helper.yaml.tftpl\nlifecycle_state: published\n",
        "helper.yaml.tftpl": "botFlow:\n  name: Helper\n",
        "hold.yaml": "archy: Hold.yml\nlifecycle_state: published\n",
        "Hold.yml": "inqueueShortMessage:\n  name: Hold\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    nodes, edges = graph_of(sources.definition_docs(tmp_path, {}))
    assert {n["key"]: n["type"] for n in nodes} == {
        "front": "INBOUNDSHORTMESSAGE",
        "helper": "BOT",
        "hold": "INQUEUESHORTMESSAGE",
    }
    assert edges == [{"from": "front", "to": "helper"}, {"from": "front", "to": "hold"}]


def test_validate_counts_definitions_not_archy_files_and_reports_duplicates(tmp_path: Path) -> None:
    files = {
        "a.yaml": "archy: Flow A.yaml\nlifecycle_state: published\n",
        "Flow A.yaml": "inboundCall:\n  name: Same\n",
        "b.yaml": "archy: b.yaml.tftpl\nlifecycle_state: published\n",
        "b.yaml.tftpl": "inboundCall:\n  name: SAME\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    result = sources.validate_definitions(tmp_path, None)
    assert result.keys == ["a", "b"]
    (problem,) = result.problems
    assert problem.rule == "definition.flow.duplicate" and "a (a.yaml) and b (b.yaml)" in problem.message
