"""The wire models (provider/platforms/architecture_api/models.py): wire names, managed fields, the
contract's enums."""

from __future__ import annotations

import pydantic
import pytest

from provider.domain.blocks import Block
from provider.domain.convert import to_logical
from provider.domain.fields import MANAGED_FIELDS, FlowType, LifecycleState
from provider.domain.loading import FlowDefinition, as_document
from provider.platforms.architecture_api.models import Flow, FlowFields, to_flow_fields

WIRE_FLOW = {
    "id": "5b1c3a4e-0000-4000-8000-000000000001",
    "name": "Customer Routing Flow",
    "description": "",
    "type": "INBOUNDCALL",
    "lifecycle_state": "draft",
    "_version": 3,
    "blocks": [
        {"id": "root", "type": "routing", "children": [{"id": "xfer", "type": "transfer", "reference": "f2"}]}
    ],
    "references": ["f2"],
    "dateCreated": "2026-11-28T10:00:00.000Z",
    "dateModified": "2026-11-28T10:05:00.000Z",
    "selfUri": "/api/v2/architect/flows/5b1c3a4e-0000-4000-8000-000000000001",
}


def test_flow_parses_and_serializes_with_wire_names():
    flow = Flow.model_validate(WIRE_FLOW)
    assert flow.version == 3
    assert flow.type is FlowType.INBOUNDCALL
    assert flow.lifecycle_state is LifecycleState.DRAFT
    assert flow.blocks[0].children[0].reference == "f2"
    out = flow.to_json()
    assert out["_version"] == 3 and "version" not in out
    assert out["lifecycle_state"] == "draft"
    assert Flow.model_validate(out) == flow


def test_flow_ignores_unknown_response_fields_but_fields_reject_typos():
    Flow.model_validate({**WIRE_FLOW, "somethingNew": 1})
    with pytest.raises(pydantic.ValidationError):
        FlowFields.model_validate({"name": "x", "lifecycle_state": "draft", "refrences": []})


def test_to_wire_has_exactly_the_managed_fields():
    fields = FlowFields(name="a", lifecycle_state=LifecycleState.PUBLISHED, blocks=[Block(id="b", type="t")])
    wire = fields.to_wire()
    assert tuple(wire) == MANAGED_FIELDS
    assert wire["type"] == "INBOUNDCALL" and wire["lifecycle_state"] == "published"
    assert wire["blocks"] == [{"id": "b", "type": "t", "children": []}]
    assert Flow.model_validate(WIRE_FLOW).to_fields().to_wire()["references"] == ["f2"]


def test_flow_types_and_lifecycle_states_of_the_contract():
    assert len(FlowType) == 21 and len(LifecycleState) == 3


def _definition() -> FlowDefinition:
    return FlowDefinition.model_validate(
        {
            "key": "main",
            "name": "Main",
            "type": "INBOUNDCALL",
            "lifecycle_state": "published",
            "references": ["menu", "greeting"],
            "blocks": [
                {"id": "g", "type": "call", "reference": "greeting"},
                {"id": "m", "type": "menu", "children": [{"id": "x", "type": "call", "reference": "menu"}]},
            ],
        }
    )


def test_to_flow_fields_maps_every_key_to_its_id():
    fields = to_flow_fields(_definition(), {"menu": "id-menu", "greeting": "id-greeting"})
    wire = fields.to_wire()
    assert wire["references"] == ["id-menu", "id-greeting"]
    assert wire["blocks"][0]["reference"] == "id-greeting"
    assert wire["blocks"][1]["children"][0]["reference"] == "id-menu"
    with pytest.raises(KeyError, match="greeting"):
        to_flow_fields(_definition(), {"menu": "id-menu"})


def test_to_logical_is_the_reverse_and_keeps_unknown_ids():
    fields = to_flow_fields(_definition(), {"menu": "id-menu", "greeting": "id-greeting"})
    back = to_logical(fields.to_wire(), {"id-menu": "menu", "id-greeting": "greeting"})
    assert back == as_document(_definition())
    partial = to_logical(fields.to_wire(), {"id-menu": "menu"})
    assert partial["references"] == ["menu", "id-greeting"]
