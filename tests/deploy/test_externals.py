"""Flows declared `external` (owned by another team): checked read-only against the org by the
provider's check (preview and up), one lookup each, zero writes; never a resource."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.testing import EmulatorProcess
from provider.deploy import externals, resource
from provider.deploy.resource import FlowProvider
from tests.emulator.genesys_cloud._gc import Gc
from tests.support.engine import Meter
from tests.support.gc_org import platform

BOT = "botFlow:\n  name: {name}\n  description: built in Architect by the bots team\n"


def _externals() -> list[dict[str, str]]:
    return [
        {"type": "BOT", "name": "Team Bot"},
        {"type": "DIGITALBOT", "name": "Not Built Yet"},
        {"type": "INQUEUESHORTMESSAGE", "name": "Draft Hold"},
    ]


def test_each_external_must_exist_and_be_published_with_lookups_only(emulator: EmulatorProcess) -> None:
    emulator.admin.gc_seed_flow("dev", BOT.format(name="Team Bot"))
    Gc(emulator.url).create("Draft Hold", "INQUEUESHORTMESSAGE")  # created, never published
    gc = platform(emulator.url)
    with Meter(emulator) as meter:
        problems = externals.external_problems("front", _externals(), lambda: gc.find)
    assert [(p.flow, p.field, p.rule) for p in problems] == [
        ("front", "external[1]", externals.RULE_EXTERNAL_MISSING),
        ("front", "external[2]", externals.RULE_EXTERNAL_UNPUBLISHED),
    ]
    assert "'Not Built Yet' does not exist" in problems[0].message
    assert "no published version" in problems[1].message
    assert meter.result.writes == 0
    # One lookup per external flow (plus, at most, the token).
    assert meter.result.total - meter.result.count("POST", "/oauth/token") == 3
    # Another flow naming the same external flows in the same run: no new lookup.
    with Meter(emulator) as meter:
        again = externals.external_problems("other", _externals(), lambda: gc.find)
    assert [p.rule for p in again] == [p.rule for p in problems] and meter.result.total == 0


def test_no_externals_no_platform() -> None:
    def explode() -> Any:
        raise AssertionError("no lookup without externals")

    assert externals.external_problems("k", [], explode) == []
    assert externals.external_problems("k", None, explode) == []


def test_the_providers_check_reports_a_missing_external(monkeypatch: pytest.MonkeyPatch) -> None:
    class Org:
        def find(self, name: str, type: str) -> None:
            return None

    monkeypatch.setattr(resource, "get_platform", lambda props: Org())
    news = {
        "name": "Front",
        "description": "",
        "type": "INBOUNDSHORTMESSAGE",
        "lifecycle_state": "published",
        "references": [],
        "blocks": [],
        "referenceIds": {},
        "flowKey": "front",
        "archy": "inboundShortMessage:\n  name: Front\n",
        externals.EXTERNAL_KEY: [{"type": "BOT", "name": "Team Bot"}],
    }
    failures = FlowProvider().check({}, news).failures
    assert [(f.property, f.reason.split(":")[0]) for f in failures] == [
        ("external[0]", externals.RULE_EXTERNAL_MISSING)
    ]
    assert "(flow front)" in failures[0].reason
