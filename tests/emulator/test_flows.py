"""The flow resource: create, get, PATCH with `_version`, soft delete, versions, dependencies, and
every flow rule of the contract with its exact status, code and detail errorCode."""

from __future__ import annotations

import uuid
from typing import Any

from emulator.testing import EmulatorProcess

from ._api import FLOWS, Api, assert_error, detail_fields

DEPS = "/api/v2/architect/dependencytracking/object"
RULE = "payload.or.params.invalid"


def _chain(depth: int) -> list[dict[str, Any]]:
    block: dict[str, Any] = {"id": f"b{depth}", "type": "t"}
    for level in range(depth - 1, 0, -1):
        block = {"id": f"b{level}", "type": "t", "children": [block]}
    return [block]


def test_create_returns_the_whole_flow(emulator: EmulatorProcess) -> None:
    api = Api(emulator.url)
    target = api.create_ok("Target")
    blocks = [
        {
            "id": "root",
            "type": "routing",
            "children": [{"id": "xfer", "type": "transfer", "reference": target["id"]}],
        }
    ]
    r = api.create("Customer Routing Flow", description="d", blocks=blocks, references=[target["id"]])
    assert r.status_code == 201
    flow = r.json()
    assert list(flow) == [
        "id", "name", "description", "type", "lifecycle_state", "_version", "blocks", "references",
        "dateCreated", "dateModified", "selfUri",
    ]  # fmt: skip
    uuid.UUID(flow["id"])
    assert r.headers["Location"] == f"{FLOWS}/{flow['id']}" == flow["selfUri"]
    assert flow["_version"] == 1
    assert flow["type"] == "INBOUNDCALL"
    assert flow["blocks"] == blocks and flow["references"] == [target["id"]]
    assert flow["dateCreated"] == flow["dateModified"]
    assert flow["dateCreated"].endswith("Z") and len(flow["dateCreated"]) == 24
    assert api.flow(flow["id"]).json() == flow
    assert target["description"] == "" and target["blocks"] == [] and target["references"] == []


def test_create_rejects_server_and_unknown_fields(emulator: EmulatorProcess) -> None:
    api = Api(emulator.url)
    for field, value in [("id", str(uuid.uuid4())), ("_version", 1), ("dateCreated", "x"), ("selfUri", "/x")]:
        body = assert_error(api.create("f", **{field: value}), 400, "bad.request")
        assert field in body["message"] and detail_fields(body) == [field]
    body = assert_error(api.create("f", colour="blue"), 400, "bad.request")
    assert "colour" in body["message"]
    blocks = [{"id": "a", "type": "t", "children": [{"id": "b", "type": "t", "extra": 1}]}]
    body = assert_error(api.create("f", blocks=blocks), 400, "bad.request")
    assert "blocks[0].children[0].extra" in body["message"]
    assert api.get(FLOWS).json()["total"] == 0


def test_create_rejects_wrong_types(emulator: EmulatorProcess) -> None:
    api = Api(emulator.url)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": 5, "lifecycle_state": "draft"}, "name"),
        ({"name": None, "lifecycle_state": "draft"}, "name"),
        ({"name": "x", "lifecycle_state": True}, "lifecycle_state"),
        ({"name": "x", "lifecycle_state": "draft", "description": None}, "description"),
        ({"name": "x", "lifecycle_state": "draft", "blocks": {}}, "blocks"),
        ({"name": "x", "lifecycle_state": "draft", "blocks": ["a"]}, "blocks[0]"),
        ({"name": "x", "lifecycle_state": "draft", "blocks": [{"id": 1, "type": "t"}]}, "blocks[0].id"),
        ({"name": "x", "lifecycle_state": "draft", "blocks": [{"id": "a", "type": "t", "children": None}]},
         "blocks[0].children"),
        ({"name": "x", "lifecycle_state": "draft", "references": "abc"}, "references"),
        ({"name": "x", "lifecycle_state": "draft", "references": [1]}, "references[0]"),
        ({"name": ["x"], "lifecycle_state": "draft"}, "name"),
    ]  # fmt: skip
    for payload, field in cases:
        body = assert_error(api.post(FLOWS, json=payload), 400, "bad.request")
        assert field in detail_fields(body), (payload, body)
    assert api.get(FLOWS).json()["total"] == 0


def test_field_rules(emulator: EmulatorProcess) -> None:
    api = Api(emulator.url)
    required, invalid = "architect.flow.field.required", "architect.flow.field.invalid"
    cases: list[tuple[dict[str, Any], list[tuple[str, str]]]] = [
        ({"lifecycle_state": "draft"}, [(required, "name")]),
        ({"name": "   ", "lifecycle_state": "draft"}, [(required, "name")]),
        ({"name": ""}, [(required, "name"), (required, "lifecycle_state")]),
        ({"name": "x" * 201, "lifecycle_state": "draft"}, [(invalid, "name")]),
        ({"name": "x", "lifecycle_state": "draft", "description": "d" * 2001}, [(invalid, "description")]),
        ({"name": "x", "lifecycle_state": "draft", "type": "NOPE"}, [(invalid, "type")]),
        ({"name": "x", "lifecycle_state": "draft", "type": "inboundcall"}, [(invalid, "type")]),
        ({"name": "x", "lifecycle_state": "Draft"}, [(invalid, "lifecycle_state")]),
        ({"name": "x", "lifecycle_state": "archived"},
         [("architect.flow.lifecycle.transition.invalid", "lifecycle_state")]),
        ({"name": "x", "lifecycle_state": "draft", "blocks": [{"type": "t"}, {"id": "a b", "type": ""}]},
         [(required, "blocks[0].id"), (invalid, "blocks[1].id"), (invalid, "blocks[1].type")]),
        ({"name": "x", "lifecycle_state": "draft", "blocks": [{"id": "i" * 65, "type": "t" * 65}]},
         [(invalid, "blocks[0].id"), (invalid, "blocks[0].type")]),
    ]  # fmt: skip
    for payload, expected in cases:
        body = assert_error(api.post(FLOWS, json=payload), 422, RULE)
        got = sorted((d["errorCode"], d["fieldName"]) for d in body["details"])
        assert got == sorted(expected), (payload, body)
    # Limits that are exactly at the bound pass.
    ok = api.create_ok(
        "  " + "n" * 200 + "  ", description="d" * 2000, blocks=[{"id": "i" * 64, "type": "t" * 64}]
    )
    assert ok["name"] == "  " + "n" * 200 + "  "
    assert api.get(FLOWS).json()["total"] == 1


def test_block_rules(emulator: EmulatorProcess) -> None:
    api = Api(emulator.url)
    dup = [{"id": "a", "type": "t", "children": [{"id": "b", "type": "t"}, {"id": "a", "type": "t"}]}]
    body = assert_error(api.create("dup", blocks=dup), 422, RULE, ["architect.flow.block.id.duplicate"])
    assert detail_fields(body) == ["blocks[0].children[1].id"]
    assert api.create("depth-20", blocks=_chain(20)).status_code == 201
    body = assert_error(api.create("depth-21", blocks=_chain(21)), 422, RULE, ["architect.flow.block.limit"])
    assert detail_fields(body)[0].count("children") == 20
    many = [{"id": f"b{i}", "type": "t"} for i in range(2000)]
    assert api.create("2000 blocks", blocks=many).status_code == 201
    many.append({"id": "one-more", "type": "t"})
    assert_error(api.create("2001 blocks", blocks=many), 422, RULE, ["architect.flow.block.limit"])
    unknown = str(uuid.uuid4())
    undeclared = [{"id": "a", "type": "t", "reference": unknown}]
    body = assert_error(
        api.create("u", blocks=undeclared), 422, RULE, ["architect.flow.reference.undeclared"]
    )
    assert detail_fields(body) == ["blocks[0].reference"] and body["details"][0]["entityId"] == unknown
    assert api.get(FLOWS).json()["total"] == 2


def test_reference_rules(emulator: EmulatorProcess) -> None:
    api = Api(emulator.url)
    draft = api.create_ok("draft target")
    published = api.create_ok("published target", lifecycle_state="published")
    missing = str(uuid.uuid4())
    body = assert_error(
        api.create("r", references=[missing, "not-a-uuid"]),
        422,
        RULE,
        ["architect.flow.reference.unknown", "architect.flow.reference.unknown"],
    )
    assert [d["entityId"] for d in body["details"]] == [missing, "not-a-uuid"]
    assert detail_fields(body) == ["references[0]", "references[1]"]
    body = assert_error(api.create("r", references=[draft["id"], draft["id"]]), 422, RULE)
    assert ("architect.flow.field.invalid", "references[1]") in [
        (d["errorCode"], d["fieldName"]) for d in body["details"]
    ]
    body = assert_error(
        api.create("p", lifecycle_state="published", references=[draft["id"], published["id"]]),
        422,
        RULE,
        ["architect.flow.reference.unpublished"],
    )
    assert (
        body["details"][0]["entityId"] == draft["id"] and body["details"][0]["fieldName"] == "references[0]"
    )
    ok = api.create_ok("p", lifecycle_state="published", references=[published["id"]])
    body = assert_error(
        api.update(ok["id"], 1, references=[ok["id"]]), 422, RULE, ["architect.flow.reference.unknown"]
    )
    assert body["details"][0]["entityId"] == ok["id"]
    # A deleted flow is no longer a valid reference.
    gone = api.create_ok("gone")
    assert api.remove(gone["id"]).status_code == 204
    assert_error(api.create("r2", references=[gone["id"]]), 422, RULE, ["architect.flow.reference.unknown"])
    # Several problems of different rules in one request are reported together.
    body = assert_error(
        api.post(
            FLOWS,
            json={
                "name": "",
                "lifecycle_state": "published",
                "references": [draft["id"]],
                "blocks": [{"id": "x", "type": "t", "reference": missing}],
            },
        ),
        422,
        RULE,
    )
    codes = {d["errorCode"] for d in body["details"]}
    assert codes == {
        "architect.flow.field.required",
        "architect.flow.reference.undeclared",
        "architect.flow.reference.unpublished",
    }


def test_reference_cycles(emulator: EmulatorProcess) -> None:
    api = Api(emulator.url)
    a = api.create_ok("A")
    b = api.create_ok("B", references=[a["id"]])
    c = api.create_ok("C", references=[b["id"]])
    # A -> C -> B -> A.
    body = assert_error(api.update(a["id"], 1, references=[c["id"]]), 422, RULE)
    cycle = [d for d in body["details"] if d["errorCode"] == "architect.flow.reference.cycle"]
    assert [d["entityId"] for d in cycle] == [a["id"], c["id"], b["id"]]
    assert [d["entityName"] for d in cycle] == ["A", "C", "B"]
    assert all(d["fieldName"] == "references[0]" for d in cycle)
    assert "cycle" in body["message"]
    # Two-flow cycle.
    body = assert_error(api.update(a["id"], 1, references=[b["id"]]), 422, RULE)
    assert [d["entityId"] for d in body["details"]] == [a["id"], b["id"]]
    assert api.flow(a["id"]).json()["references"] == []
    # Dropping an edge frees the graph: C no longer references B, so A -> C is fine.
    api.update_ok(c["id"], 1, references=[])
    assert api.update_ok(a["id"], 1, references=[c["id"]])["_version"] == 2


def test_lifecycle_transitions(emulator: EmulatorProcess) -> None:
    api = Api(emulator.url)
    transition = "architect.flow.lifecycle.transition.invalid"
    flow = api.create_ok("f")
    version = 1
    # draft->published->draft->archived->draft->published->archived (every allowed transition).
    for state in ["published", "draft", "archived", "draft", "published", "archived"]:
        version = api.update_ok(flow["id"], version, lifecycle_state=state)["_version"]
    assert_error(api.update(flow["id"], version, lifecycle_state="published"), 422, RULE, [transition])
    same = api.update_ok(flow["id"], version, lifecycle_state="archived")
    assert same["_version"] == version
    assert api.create("born published", lifecycle_state="published").status_code == 201
    assert_error(api.create("born archived", lifecycle_state="archived"), 422, RULE, [transition])


def test_published_flows_in_use_cannot_leave_published(emulator: EmulatorProcess) -> None:
    api = Api(emulator.url)
    base = api.create_ok("base", lifecycle_state="published")
    user = api.create_ok("user", lifecycle_state="published", references=[base["id"]])
    draft_user = api.create_ok("draft user", references=[base["id"]])
    for state in ["draft", "archived"]:
        body = assert_error(api.update(base["id"], 1, lifecycle_state=state), 409, "architect.flow.in.use")
        assert [(d["entityId"], d["entityName"]) for d in body["details"]] == [(user["id"], "user")]
    api.update_ok(user["id"], 1, lifecycle_state="draft")
    assert api.update_ok(base["id"], 1, lifecycle_state="draft")["_version"] == 2
    assert draft_user["_version"] == 1


def test_delete_in_use_and_deleted_flows(emulator: EmulatorProcess) -> None:
    api = Api(emulator.url)
    base = api.create_ok("base")
    user = api.create_ok("user", references=[base["id"]])
    body = assert_error(api.remove(base["id"]), 409, "architect.flow.in.use", ["architect.flow.in.use"])
    assert body["details"][0]["entityId"] == user["id"]
    assert api.remove(user["id"], version=1).status_code == 204
    r = api.remove(base["id"])
    assert r.status_code == 204 and r.content == b""
    for response in [
        api.flow(base["id"]),
        api.update(base["id"], 1, description="x"),
        api.remove(base["id"]),
        api.get(f"{FLOWS}/{base['id']}/versions"),
        api.get(f"{FLOWS}/{base['id']}/versions/1"),
        api.get(DEPS, params={"id": base["id"]}),
    ]:
        assert_error(response, 410, "architect.flow.deleted")
    assert api.get(FLOWS).json()["total"] == 0
    # The name is free again.
    assert api.create_ok("BASE")["name"] == "BASE"


def test_delete_version_precondition(emulator: EmulatorProcess) -> None:
    api = Api(emulator.url)
    flow = api.create_ok("f")
    api.update_ok(flow["id"], 1, description="v2")
    body = assert_error(api.remove(flow["id"], version=1), 409, "general.resource.conflict")
    assert "2" in body["message"] and body["details"][0]["entityName"] == "2"
    assert api.flow(flow["id"]).status_code == 200
    for bad in ["0", "-1", "x", "1.0", ""]:
        assert_error(
            api.delete(f"{FLOWS}/{flow['id']}", params={"version": bad}), 400, "invalid.query.param.value"
        )
    assert api.remove(flow["id"], version=2).status_code == 204


def test_unknown_and_malformed_ids(emulator: EmulatorProcess) -> None:
    api = Api(emulator.url)
    for flow_id in [str(uuid.uuid4()), "not-a-uuid", "1", "%20", "' OR 1=1 --", "x" * 5000, "ç"]:
        assert_error(api.flow(flow_id), 404, "not.found")
        assert_error(api.update(flow_id, 1, description="x"), 404, "not.found")
        assert_error(api.remove(flow_id), 404, "not.found")
        assert_error(api.get(f"{FLOWS}/{flow_id}/versions"), 404, "not.found")
        assert_error(api.get(DEPS, params={"id": flow_id}), 404, "not.found")
    flow = api.create_ok("f")
    for version in ["0", "2", "01", "x", "-1", "1.0", "99999999999999999999999"]:
        assert_error(api.get(f"{FLOWS}/{flow['id']}/versions/{version}"), 404, "not.found")


def test_name_uniqueness(emulator: EmulatorProcess) -> None:
    api = Api(emulator.url)
    first = api.create_ok("Main Menu")
    body = assert_error(api.create("MAIN menu"), 409, "architect.flow.name.duplicate")
    assert body["details"][0]["entityId"] == first["id"]
    assert api.create("Main Menu", type="INBOUNDCHAT").status_code == 201
    other = api.create_ok("Other")
    assert_error(api.update(other["id"], 1, name="main MENU"), 409, "architect.flow.name.duplicate")
    # Renaming a flow to another case of its own name is fine (and is a change).
    assert api.update_ok(first["id"], 1, name="MAIN MENU")["_version"] == 2
    assert api.get(FLOWS).json()["total"] == 3


def test_patch_semantics(emulator: EmulatorProcess) -> None:
    api = Api(emulator.url)
    flow = api.create_ok("f", description="one", blocks=[{"id": "a", "type": "t"}])
    # Fields present replace the current ones whole; others stay.
    v2 = api.update_ok(flow["id"], 1, blocks=[{"id": "b", "type": "u"}])
    assert v2["_version"] == 2 and v2["blocks"] == [{"id": "b", "type": "u"}] and v2["description"] == "one"
    assert v2["dateModified"] >= flow["dateModified"] and v2["dateCreated"] == flow["dateCreated"]
    # A write that changes nothing leaves the version (and dateModified) as it is.
    same = api.update_ok(flow["id"], 2, description="one", name="f", id=flow["id"], type="INBOUNDCALL")
    assert same == v2
    # Server fields sent back are ignored.
    ignored = api.update_ok(flow["id"], 2, dateCreated="1999", dateModified="1999", selfUri="/elsewhere")
    assert ignored == v2
    # Stale version: 409 naming the current version; nothing written.
    body = assert_error(api.update(flow["id"], 1, description="stale"), 409, "general.resource.conflict")
    assert "version 2" in body["message"]
    assert body["details"] == [
        {
            "errorCode": "general.resource.conflict",
            "fieldName": "_version",
            "entityId": flow["id"],
            "entityName": "2",
        }
    ]
    assert_error(api.update(flow["id"], 3, description="future"), 409, "general.resource.conflict")
    # `_version` is required; id and type are immutable.
    r = api.patch(f"{FLOWS}/{flow['id']}", json={"description": "x"})
    assert_error(r, 422, RULE, ["architect.flow.field.required"])
    body = assert_error(api.update(flow["id"], 2, id=str(uuid.uuid4()), type="BOT"), 422, RULE)
    assert sorted(detail_fields(body, "architect.flow.field.immutable")) == ["id", "type"]
    assert_error(api.update(flow["id"], 2, name=" "), 422, RULE, ["architect.flow.field.required"])
    assert_error(api.update(flow["id"], 2, bogus=1), 400, "bad.request")
    assert_error(api.update(flow["id"], True, description="x"), 400, "bad.request")
    assert_error(api.update(flow["id"], "2", description="x"), 400, "bad.request")
    assert_error(api.update(flow["id"], 2.0, description="x"), 400, "bad.request")
    assert api.flow(flow["id"]).json() == v2


def test_versions_history(emulator: EmulatorProcess) -> None:
    api = Api(emulator.url, "dev-rw")
    flow = api.create_ok("f", description="v1")
    snapshots = [flow]
    for i in range(2, 6):
        snapshots.append(
            api.update_ok(
                flow["id"], i - 1, description=f"v{i}", lifecycle_state="published" if i == 4 else "draft"
            )
        )
    r = api.get(f"{FLOWS}/{flow['id']}/versions")
    assert r.status_code == 200
    listing = r.json()
    assert listing["total"] == 5
    assert [e["version"] for e in listing["entities"]] == [5, 4, 3, 2, 1]
    assert listing["entities"][1] == {
        "version": 4,
        "lifecycle_state": "published",
        "dateModified": snapshots[3]["dateModified"],
        "modifiedByClient": "dev-rw",
    }
    for snapshot in snapshots:
        at = api.get(f"{FLOWS}/{flow['id']}/versions/{snapshot['_version']}")
        assert at.status_code == 200 and at.json() == snapshot
    page = api.get(f"{FLOWS}/{flow['id']}/versions", params={"pageSize": 2, "pageNumber": 3}).json()
    assert [e["version"] for e in page["entities"]] == [1] and "nextUri" not in page
    assert page["previousUri"] == f"{FLOWS}/{flow['id']}/versions?pageSize=2&pageNumber=2"
    assert_error(
        api.get(f"{FLOWS}/{flow['id']}/versions", params={"pageSize": 501}), 400, "invalid.query.param.value"
    )


def test_dependency_tracking(emulator: EmulatorProcess) -> None:
    api = Api(emulator.url)
    leaf = api.create_ok("leaf", lifecycle_state="published")
    mid = api.create_ok("mid", references=[leaf["id"]])
    top = api.create_ok("top", references=[mid["id"], leaf["id"]])
    r = api.get(DEPS, params={"id": mid["id"], "consumedResources": "true", "consumingResources": "true"})
    assert r.status_code == 200
    body = r.json()
    assert body == {
        "id": mid["id"],
        "name": "mid",
        "type": "INBOUNDCALL",
        "version": 1,
        "consumedResources": [
            {"id": leaf["id"], "name": "leaf", "type": "INBOUNDCALL", "version": 1,
             "lifecycle_state": "published", "selfUri": f"{FLOWS}/{leaf['id']}"}
        ],
        "consumingResources": [
            {"id": top["id"], "name": "top", "type": "INBOUNDCALL", "version": 1,
             "lifecycle_state": "draft", "selfUri": f"{FLOWS}/{top['id']}"}
        ],
    }  # fmt: skip
    consuming = api.get(DEPS, params={"id": leaf["id"], "consumingResources": "true"}).json()
    assert [d["name"] for d in consuming["consumingResources"]] == ["mid", "top"]
    assert consuming["consumedResources"] == []
    neither = api.get(DEPS, params={"id": leaf["id"]}).json()
    assert neither["consumedResources"] == [] and neither["consumingResources"] == []
    assert_error(api.get(DEPS), 400, "invalid.query.param.value")
    assert_error(
        api.get(DEPS, params={"id": leaf["id"], "consumedResources": "yes"}), 400, "invalid.query.param.value"
    )
    # Deleting a consumer removes it from the dependents.
    assert api.remove(top["id"]).status_code == 204
    after = api.get(DEPS, params={"id": leaf["id"], "consumingResources": "true"}).json()
    assert [d["name"] for d in after["consumingResources"]] == ["mid"]
