"""The wire models (provider/domain/models.py): wire names, managed fields, the contract's enums."""

from __future__ import annotations

import pydantic
import pytest

from provider.domain.blocks import Block
from provider.domain.fields import MANAGED_FIELDS, FlowType, LifecycleState
from provider.domain.models import Flow, FlowFields

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
