"""GET /flows: paging fields and URIs, filters, sorting, bad paging values."""

from __future__ import annotations

import time

from emulator.testing import EmulatorProcess

from ._api import FLOWS, Api, assert_error


def test_paging_fields_and_uris(emulator: EmulatorProcess) -> None:
    api = Api(emulator.url)
    for i in range(7):
        api.create_ok(f"flow {i}")
    first = api.get(FLOWS, params={"pageSize": 3}).json()
    assert [f["name"] for f in first["entities"]] == ["flow 0", "flow 1", "flow 2"]
    assert {k: v for k, v in first.items() if k != "entities"} == {
        "pageSize": 3,
        "pageNumber": 1,
        "total": 7,
        "pageCount": 3,
        "selfUri": f"{FLOWS}?pageSize=3&pageNumber=1",
        "firstUri": f"{FLOWS}?pageSize=3&pageNumber=1",
        "lastUri": f"{FLOWS}?pageSize=3&pageNumber=3",
        "nextUri": f"{FLOWS}?pageSize=3&pageNumber=2",
    }
    middle = api.get(FLOWS, params={"pageSize": 3, "pageNumber": 2}).json()
    assert middle["previousUri"] == f"{FLOWS}?pageSize=3&pageNumber=1"
    assert middle["nextUri"] == f"{FLOWS}?pageSize=3&pageNumber=3"
    last = api.get(FLOWS, params={"pageSize": 3, "pageNumber": 3}).json()
    assert [f["name"] for f in last["entities"]] == ["flow 6"]
    assert "nextUri" not in last and last["previousUri"] == f"{FLOWS}?pageSize=3&pageNumber=2"
    beyond = api.get(FLOWS, params={"pageSize": 3, "pageNumber": 9}).json()
    assert beyond["entities"] == [] and beyond["total"] == 7 and "nextUri" not in beyond
    # Following nextUri walks every flow exactly once.
    seen, uri = [], f"{FLOWS}?pageSize=2"
    while uri:
        page = api.get(uri).json()
        seen += [f["id"] for f in page["entities"]]
        uri = page.get("nextUri")
    assert len(seen) == len(set(seen)) == 7
    default = api.get(FLOWS).json()
    assert default["pageSize"] == 25 and default["pageNumber"] == 1 and default["pageCount"] == 1
    assert "nextUri" not in default and "previousUri" not in default


def test_uris_preserve_the_query_string(emulator: EmulatorProcess) -> None:
    api = Api(emulator.url)
    for i in range(3):
        api.create_ok(f"n{i}", type="BOT")
    page = api.get(
        FLOWS, params={"type": "BOT", "sortBy": "name", "sortOrder": "desc", "pageNumber": 1, "pageSize": 1}
    ).json()
    assert page["nextUri"] == f"{FLOWS}?type=BOT&sortBy=name&sortOrder=desc&pageNumber=2&pageSize=1"
    assert page["lastUri"] == f"{FLOWS}?type=BOT&sortBy=name&sortOrder=desc&pageNumber=3&pageSize=1"
    assert api.get(page["nextUri"]).json()["entities"][0]["name"] == "n1"
    named = api.get(FLOWS, params={"name": "Ünï cödé & more"}).json()
    assert (
        named["selfUri"]
        == f"{FLOWS}?name=%C3%9Cn%C3%AF%20c%C3%B6d%C3%A9%20%26%20more&pageSize=25&pageNumber=1"
    )


def test_empty_listing(emulator: EmulatorProcess) -> None:
    body = Api(emulator.url).get(FLOWS).json()
    assert body["entities"] == [] and body["total"] == 0 and body["pageCount"] == 0
    assert body["lastUri"] == f"{FLOWS}?pageSize=25&pageNumber=1" and "nextUri" not in body


def test_bad_paging_and_filter_values(emulator: EmulatorProcess) -> None:
    api = Api(emulator.url)
    bad = [
        {"pageSize": "0"},
        {"pageSize": "501"},
        {"pageSize": "-1"},
        {"pageSize": "abc"},
        {"pageSize": "1.5"},
        {"pageSize": ""},
        {"pageSize": " 5"},
        {"pageNumber": "0"},
        {"pageNumber": "-3"},
        {"pageNumber": "1e3"},
        {"pageNumber": "9" * 40},
        {"type": "NOPE"},
        {"type": ""},
        {"lifecycle_state": "deleted"},
        {"sortBy": "id"},
        {"sortOrder": "ASC"},
    ]
    for params in bad:
        body = assert_error(api.get(FLOWS, params=params), 400, "invalid.query.param.value")
        assert body["details"][0]["fieldName"] == next(iter(params)), body
        assert next(iter(params)) in body["message"]
    assert api.get(FLOWS, params={"pageSize": "500", "pageNumber": "999999"}).status_code == 200


def test_filters(emulator: EmulatorProcess) -> None:
    api = Api(emulator.url)
    a = api.create_ok("Main Menu")
    b = api.create_ok("main menu", type="INBOUNDCHAT", lifecycle_state="published")
    api.create_ok("Main Menu 2")
    gone = api.create_ok("Gone")
    api.remove(gone["id"])

    def names(**params: str) -> list[str]:
        return sorted(f["id"] for f in api.get(FLOWS, params=params).json()["entities"])

    assert names(name="MAIN MENU") == sorted([a["id"], b["id"]])
    assert names(name="Main") == []
    assert names(name="Gone") == []
    assert names(type="INBOUNDCHAT") == [b["id"]]
    assert names(lifecycle_state="published") == [b["id"]]
    assert names(name="main menu", type="INBOUNDCALL", lifecycle_state="draft") == [a["id"]]
    assert api.get(FLOWS).json()["total"] == 3


def test_sorting(emulator: EmulatorProcess) -> None:
    api = Api(emulator.url)
    created = []
    for name in ["banana", "Apple", "cherry"]:
        created.append(api.create_ok(name))
        time.sleep(0.003)
    api.update_ok(created[0]["id"], 1, description="touched last")

    def order(**params: str) -> list[str]:
        return [f["name"] for f in api.get(FLOWS, params=params).json()["entities"]]

    assert order() == ["Apple", "banana", "cherry"]
    assert order(sortBy="name", sortOrder="desc") == ["cherry", "banana", "Apple"]
    assert order(sortBy="dateModified") == ["Apple", "cherry", "banana"]
    assert order(sortBy="dateModified", sortOrder="desc") == ["banana", "cherry", "Apple"]
