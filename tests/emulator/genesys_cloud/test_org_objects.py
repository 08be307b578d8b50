"""The org objects on the real API's routes (emulator/routes/org_objects.py), in process: every answer
parses with the official SDK's model (no key it lacks), listings page and filter by name, GET by id,
each route gated by its view permission; seeded by the fixture file and the admin API, per org."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from emulator.genesys.objects import TYPES
from emulator.testing import DEMO_CLIENTS, InProcessEmulator

from ._gc import assert_gc_error, check_sdk

URL = "http://org-objects.emulator.test"


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessEmulator]:
    config = Path(tmp_path_factory.mktemp("cfg")) / "config.yaml"
    config.write_text(
        "admin_key: k\norganizations:\n  dev:\n    clients:\n"
        "      dev-rw: {secret: dev-rw-demo-secret, scopes: [architect:flow:read, architect:flow:write]}\n"
        "      dev-noqueue:\n        secret: s\n        scopes: [architect:flow:read]\n"
        "        permissions: [architect:flow:view, architect:scheduleGroup:view]\n"
        "  staging:\n    clients:\n"
        "      staging-rw: {secret: staging-rw-demo-secret, scopes: [architect:flow:read]}\n"
    )
    folder = Path(tmp_path_factory.mktemp("org-objects"))
    with InProcessEmulator(folder / "a.db", url=URL, config_path=config) as emulator:
        yield emulator


def _client(emu: InProcessEmulator, client_id: str, secret: str) -> requests.Session:
    session = requests.Session()
    emu.mount(session)
    token = session.post(
        f"{URL}/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    session.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
    return session


@pytest.fixture
def dev(emu: InProcessEmulator) -> requests.Session:
    emu.admin.reset()
    return _client(emu, "dev-rw", DEMO_CLIENTS["dev-rw"])


def _ok(response: requests.Response, model: str) -> Any:
    assert response.status_code == 200, response.text
    body = response.json()
    check_sdk(body, model)
    return body


def test_every_type_lists_and_gets_as_the_sdk_models_say(
    emu: InProcessEmulator, dev: requests.Session
) -> None:
    for object_type, kind in TYPES.items():
        name = "Acme Lookups/Find Account" if object_type == "dataAction" else f"Demo {object_type}"
        if object_type != "systemPrompt":
            check_sdk(emu.admin.gc_add_org_object("dev", object_type, name), kind.model)
        page = _ok(dev.get(URL + kind.route), kind.listing)
        assert page["total"] >= 1 and page["pageNumber"] == 1
        entity = page["entities"][-1] if object_type != "systemPrompt" else page["entities"][0]
        assert _ok(dev.get(f"{URL}{kind.route}/{entity['id']}"), kind.model) == entity
    action = _ok(
        dev.get(URL + TYPES["dataAction"].route, params={"name": "find account"}), "ActionEntityListing"
    )
    assert [(a["category"], a["name"]) for a in action["entities"]] == [("Acme Lookups", "Find Account")]
    missing = dev.get(f"{URL}{TYPES['queue'].route}/no-such-queue")
    assert_gc_error(missing, 404, "not.found")


def test_the_fixture_file_gives_each_org_its_own_objects_and_the_name_filter_is_exact(
    emu: InProcessEmulator, dev: requests.Session
) -> None:
    queues = TYPES["queue"].route
    assert [q["name"] for q in _ok(dev.get(URL + queues), "QueueEntityListing")["entities"]] == [
        "Tech Support DEV"
    ]
    staging = _client(emu, "staging-rw", DEMO_CLIENTS["staging-rw"])
    assert [q["name"] for q in _ok(staging.get(URL + queues), "QueueEntityListing")["entities"]] == [
        "Tech Support STG"
    ]
    assert _ok(dev.get(URL + queues, params={"name": "tech support dev"}), "QueueEntityListing")["total"] == 1
    assert _ok(dev.get(URL + queues, params={"name": "Tech Support"}), "QueueEntityListing")["total"] == 0
    assert _ok(dev.get(URL + queues, params={"name": "Tech*"}), "QueueEntityListing")["total"] == 1


def test_listings_page_with_next_uris(emu: InProcessEmulator, dev: requests.Session) -> None:
    for i in range(5):
        emu.admin.gc_add_org_object("dev", "skill", f"Skill {i}")
    route = URL + TYPES["skill"].route
    first = _ok(dev.get(route, params={"pageSize": 2}), "SkillEntityListing")
    assert first["total"] == 5 and first["pageCount"] == 3 and len(first["entities"]) == 2
    last = _ok(dev.get(URL + first["lastUri"]), "SkillEntityListing")
    assert [s["name"] for s in last["entities"]] == ["Skill 4"] and "nextUri" not in last
    for bad in ({"pageSize": 0}, {"pageSize": 501}, {"pageNumber": "x"}):
        assert_gc_error(dev.get(route, params=bad), 400, "invalid.value")
    assert emu.admin.gc_remove_org_object("dev", "skill", "Skill 4") == 1
    emu.admin.reset()
    assert _ok(dev.get(route), "SkillEntityListing")["total"] == 0  # back to the fixture file


def test_each_route_needs_its_view_permission(emu: InProcessEmulator, dev: requests.Session) -> None:
    narrow = _client(emu, "dev-noqueue", "s")
    refused = assert_gc_error(narrow.get(URL + TYPES["queue"].route), 403, "missing.permissions")
    assert refused["messageParams"] == {"permissions": "routing:queue:view"}
    _ok(narrow.get(URL + TYPES["scheduleGroup"].route), "ScheduleGroupEntityListing")


def test_the_admin_api_refuses_an_unknown_type_or_org(emu: InProcessEmulator, dev: requests.Session) -> None:
    from emulator.testing import AdminError

    with pytest.raises(AdminError):
        emu.admin.gc_add_org_object("dev", "trunk", "x")
    with pytest.raises(AdminError):
        emu.admin.gc_add_org_object("nowhere", "queue", "x")
