"""The one conversion module: every outside form of a flow round-trips through the canonical document."""

from __future__ import annotations

from provider.domain import convert
from provider.domain.document import FlowDocument
from provider.domain.fields import FILE_ORDER, MANAGED_FIELDS

INPUTS = {
    "name": "Main IVR",
    "description": "entry",
    "type": "INBOUNDCALL",
    "lifecycle_state": "published",
    "references": ["menu"],
    "blocks": [{"id": "m", "type": "menu", "children": [{"id": "x", "type": "call", "reference": "menu"}]}],
}


def test_inputs_to_document_to_live_fields_and_back_are_lossless():
    doc = convert.from_inputs(INPUTS, key="main-ivr")
    assert isinstance(doc, FlowDocument) and doc.key == "main-ivr"
    live = {
        **convert.as_document(doc),
        "references": ["id-menu"],
        "blocks": convert.map_block_references(doc.blocks or (), {"menu": "id-menu"}),
    }
    assert live["blocks"][0]["children"][0]["reference"] == "id-menu"
    back = convert.to_logical(live, {"id-menu": "menu"})
    assert back == convert.as_document(doc) == INPUTS
    assert tuple(back) == FILE_ORDER and set(FILE_ORDER) == set(MANAGED_FIELDS)


def test_defaults_of_absent_optional_fields():
    doc = convert.from_inputs({"name": "A", "lifecycle_state": "draft"}, key="a")
    assert convert.as_document(doc) == {
        "name": "A",
        "description": "",
        "type": "INBOUNDCALL",
        "lifecycle_state": "draft",
        "references": [],
        "blocks": [],
    }
