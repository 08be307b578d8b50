"""Request bodies: strict JSON parsing, the shape checks (400 `bad.request`) and the flow rules that
need no database (422 `payload.or.params.invalid`). The rules that need the organization's other
flows (references, cycles, names in use) run inside the write transaction, in `store.py`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .errors import ApiError, detail

FLOW_TYPES: tuple[str, ...] = (
    "BOT",
    "COMMONMODULE",
    "DIGITALBOT",
    "INBOUNDCALL",
    "INBOUNDCHAT",
    "INBOUNDEMAIL",
    "INBOUNDSHORTMESSAGE",
    "INQUEUECALL",
    "INQUEUEEMAIL",
    "INQUEUESHORTMESSAGE",
    "OUTBOUNDCALL",
    "SECURECALL",
    "SPEECH",
    "SURVEYINVITE",
    "VOICE",
    "VOICEMAIL",
    "VOICESURVEY",
    "WORKFLOW",
    "WORKITEM",
)
DEFAULT_FLOW_TYPE = "INBOUNDCALL"
LIFECYCLE_STATES: tuple[str, ...] = ("draft", "published", "archived")
CREATE_STATES = frozenset({"draft", "published"})
TRANSITIONS = frozenset(
    {
        ("draft", "published"),
        ("draft", "archived"),
        ("published", "draft"),
        ("published", "archived"),
        ("archived", "draft"),
    }
)

NAME_MAX = 200
DESCRIPTION_MAX = 2000
BLOCK_ID_MAX = 64
BLOCK_TYPE_MAX = 64
MAX_DEPTH = 20
MAX_BLOCKS = 2000
MAX_DETAILS = 100

BLOCK_ID_PATTERN = r"^[A-Za-z0-9_.\-]{1,64}$"
_BLOCK_ID_RE = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
_UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

CONTENT_FIELDS = ("name", "description", "type", "lifecycle_state", "blocks", "references")
SERVER_FIELDS = frozenset({"id", "_version", "dateCreated", "dateModified", "selfUri"})
PATCH_FIELDS = frozenset(
    {"_version", "id", "type", "name", "description", "lifecycle_state", "blocks", "references"}
)
PATCH_IGNORED = frozenset({"dateCreated", "dateModified", "selfUri"})
BLOCK_FIELDS = frozenset({"id", "type", "children", "reference"})

ERR_REQUIRED = "architect.flow.field.required"
ERR_INVALID = "architect.flow.field.invalid"
ERR_IMMUTABLE = "architect.flow.field.immutable"
ERR_BLOCK_DUP = "architect.flow.block.id.duplicate"
ERR_BLOCK_LIMIT = "architect.flow.block.limit"
ERR_REF_UNDECLARED = "architect.flow.reference.undeclared"
ERR_REF_UNKNOWN = "architect.flow.reference.unknown"
ERR_REF_CYCLE = "architect.flow.reference.cycle"
ERR_REF_UNPUBLISHED = "architect.flow.reference.unpublished"
ERR_TRANSITION = "architect.flow.lifecycle.transition.invalid"


def is_uuid(value: str) -> bool:
    return _UUID_RE.fullmatch(value) is not None


@dataclass
class Problem:
    """One broken rule: becomes one entry of the error body's `details`."""

    error_code: str
    field: str
    message: str
    entity_id: str = ""
    entity_name: str = ""


def bad_request(message: str, fields: list[str] | None = None) -> ApiError:
    return ApiError(400, "bad.request", message, [detail("bad.request", f) for f in (fields or [])])


def invalid_payload(problems: list[Problem]) -> ApiError:
    shown = problems[:MAX_DETAILS]
    message = "; ".join(p.message for p in shown[:10])
    if len(problems) > 10:
        message += f" (and {len(problems) - 10} more problems)"
    return ApiError(
        422,
        "payload.or.params.invalid",
        message,
        [detail(p.error_code, p.field, p.entity_id, p.entity_name) for p in shown],
    )


class _DuplicateKeyError(ValueError):
    pass


class _ConstantError(ValueError):
    pass


def _object_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(key)
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise _ConstantError(name)


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """Parse a request body that must be one JSON object; anything else is 400 `bad.request`."""
    if not raw.strip():
        raise bad_request("The request body is empty; a JSON object is required.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise bad_request(f"The request body is not valid UTF-8 (byte offset {exc.start}).") from exc
    try:
        value = json.loads(text, object_pairs_hook=_object_pairs, parse_constant=_reject_constant)
    except _DuplicateKeyError as exc:
        raise bad_request(
            f"Malformed JSON: the key '{_clip(str(exc))}' appears twice in one object."
        ) from exc
    except _ConstantError as exc:
        raise bad_request(f"Malformed JSON: '{exc}' is not a JSON value.") from exc
    except json.JSONDecodeError as exc:
        raise bad_request(f"Malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.") from exc
    except RecursionError as exc:
        raise bad_request("Malformed JSON: the document is nested too deeply.") from exc
    except ValueError as exc:  # e.g. an integer literal with too many digits
        raise bad_request(f"Malformed JSON: {exc}.") from exc
    if not isinstance(value, dict):
        raise bad_request(f"The request body must be a JSON object, not {_json_type(value)}.")
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise bad_request(
            "The request body contains a string that is not valid Unicode (a lone surrogate)."
        ) from exc
    except RecursionError as exc:
        raise bad_request("Malformed JSON: the document is nested too deeply.") from exc
    return value


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


class _Shape:
    """Collects the 400 problems of a body (unknown fields, wrong JSON types)."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.fields: list[str] = []

    def add(self, field: str, message: str) -> None:
        if len(self.fields) < MAX_DETAILS:
            self.fields.append(field)
            self.messages.append(message)

    def expect(self, body: dict[str, Any], key: str, kind: type, field: str, what: str) -> None:
        if key not in body:
            return
        value = body[key]
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if not ok:
            self.add(field, f"Field '{field}' must be {what}, not {_json_type(value)}.")

    def raise_if_any(self) -> None:
        if self.messages:
            message = " ".join(self.messages[:10])
            if len(self.messages) > 10:
                message += f" (and {len(self.messages) - 10} more problems)"
            raise bad_request(message, self.fields)


def _check_content_types(body: dict[str, Any], shape: _Shape) -> None:
    for key in ("name", "description", "type", "lifecycle_state"):
        shape.expect(body, key, str, key, "a string")
    shape.expect(body, "references", list, "references", "an array of flow ids")
    if isinstance(body.get("references"), list):
        for i, ref in enumerate(body["references"]):
            if not isinstance(ref, str):
                shape.add(
                    f"references[{i}]", f"Field 'references[{i}]' must be a string, not {_json_type(ref)}."
                )
    shape.expect(body, "blocks", list, "blocks", "an array of blocks")
    if isinstance(body.get("blocks"), list):
        _check_block_shapes(body["blocks"], shape)


def _check_block_shapes(blocks: list[Any], shape: _Shape) -> None:
    stack: list[tuple[str, list[Any]]] = [("blocks", blocks)]
    while stack:
        prefix, items = stack.pop()
        for i, block in enumerate(items):
            path = f"{prefix}[{i}]"
            if not isinstance(block, dict):
                shape.add(path, f"Field '{path}' must be a block object, not {_json_type(block)}.")
                continue
            for key in block:
                if key not in BLOCK_FIELDS:
                    shape.add(f"{path}.{_clip(key)}", f"Unknown field '{path}.{_clip(key)}' in a block.")
            shape.expect(block, "id", str, f"{path}.id", "a string")
            shape.expect(block, "type", str, f"{path}.type", "a string")
            shape.expect(block, "reference", str, f"{path}.reference", "a string (a flow id)")
            shape.expect(block, "children", list, f"{path}.children", "an array of blocks")
            if isinstance(block.get("children"), list):
                stack.append((f"{path}.children", block["children"]))


def check_create_shape(body: dict[str, Any]) -> None:
    """400 for unknown fields, server-assigned fields, and wrong JSON types in a create body."""
    shape = _Shape()
    for key in body:
        if key in SERVER_FIELDS:
            shape.add(
                key, f"Field '{key}' is assigned by the server and must not be sent when creating a flow."
            )
        elif key not in CONTENT_FIELDS:
            shape.add(_clip(key), f"Unknown field '{_clip(key)}'.")
    _check_content_types(body, shape)
    shape.raise_if_any()


def check_patch_shape(body: dict[str, Any]) -> None:
    """400 for unknown fields and wrong JSON types in a PATCH body (server date fields are ignored)."""
    shape = _Shape()
    for key in body:
        if key not in PATCH_FIELDS and key not in PATCH_IGNORED:
            shape.add(_clip(key), f"Unknown field '{_clip(key)}'.")
    shape.expect(body, "_version", int, "_version", "an integer")
    shape.expect(body, "id", str, "id", "a string")
    _check_content_types(body, shape)
    shape.raise_if_any()


def validate_content(doc: dict[str, Any], *, creating: bool) -> list[Problem]:
    """The flow rules that depend on the flow alone. `doc` holds the flow's content fields
    (after a PATCH is merged onto the current flow); absent keys count as missing."""
    problems: list[Problem] = []
    name = doc.get("name")
    if name is None:
        problems.append(Problem(ERR_REQUIRED, "name", "Field 'name' is required."))
    elif not name.strip():
        problems.append(Problem(ERR_REQUIRED, "name", "Field 'name' must not be blank."))
    elif len(name.strip()) > NAME_MAX:
        problems.append(
            Problem(ERR_INVALID, "name", f"Field 'name' is longer than {NAME_MAX} characters after trimming.")
        )
    description = doc.get("description", "")
    if len(description) > DESCRIPTION_MAX:
        problems.append(
            Problem(
                ERR_INVALID,
                "description",
                f"Field 'description' is longer than {DESCRIPTION_MAX} characters.",
            )
        )
    flow_type = doc.get("type")
    if flow_type not in FLOW_TYPES:
        problems.append(
            Problem(
                ERR_INVALID,
                "type",
                f"Field 'type' must be one of {', '.join(FLOW_TYPES)}; got '{_clip(str(flow_type))}'.",
            )
        )
    state = doc.get("lifecycle_state")
    if state is None:
        problems.append(Problem(ERR_REQUIRED, "lifecycle_state", "Field 'lifecycle_state' is required."))
    elif state not in LIFECYCLE_STATES:
        problems.append(
            Problem(
                ERR_INVALID,
                "lifecycle_state",
                f"Field 'lifecycle_state' must be one of draft, published, archived; got '{_clip(state)}'.",
            )
        )
    elif creating and state not in CREATE_STATES:
        problems.append(
            Problem(
                ERR_TRANSITION,
                "lifecycle_state",
                f"A flow can be created only as draft or published, not {state}.",
            )
        )
    references: list[str] = doc.get("references", [])
    seen_refs: set[str] = set()
    for i, ref in enumerate(references):
        if ref in seen_refs:
            problems.append(
                Problem(
                    ERR_INVALID,
                    f"references[{i}]",
                    f"Reference '{_clip(ref)}' is listed twice.",
                    _clip(ref, 200),
                )
            )
        seen_refs.add(ref)
    problems.extend(_validate_blocks(doc.get("blocks", []), seen_refs))
    return problems


def _validate_blocks(blocks: list[dict[str, Any]], declared: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    seen_ids: set[str] = set()
    count = 0
    depth_reported = False
    # Pre-order, in document order, without recursion.
    stack: list[tuple[str, int, dict[str, Any]]] = [(f"blocks[{i}]", 1, b) for i, b in enumerate(blocks)][
        ::-1
    ]
    while stack:
        path, depth, block = stack.pop()
        count += 1
        if depth > MAX_DEPTH and not depth_reported:
            depth_reported = True
            problems.append(
                Problem(ERR_BLOCK_LIMIT, path, f"Block '{path}' is nested deeper than {MAX_DEPTH} levels.")
            )
        block_id = block.get("id")
        if block_id is None:
            problems.append(Problem(ERR_REQUIRED, f"{path}.id", f"Field '{path}.id' is required."))
        elif _BLOCK_ID_RE.fullmatch(block_id) is None:
            problems.append(
                Problem(
                    ERR_INVALID,
                    f"{path}.id",
                    f"Field '{path}.id' must be 1-{BLOCK_ID_MAX} characters of A-Z a-z 0-9 _ . -",
                )
            )
        elif block_id in seen_ids:
            problems.append(
                Problem(
                    ERR_BLOCK_DUP,
                    f"{path}.id",
                    f"Block id '{block_id}' is used more than once.",
                    "",
                    block_id,
                )
            )
        if block_id is not None:
            seen_ids.add(block_id)
        block_type = block.get("type")
        if block_type is None:
            problems.append(Problem(ERR_REQUIRED, f"{path}.type", f"Field '{path}.type' is required."))
        elif not 1 <= len(block_type) <= BLOCK_TYPE_MAX:
            problems.append(
                Problem(
                    ERR_INVALID, f"{path}.type", f"Field '{path}.type' must be 1-{BLOCK_TYPE_MAX} characters."
                )
            )
        ref = block.get("reference")
        if ref is not None and ref not in declared:
            problems.append(
                Problem(
                    ERR_REF_UNDECLARED,
                    f"{path}.reference",
                    f"Block reference '{_clip(ref)}' at '{path}.reference' is not listed in 'references'.",
                    _clip(ref, 200),
                )
            )
        children = block.get("children") or []
        stack.extend((f"{path}.children[{j}]", depth + 1, c) for j, c in reversed(list(enumerate(children))))
    if count > MAX_BLOCKS:
        problems.append(
            Problem(
                ERR_BLOCK_LIMIT, "blocks", f"The flow has {count} blocks; at most {MAX_BLOCKS} are allowed."
            )
        )
    return problems
