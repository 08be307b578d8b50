"""A trivial dynamic resource for the engine smoke test: its provider lives in an importable module,
as Pulumi requires, and makes no network calls."""

from __future__ import annotations

import hashlib
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult


def _describe(greeting: str) -> dict[str, Any]:
    return {"greeting": greeting, "length": len(greeting)}


class EchoProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        rid = hashlib.sha256(props["greeting"].encode()).hexdigest()[:12]
        return CreateResult(id_=rid, outs=_describe(props["greeting"]))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = olds.get("greeting") != news.get("greeting")
        return DiffResult(changes=changed, replaces=[], delete_before_replace=False)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs=_describe(news["greeting"]))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_=id_, outs=_describe(props["greeting"]))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None


class Echo(Resource):
    greeting: pulumi.Output[str]
    length: pulumi.Output[int]

    def __init__(self, name: str, greeting: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None):
        super().__init__(EchoProvider(), name, {"greeting": greeting, "length": None}, opts)
