"""archy.py: type, name, description and references read from Archy YAML, without I/O."""

from __future__ import annotations

import pytest

from provider.platforms.genesys_cloud import archy
from provider.platforms.genesys_cloud.archy import ArchyError, FlowRefByName

SAMPLE = """\
inboundCall:
  name: Main IVR
  description: front door
  tasks:
    - task:
        name: Main
        actions:
          - callCommonModule:
              commonModule:
                Shared Greeting:
                  ver_latestPublished: {}
          - decision:
              outputs:
                yes:
                  actions:
                    - transferToFlow:
                        targetFlow:
                          name: Billing
                    - transferToFlowSecure:
                        targetFlow:
                          name: Payments
                    - callCommonModule:
                        commonModule:
                          Shared Greeting:
                            ver_latestPublished: {}
"""


def test_reads_type_name_description_and_every_reference_once() -> None:
    doc = archy.parse(SAMPLE)
    assert (doc.type, doc.name, doc.description, doc.top_key) == (
        "INBOUNDCALL",
        "Main IVR",
        "front door",
        "inboundCall",
    )
    assert doc.references == (
        FlowRefByName("Shared Greeting", "COMMONMODULE", "callCommonModule"),
        FlowRefByName("Billing", None, "transferToFlow"),
        FlowRefByName("Payments", None, "transferToFlowSecure"),
    )


@pytest.mark.parametrize(("key", "flow_type"), sorted(archy.ARCHY_TYPES.items()))
def test_every_top_level_key_of_the_contract_maps_to_its_type(key: str, flow_type: str) -> None:
    assert archy.parse(f"{key}:\n  name: X1\n").type == flow_type


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("inboundCall: [unclosed", "not valid YAML at line"),
        ("inboundCall:\n  name: A\nworkflow:\n  name: B\n", "exactly one top-level key"),
        ("- just\n- a list\n", "exactly one top-level key"),
        ("inboundCalls:\n  name: A\n", "unknown top-level key 'inboundCalls'"),
        ("inboundCall:\n  description: no name\n", "inboundCall.name: missing"),
        ("inboundCall: just text\n", "expected a mapping"),
        ("", "exactly one top-level key"),
    ],
)
def test_unusable_documents_say_why(text: str, fragment: str) -> None:
    with pytest.raises(ArchyError, match=None) as info:
        archy.parse(text)
    assert fragment in str(info.value)


def test_references_are_found_in_a_very_deep_tree_without_recursion() -> None:
    tree: dict[str, object] = {"transferToFlow": {"targetFlow": {"name": "Deep"}}}
    for _ in range(20_000):  # far beyond Python's recursion limit
        tree = {"actions": [tree]}
    assert archy.referenced_flows(tree) == (FlowRefByName("Deep", None, "transferToFlow"),)


def test_malformed_reference_shapes_are_ignored_not_fatal() -> None:
    tree = {
        "callCommonModule": {"commonModule": None},
        "transferToFlow": {"targetFlow": "not a mapping"},
        "transferToFlowSecure": {"targetFlow": {"name": 42}},
    }
    assert archy.referenced_flows(tree) == ()
