"""The bad-input cases of the contract: the client's own validation finds what the emulator would
answer (same fields, same rules), before anything is sent. Each case is also sent raw to the
emulator to check the two agree."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from emulator.testing import get_token
from provider.domain.problems import RULE_BAD_REQUEST
from provider.platforms.architecture_api.rules import validate_flow

GOOD: dict[str, Any] = {
    "name": "Parity",
    "lifecycle_state": "draft",
    "blocks": [{"id": "root", "type": "menu", "children": [{"id": "leaf", "type": "t"}]}],
    "references": [],
}


def deep(levels: int) -> list[dict[str, Any]]:
    block: dict[str, Any] = {"id": f"b{levels}", "type": "t"}
    for level in range(levels - 1, 0, -1):
        block = {"id": f"b{level}", "type": "t", "children": [block]}
    return [block]


CASES_422: dict[str, dict[str, Any]] = {
    "blank name": {"name": "  "},
    "long name": {"name": "n" * 201},
    "long description": {"description": "d" * 2001},
    "unknown type": {"type": "FAX"},
    "unknown state": {"lifecycle_state": "live"},
    "created archived": {"lifecycle_state": "archived"},
    "bad block id": {"blocks": [{"id": "has space", "type": "t"}]},
    "long block id": {"blocks": [{"id": "i" * 65, "type": "t"}]},
    "empty block type": {"blocks": [{"id": "a", "type": ""}]},
    "missing block type": {"blocks": [{"id": "a"}]},
    "duplicate block id": {"blocks": [{"id": "a", "type": "t", "children": [{"id": "a", "type": "t"}]}]},
    "too deep": {"blocks": deep(21)},
    "too many": {"blocks": [{"id": f"b{i}", "type": "t"} for i in range(2001)]},
    "undeclared reference": {"blocks": [{"id": "a", "type": "t", "reference": "0000"}], "references": []},
    "repeated reference": {"references": ["x", "x"]},
}
CASES_400: dict[str, dict[str, Any]] = {
    "unknown field": {"colour": "red"},
    "server field": {"id": "abc"},
    "unknown block field": {"blocks": [{"id": "a", "type": "t", "colour": 1}]},
}


def post_raw(emulator, body: dict[str, Any]) -> requests.Response:
    token = get_token(emulator.url, "dev-rw")
    return requests.post(
        f"{emulator.url}/api/v2/architect/flows",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


@pytest.mark.parametrize("case", sorted(CASES_422))
def test_client_rules_match_the_server_422(emulator, case):
    body = {**GOOD, **CASES_422[case]}
    ours = {(p.field, p.rule) for p in validate_flow(body, flow=case)}
    assert ours, f"the client found nothing wrong with {case!r}"
    response = post_raw(emulator, body)
    if case == "repeated reference":
        # the server also says the (unknown) ids are unknown: a rule that needs the server
        server = {(d["fieldName"], d["errorCode"]) for d in response.json()["details"]}
        assert ours <= server
        return
    assert response.status_code == 422, response.text
    server = {(d["fieldName"], d["errorCode"]) for d in response.json()["details"]}
    ours_rules = {rule for _, rule in ours}
    assert ours_rules == {rule for _, rule in server}
    # fields agree except where a whole-tree limit is reported at a different path
    if "limit" not in next(iter(ours_rules)):
        assert ours == server


@pytest.mark.parametrize("case", sorted(CASES_400))
def test_client_flags_what_the_server_answers_400(emulator, case):
    body = {**GOOD, **CASES_400[case]}
    ours = {(p.field, p.rule) for p in validate_flow(body, flow=case)}
    response = post_raw(emulator, body)
    assert response.status_code == 400
    server_fields = {d["fieldName"] for d in response.json()["details"]}
    assert {field for field, rule in ours if rule == RULE_BAD_REQUEST} == server_fields
