"""provider.domain.archy: type, name and referenced flows of Archy documents, resolved across a set."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from provider.domain import archy
from provider.domain.fields import FlowType

SAMPLES = Path(__file__).resolve().parents[2] / "flows" / "genesys-cloud"


def doc(text: str) -> archy.ArchyFlow:
    return archy.read(yaml.safe_load(text))


def test_reads_type_name_description_and_references_in_document_order():
    flow = doc(
        """
inboundCall:
  name: Main
  description: The front door
  menus:
    - menu:
        choices:
          - menuTask:
              actions:
                - callCommonModule:
                    commonModule:
                      Verify: {ver_latestPublished: {}}
                - transferToFlow: {targetFlow: {name: Billing}}
                - transferToFlowSecure: {targetFlow: {name: Payments}}
"""
    )
    assert (flow.type, flow.name, flow.description) == (FlowType.INBOUNDCALL, "Main", "The front door")
    assert [(r.name, r.type, r.action) for r in flow.references] == [
        ("Verify", FlowType.COMMONMODULE, "callCommonModule"),
        ("Billing", None, "transferToFlow"),
        ("Payments", FlowType.SECURECALL, "transferToFlowSecure"),
    ]
    expected = "inboundCall.menus[0].menu.choices[0].menuTask.actions[1].transferToFlow"
    assert flow.references[1].path == expected


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("[1, 2]", "", "exactly one top-level key"),
        ("{inboundCall: {name: a}, commonModule: {name: b}}", "", "exactly one top-level key"),
        ("{callFlow: {name: a}}", "callFlow", "unknown top-level key"),
        ("{inQueueCall: {name: a}}", "inQueueCall", "Archy writes 'inqueueCall'"),
        ("{inQueueEmail: {name: a}}", "inQueueEmail", "Archy writes 'inqueueEmail'"),
        ("{inQueueShortMessage: {name: a}}", "inQueueShortMessage", "Archy writes 'inqueueShortMessage'"),
        ("{bot: {name: a}}", "bot", "Archy writes 'botFlow'"),
        ("{inboundCall: [1]}", "inboundCall", "must hold a mapping"),
        ("{inboundCall: {description: x}}", "inboundCall.name", "is required"),
        ("{inboundCall: {name: '  '}}", "inboundCall.name", "is required"),
        ("{inboundCall: {name: a, description: [1]}}", "inboundCall.description", "must be text"),
    ],
)
def test_unusable_documents_name_the_field(text, field, words):
    with pytest.raises(archy.ArchyError) as info:
        doc(text)
    assert info.value.field == field
    assert words in info.value.message


def test_deep_documents_do_not_hit_the_recursion_limit():
    body: object = {"transferToFlow": {"targetFlow": {"name": "Deep"}}}
    for _ in range(5000):
        body = {"next": [body]}
    refs = archy.references(body)
    assert [r.name for r in refs] == ["Deep"]


def test_resolve_by_type_and_case_insensitive_name_and_report_unknown_and_ambiguous():
    flows = {
        "main": doc("{inboundCall: {name: Main, x: {transferToFlow: {targetFlow: {name: twin}}}}}"),
        "mod": doc("{commonModule: {name: Shared}}"),
        "user": doc("{inboundCall: {name: User, a: {callCommonModule: {commonModule: {SHARED: {}}}}}}"),
        "lost": doc("{inboundCall: {name: Lost, a: {callCommonModule: {commonModule: {Main: {}}}}}}"),
        "twin-a": doc("{inboundCall: {name: Twin}}"),
        "twin-b": doc("{inboundChat: {name: Twin}}"),
    }
    resolved, problems = archy.resolve(flows)
    assert resolved["user"] == ["mod"]
    assert resolved["lost"] == []  # "Main" is an INBOUNDCALL, not a COMMONMODULE
    rules = {(p.flow, p.rule) for p in problems}
    assert rules == {("lost", "architect.flow.reference.unknown"), ("main", archy.RULE_AMBIGUOUS)}
    ambiguous = next(p for p in problems if p.flow == "main")
    assert "twin-a, twin-b" in ambiguous.message


def test_declared_references_must_agree_with_the_content():
    assert archy.reference_problems("k", None, ["a"]) == []
    assert archy.reference_problems("k", ["a"], ["a"]) == []
    (problem,) = archy.reference_problems("k", ["b"], ["a"])
    assert (problem.flow, problem.field, problem.rule) == ("k", "references", archy.RULE_REFERENCES_DISAGREE)
    assert "uses a" in problem.message and "lists b" in problem.message


def test_the_sample_set_resolves_to_a_chain_a_diamond_and_shared_modules():
    flows = {
        path.name.removesuffix(".archy.yaml"): doc(path.read_text(encoding="utf-8"))
        for path in SAMPLES.glob("*.archy.yaml")
    }
    resolved, problems = archy.resolve(flows)
    assert problems == []
    assert resolved["vip-line"] == ["main-ivr"]
    assert resolved["main-ivr"] == ["billing-line", "support-line"]
    assert resolved["billing-line"] == ["verify-caller"]
    assert resolved["support-line"] == ["business-hours", "verify-caller"]
    assert resolved["holiday-line"] == ["business-hours"]


@pytest.mark.parametrize(("key", "flow_type"), sorted(archy.ARCHY_TYPES.items()))
def test_every_top_level_key_of_the_contract_maps_to_its_type(key, flow_type):
    parsed = archy.parse(f"{key}:\n  name: X1\n")
    assert (parsed.type, parsed.top_key) == (flow_type, key)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("inboundCall: [unclosed", "line 1"),
        ("", "exactly one top-level key"),
        ("inboundCall: &a {name: A}\n", "yaml.alias"),
        ("inboundCall:\n  name: A\n  name: B\n", "yaml.duplicate-key"),
    ],
)
def test_parse_uses_the_bounded_loader_and_says_why(text, fragment):
    with pytest.raises(archy.ArchyError) as info:
        archy.parse(text, source="main.archy.yaml")
    assert fragment in str(info.value)


def test_malformed_reference_shapes_are_ignored_not_fatal():
    tree = {
        "callCommonModule": {"commonModule": None},
        "transferToFlow": {"targetFlow": "not a mapping"},
        "transferToFlowSecure": {"targetFlow": {"name": 42}},
    }
    assert archy.references(tree) == []


def test_a_module_named_by_a_plain_string_counts():
    (ref,) = archy.references({"callCommonModule": {"commonModule": "Shared"}})
    assert (ref.name, ref.type) == ("Shared", FlowType.COMMONMODULE)


def test_archy_writes_lower_case_q_in_queue_keys_and_bot_flow_keys():
    assert archy.ARCHY_TYPES["inqueueCall"] is FlowType.INQUEUECALL
    assert archy.ARCHY_TYPES["inqueueShortMessage"] is FlowType.INQUEUESHORTMESSAGE
    assert archy.ARCHY_TYPES["botFlow"] is FlowType.BOT
    assert not {"inQueueCall", "inQueueEmail", "inQueueShortMessage", "bot"} & set(archy.ARCHY_TYPES)


def test_bot_digital_bot_and_in_queue_references_are_derived_with_their_types():
    flow = doc(
        """
inboundShortMessage:
  name: Front
  states:
    - state:
        actions:
          - callBotFlow:
              botFlow:
                Helper Bot: {ver_latestPublished: {inputs: {}}}
          - callDigitalBotFlow:
              digitalBotFlow:
                Digital Helper: {ver_latestPublished: {}}
          - transferToAcd:
              targetQueue: {lit: {name: Support}}
              overrideInQueueFlow: {name: Queue Music}
"""
    )
    assert [(r.name, r.types, r.action) for r in flow.references] == [
        ("Helper Bot", (FlowType.BOT, FlowType.DIGITALBOT), "callBotFlow"),
        ("Digital Helper", (FlowType.DIGITALBOT,), "callDigitalBotFlow"),
        ("Queue Music", (FlowType.INQUEUESHORTMESSAGE,), "transferToAcd"),  # the message media
    ]
    assert flow.references[2].path == "inboundShortMessage.states[0].state.actions[2].transferToAcd"


def test_settings_blocks_hold_defaults_not_references():
    flow = doc(
        """
inboundCall:
  name: Front
  settingsActionDefaults:
    transferToFlowSecure: {targetFlow: {name: Not A Reference}}
    callBotFlow: {botFlow: {Not A Bot: {}}}
    transferToAcd: {overrideInQueueFlow: {name: Not A Queue Flow}}
  settingsBotFlow: {intentSettings: [{intent: {name: Book}}]}
  tasks:
    - task: {actions: [{transferToFlowSecure: {targetFlow: {name: Pay}}}]}
"""
    )
    assert [r.name for r in flow.references] == ["Pay"]


def test_a_bot_reference_resolves_to_a_bot_or_digital_bot_and_an_in_queue_one_by_media():
    flows = {
        "msg": doc(
            "{inboundShortMessage: {name: M, a: [{callBotFlow: {botFlow: {Helper: {}}}}, "
            "{transferToAcd: {overrideInQueueFlow: {name: Hold}}}]}}"
        ),
        "helper": doc("{digitalBotFlow: {name: helper}}"),
        "hold": doc("{inqueueShortMessage: {name: Hold}}"),
        "other": doc("{inboundCall: {name: Hold}}"),  # same name, not an in-queue flow: not a candidate
    }
    resolved, problems = archy.resolve(flows)
    assert problems == []
    assert resolved["msg"] == ["helper", "hold"]
    lost = {"call": doc("{inboundCall: {name: C, a: {callBotFlow: {botFlow: {Hold: {}}}}}}")}
    (problem,) = archy.resolve(lost)[1]
    assert "BOT or DIGITALBOT flow 'Hold'" in problem.message


def test_an_acd_transfers_in_queue_flow_is_of_the_transferring_flows_media():
    flows = {
        "call": doc("{inboundCall: {name: C, a: {transferToAcd: {overrideInQueueFlow: {name: Hold}}}}}"),
        "email-hold": doc("{inqueueEmail: {name: Hold}}"),
    }
    (problem,) = archy.resolve(flows)[1]
    assert "INQUEUECALL flow 'Hold'" in problem.message
    flows["call-hold"] = doc("{inqueueCall: {name: Hold}}")
    assert archy.resolve(flows) == ({"call": ["call-hold"], "email-hold": [], "call-hold": []}, [])
    workflow = doc("{workflow: {name: W, a: {transferToAcd: {overrideInQueueFlow: {name: Hold}}}}}")
    assert workflow.references[0].types == archy.INQUEUE_TYPES  # no media: any in-queue flow
