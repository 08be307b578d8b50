"""The benchmark's baseline: the flow provider with every API call taken out (check and diff are the
real ones), so `bench/pulumi_up.py` can tell the engine's own cost from the API's."""

from __future__ import annotations

import uuid
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult

from provider.deploy.inputs import slim
from provider.deploy.resource import CONNECTION_KEY, FlowProvider, normalize_inputs
from provider.deploy.sdk_patches import sdk_pickle


def _outs(props: dict[str, Any], flow_id: str, version: int) -> dict[str, Any]:
    out = normalize_inputs(props)
    out.update(
        {
            "flowId": flow_id,
            "version": version,
            "lifecycleState": out.get("lifecycle_state"),
            "dateModified": "1970-01-01T00:00:00.000Z",
            "selfUri": f"/api/v2/architect/flows/{flow_id}",
        }
    )
    return slim(out)  # the real provider's state shape


class NullFlowProvider(FlowProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        flow_id = str(uuid.uuid4())
        return CreateResult(flow_id, _outs(props, flow_id, 1))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_, props)

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(_outs(_news, _id, int(_olds.get("version") or 0) + 1))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None


class NullFlow(pulumi.dynamic.Resource, module="architect", name="NullFlow"):
    """`provider.deploy.resource.Flow`'s signature, backed by `NullFlowProvider`."""

    flowId: pulumi.Output[str]
    version: pulumi.Output[int]

    def __init__(self, resource_name: str, **kwargs: Any) -> None:
        props: dict[str, Any] = {
            "name": kwargs["name"],
            "description": kwargs.get("description", ""),
            "type": kwargs.get("type"),
            "lifecycle_state": kwargs["lifecycle_state"],
            "blocks": kwargs.get("blocks") or [],
            "references": kwargs.get("references") or [],
            "referenceIds": dict(kwargs.get("reference_ids") or {}),
            "flowKey": kwargs.get("flow_key") or resource_name,
            CONNECTION_KEY: dict(kwargs.get("connection") or {}),
            **{k: None for k in ("flowId", "version", "lifecycleState", "dateModified", "selfUri")},
        }
        opts = pulumi.ResourceOptions(additional_secret_outputs=[CONNECTION_KEY])
        sdk_pickle.install()  # as Flow does: the SDK's serializer fails past ~950 resources
        super().__init__(NullFlowProvider(), resource_name, props, opts)
