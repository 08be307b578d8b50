"""The JSON of the real platform's models, exactly as the SDK names them (`Flow`, `FlowVersion`,
`Operation`, `Dependency`, job states): camelCase keys the SDK knows, nothing else."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from .domain import object_type

FLOWS = "/api/v2/flows"
_USERS_NS = uuid.UUID("6f1c2d1e-8a55-4b9e-9d55-5a3f3c0e0a10")


def iso(epoch: float) -> str:
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def version_id(num: int) -> str:
    return f"{num}.0"


def client_actor(client_id: str) -> dict[str, str]:
    return {"kind": "client", "id": client_id, "name": client_id}


def user_actor(org: str, user_name: str) -> dict[str, str]:
    """A UI user of an org; the id is stable for the same (org, name)."""
    return {"kind": "user", "id": str(uuid.uuid5(_USERS_NS, f"{org}/{user_name}")), "name": user_name}


def entity_ref(actor: dict[str, str]) -> dict[str, str]:
    """`User` for a user, `DomainEntityRef` for an OAuth client (both take id, name, selfUri)."""
    base = "/api/v2/users" if actor["kind"] == "user" else "/api/v2/oauth/clients"
    return {"id": actor["id"], "name": actor["name"], "selfUri": f"{base}/{actor['id']}"}


def flow_version(flow_id: str, flow_name: str, v: dict[str, Any]) -> dict[str, Any]:
    vid = version_id(v["num"])
    doc: dict[str, Any] = {
        "id": vid,
        "name": flow_name,
        "commitVersion": vid,
        "configurationVersion": vid,
        "type": v["type"],
        "secure": False,
        "debug": False,
    }
    actor = v["created_by"]
    doc["createdByClient" if actor["kind"] == "client" else "createdBy"] = entity_ref(actor)
    doc["configurationUri"] = f"{FLOWS}/{flow_id}/versions/{vid}/configuration"
    doc["dateCreated"] = int(v["created"] * 1000)
    if v.get("checked_in") is not None:
        doc["dateCheckedIn"] = int(v["checked_in"] * 1000)
    if v.get("saved") is not None:
        doc["dateSaved"] = int(v["saved"] * 1000)
    if v.get("published") is not None:
        doc["datePublished"] = iso(v["published"])
    if v.get("published_end") is not None:
        doc["datePublishedEnd"] = iso(v["published_end"])
    doc["selfUri"] = f"{FLOWS}/{flow_id}/versions/{vid}"
    return doc


def operation(op: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": op["id"], "complete": op["complete"]}
    actor = op["by"]
    doc["client" if actor["kind"] == "client" else "user"] = entity_ref(actor)
    if op.get("error_code"):
        doc["errorMessage"] = op["error_message"]
        doc["errorCode"] = op["error_code"]
        doc["errorDetails"] = []
    doc["actionName"] = op["action"]
    doc["actionStatus"] = op["status"]
    return doc


def flow(
    flow_id: str,
    flow_type: str,
    name: str,
    deleted: bool,
    state: dict[str, Any],
    versions: dict[int, dict[str, Any]],
) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": flow_id, "name": name}
    if state.get("description") is not None:
        doc["description"] = state["description"]
    doc["type"] = flow_type
    lock = state.get("lock")
    if lock is not None:
        doc["lockedUser" if lock["kind"] == "user" else "lockedClient"] = entity_ref(lock)
    doc["active"] = state.get("published") is not None
    doc["system"] = False
    doc["deleted"] = deleted
    for key, pointer in (
        ("publishedVersion", "published"),
        ("savedVersion", "saved"),
        ("checkedInVersion", "checked_in"),
    ):
        num = state.get(pointer)
        if num is not None and num in versions:
            doc[key] = flow_version(flow_id, name, versions[num])
    publisher = state.get("published_by")
    if publisher is not None and publisher["kind"] == "user" and state.get("published") is not None:
        doc["publishedBy"] = entity_ref(publisher)  # a `User`: an OAuth client is not one
    if state.get("op") is not None:
        doc["currentOperation"] = operation(state["op"])
    doc["selfUri"] = f"{FLOWS}/{flow_id}"
    return doc


def dependency(flow_id: str, name: str, flow_type: str, version: int | None, deleted: bool) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": flow_id, "name": name}
    if version is not None:
        doc["version"] = version_id(version)
    kind = object_type(flow_type)
    if kind is not None:
        doc["type"] = kind
    doc["deleted"] = deleted
    doc["updated"] = False
    doc["stateUnknown"] = False
    doc["selfUri"] = f"{FLOWS}/{flow_id}"
    return doc


def job_message(text: str, at: float) -> dict[str, Any]:
    return {"dateTime": iso(at), "type": "Error", "text": text}
