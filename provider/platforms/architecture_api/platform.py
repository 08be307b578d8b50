"""`ArchitectureApiPlatform`: the `base.Platform` seam over `ArchitectClient`.

Converts the canonical `FlowDocument` (logical keys) to the client's `FlowFields` (ids) and the
client's `Flow` to a `LiveFlow`; every rule, retry and merge stays in the client.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from provider.domain import convert
from provider.domain.document import FlowDocument
from provider.domain.fields import FlowType
from provider.domain.problems import RULE_INVALID, Problem
from provider.platforms.architecture_api.client import CONFLICT_POLICIES, ArchitectClient
from provider.platforms.architecture_api.models import Flow, to_flow_fields, wire_attributes
from provider.platforms.architecture_api.rules import validate_flow
from provider.platforms.base import ConflictPolicy, FlowRef, LiveFlow

NAME = "architecture-api"
#: Flow types of the canonical document this API does not know.
UNSUPPORTED_TYPES: frozenset[FlowType] = frozenset({FlowType.BUSINESSPROCESS, FlowType.EMAILSEND})


def live_flow(flow: Flow) -> LiveFlow:
    """The client's `Flow` as the seam's `LiveFlow` (`revision` is the `_version`)."""
    return LiveFlow(
        id=flow.id,
        name=flow.name,
        type=flow.type.value,
        lifecycle_state=flow.lifecycle_state.value,
        revision=str(flow.version),
        references=tuple(flow.references),
        content=[block.model_dump(mode="json", exclude_none=True) for block in flow.blocks],
        self_uri=flow.selfUri,
        extra={"dateModified": flow.dateModified or ""},
        attributes=wire_attributes(flow),
    )


def api_flow(live: LiveFlow) -> Flow:
    """A `LiveFlow` back as the client's `Flow` (the base of an update)."""
    return Flow.model_validate(
        {
            "id": live.id,
            "_version": int(live.revision or 0),
            "name": live.name,
            **live.attributes,
            "type": live.type,
            "lifecycle_state": live.lifecycle_state,
            "references": list(live.references),
            "blocks": live.content or [],
        }
    )


class ArchitectureApiPlatform:
    """The tutorial's Architecture API behind the `base.Platform` interface."""

    name = NAME
    conflict_policies: frozenset[str] = frozenset(CONFLICT_POLICIES)

    def __init__(self, client: ArchitectClient) -> None:
        self.client = client

    def validate(self, document: FlowDocument, *, current: LiveFlow | None = None) -> list[Problem]:
        data = convert.logical_fields(document)
        return validate_flow(data, flow=document.key, current=current) + platform_problems(
            data, flow=document.key
        )

    def create(self, document: FlowDocument, ids: Mapping[str, str]) -> LiveFlow:
        return live_flow(self.client.create_flow(to_flow_fields(document, ids)))

    def read(self, flow_id: str) -> LiveFlow | None:
        from provider.errors import NotFoundError

        try:
            return live_flow(self.client.get_flow(flow_id))
        except NotFoundError:
            return None

    def update(
        self,
        flow_id: str,
        document: FlowDocument,
        ids: Mapping[str, str],
        *,
        base: LiveFlow,
        policy: ConflictPolicy,
        previous_ids: Mapping[str, str] | None = None,  # references are ids here: nothing to follow
    ) -> LiveFlow:
        desired = to_flow_fields(document, ids)
        return live_flow(self.client.update_flow(flow_id, desired, base=api_flow(base), policy=policy))

    def delete(self, flow_id: str, *, name: str = "") -> None:
        self.client.delete_flow(flow_id, name=name or None)

    def find(self, name: str, type: str) -> LiveFlow | None:
        found = self.client.find_flow(name, type)
        return live_flow(found) if found is not None else None

    def list_flows(self) -> Iterator[LiveFlow]:
        for flow in self.client.iter_flows():
            yield live_flow(flow)

    def consumers(self, flow_id: str) -> list[FlowRef]:
        report = self.client.dependencies(flow_id)
        return [FlowRef(id=d.id, name=d.name or "", type=d.type or "") for d in report.consumingResources]

    def set_aside(self, flow_id: str, document: FlowDocument) -> bool:
        return False  # references are ids here: a replaced flow is never mistaken for its successor


def platform_problems(data: Mapping[str, Any], *, flow: str) -> list[Problem]:
    """The rules this platform adds to the domain's: the flow types it does not know."""
    if data.get("type") in {t.value for t in UNSUPPORTED_TYPES}:
        return [
            Problem(
                flow=flow,
                field="type",
                rule=RULE_INVALID,
                message=f"type {data['type']} is not supported by the {NAME} platform",
            )
        ]
    return []
