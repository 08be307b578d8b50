"""The Archy corpus (tests/data/archy-corpus, README.md there: real public flows nobody on this team
wrote, from Genesys' Terraform provider and Genesys Cloud Blueprints) validates as Genesys and
CX-as-Code users keep it: their own file names, per-flow substitutions, bot and in-queue references."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from provider.domain.fields import FlowType
from provider.domain.loading import PreparedSet
from provider.platforms.genesys_cloud.loading import RULE_DUPLICATE, ArchyDefinition, prepare_archy

CORPUS = Path(__file__).resolve().parents[1] / "data" / "archy-corpus"
DUPLICATES = CORPUS / "duplicates"
#: The stack's substitutions: the values every blueprint shares.
STACK = {
    "default_language": "en-us",
    "division": "Home",
    "division_name": "Home",
    "home_division_name": "Home",
    "data_action_category": "Corpus Data Actions",
    "language": "en-us",
}
GC = "genesys-cloud"


def _content_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if "--" in p.name)


def test_the_corpus_has_at_least_25_real_files_each_listed_with_its_source() -> None:
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    files = _content_files(CORPUS) + _content_files(DUPLICATES)
    assert len(files) >= 25
    for path in files:
        row = next((line for line in readme.splitlines() if f"{path.name}`" in line), "")
        assert re.search(r"\| `[0-9a-f]{40}` \| MIT \|$", row), path.name


@pytest.fixture(scope="module")
def corpus() -> PreparedSet:
    return prepare_archy(CORPUS, STACK)


def test_every_corpus_file_validates_with_per_flow_substitutions(corpus: PreparedSet) -> None:
    assert corpus.problems == []
    assert len(corpus.definitions) == len(_content_files(CORPUS))
    assert all(isinstance(d, ArchyDefinition) and "{{" not in d.archy for d in corpus.definitions.values())
    duplicates = prepare_archy(DUPLICATES, STACK)
    assert duplicates.problems == [] and len(duplicates.definitions) == len(_content_files(DUPLICATES))


def test_the_corpus_covers_the_flow_types_and_references_real_flows_use(corpus: PreparedSet) -> None:
    definitions = corpus.definitions
    types = {d.type for d in definitions.values()}
    assert {
        FlowType.INBOUNDCALL,
        FlowType.INBOUNDCHAT,
        FlowType.INBOUNDEMAIL,
        FlowType.INBOUNDSHORTMESSAGE,
        FlowType.INQUEUECALL,
        FlowType.OUTBOUNDCALL,
        FlowType.WORKFLOW,
        FlowType.WORKITEM,
        FlowType.BOT,
    } <= types
    references = {key: d.references for key, d in definitions.items() if d.references}
    # A bot called by a message flow (placeholder-named and literal), an in-queue flow from a menu's
    # transfer to ACD, a transfer to another flow.
    assert references["awsp-basicmessageflow"] == ["awsp-basicbot"]
    assert references["wmsg-dudewheresmystuffmessage"] == ["wchat-dudeswheresmystuffbot"]
    assert references["park-call-park-agent-inbound-flow"] == ["park-default-in-queue-flow"]
    assert references["acb-proactive-callback-offer"] == ["acb-trigger-proactive-callback-workflow"]
    # And nothing else: settingsActionDefaults.transferToFlowSecure (in most inbound call flows) and
    # settingsBotFlow (in every bot) are no references.
    assert references == {
        "acb-proactive-callback-offer": ["acb-trigger-proactive-callback-workflow"],
        "awsp-basicmessageflow": ["awsp-basicbot"],
        "hours-webmessage-flow": ["hours-webmessage-bot-flow"],
        "park-call-park-agent-inbound-flow": ["park-default-in-queue-flow"],
        "sched-schedulerbotinboundmessageflow": ["sched-schedulingbot"],
        "triage-web-messaging-triage-bot": ["triage-quick-response-bot"],
        "wchat-dudewheresmystuffchat": ["wchat-dudeswheresmystuffbot"],
        "wmsg-dudewheresmystuffmessage": ["wchat-dudeswheresmystuffbot"],
    }
    assert sum("settingsActionDefaults:" in getattr(d, "archy", "") for d in definitions.values()) >= 20


def test_the_two_folders_together_show_the_real_duplicates(tmp_path: Path) -> None:
    for folder in (CORPUS, DUPLICATES):
        for path in folder.iterdir():
            if path.is_file():
                shutil.copy(path, tmp_path / path.name)
    prepared = prepare_archy(tmp_path, STACK)
    duplicates = sorted((p.flow, p.message.split(" both ")[0]) for p in prepared.problems)
    assert [p.rule for p in prepared.problems] == [RULE_DUPLICATE, RULE_DUPLICATE]
    assert duplicates == [
        (
            "cicd-emailcomprehendflow",
            "cicd-emailcomprehendflow (cicd-emailcomprehendflow.yaml) and "
            "emcomp-emailcomprehendflow (emcomp-emailcomprehendflow.yaml)",
        ),
        (
            "hours-del-webmessage-flow",
            "hours-del-webmessage-flow (hours-del-webmessage-flow.yaml) and "
            "hours-webmessage-flow (hours-webmessage-flow.yaml)",
        ),
    ]


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_per_flow_substitutions_follow_the_stack_in_two_stacks(tmp_path: Path, env: str) -> None:
    """The program's inputs for two stacks: a flow named by its own substitution over a stack value."""
    for path in _content_files(CORPUS):
        shutil.copy(path, tmp_path / path.name)
    for path in CORPUS.glob("*.yaml"):
        if "--" not in path.name:
            shutil.copy(path, tmp_path / path.name)
    definition = tmp_path / "awsp-basicbot.yaml"
    text = definition.read_text(encoding="utf-8")
    definition.write_text(re.sub(r'bot_name: ".*"', 'bot_name: "Basic Bot {{env}}"', text), encoding="utf-8")
    message = tmp_path / "awsp-basicmessageflow.yaml"
    text = message.read_text(encoding="utf-8")
    message.write_text(
        re.sub(r'bot_flow_name: ".*"', 'bot_flow_name: "Basic Bot {{env}}"', text), encoding="utf-8"
    )
    prepared = prepare_archy(tmp_path, {**STACK, "env": env})
    assert prepared.problems == []
    assert prepared.definitions["awsp-basicbot"].name == f"Basic Bot {env}"
    assert prepared.definitions["awsp-basicmessageflow"].references == ["awsp-basicbot"]
