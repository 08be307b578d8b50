"""JSON Schemas (draft 2020-12) of every `archctl <command> --json` output.

`archctl schema [COMMAND]` prints them; the README documents them; the tests validate every command's
output against them. A command that fails with exit code 2 (usage, configuration or connection error)
prints an `error` document instead (`ERROR`), in `--json` mode too.
"""

from __future__ import annotations

from typing import Any

_NULLABLE_STR: dict[str, Any] = {"type": ["string", "null"]}
_NULLABLE_INT: dict[str, Any] = {"type": ["integer", "null"]}
_NULLABLE_NUM: dict[str, Any] = {"type": ["number", "null"]}


def _obj(
    properties: dict[str, Any], required: list[str] | None = None, *, extra: bool = False
) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": extra,
    }


def _arr(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


PROBLEM = _obj(
    {
        "flow": {"type": "string"},
        "field": {"type": "string"},
        "rule": {"type": "string"},
        "message": {"type": "string"},
    }
)

ERROR = _obj(
    {
        "error": _obj(
            {
                "kind": {"enum": ["usage", "configuration", "connection", "auth", "engine", "failure"]},
                "message": {"type": "string"},
            }
        )
    }
)

_NULLABLE_INT = {"type": ["integer", "null"]}
#: The org-objects gate (provider/ops/org_gate.py): `validate --stack` and `promote`'s target.
ORG_OBJECTS = _obj(
    {
        "ok": {"type": "boolean"},
        "checked": _NULLABLE_INT,
        "calls": _NULLABLE_INT,
        "problems": _arr(PROBLEM),
        "unchecked": _arr({"type": "string"}),
        "error": {"type": ["string", "null"]},
        "warning": {"type": ["string", "null"]},
        "note": {"type": ["string", "null"]},
    }
)

VALIDATE = _obj(
    {
        "ok": {"type": "boolean"},
        "directory": {"type": "string"},
        "flows": _arr({"type": "string"}),
        "order": _arr({"type": "string"}),
        "problems": _arr(PROBLEM),
        "org_objects": ORG_OBJECTS,  # with --stack, when the definitions have no problem
    },
    required=["ok", "directory", "flows", "order", "problems"],
)

GRAPH = _obj(
    {
        "source": {"type": "string"},
        "format": {"enum": ["mermaid", "dot"]},
        "nodes": _arr(
            _obj(
                {
                    "key": {"type": "string"},
                    "name": {"type": "string"},
                    "type": {"type": "string"},
                    "lifecycle_state": {"type": "string"},
                }
            )
        ),
        "edges": _arr(
            _obj(
                {"from": {"type": "string"}, "to": {"type": "string"}, "by_name": {"type": "boolean"}},
                ["from", "to"],
            )
        ),
        "text": {"type": "string"},
        "rendered": _NULLABLE_STR,
    }
)

EXPORT = _obj(
    {
        "out": {"type": "string"},
        "source": {"type": "string"},
        "count": {"type": "integer"},
        "flows": _arr(
            _obj(
                {
                    "key": {"type": "string"},
                    "id": {"type": "string"},
                    "name": {"type": "string"},
                    "type": {"type": "string"},
                    "file": {"type": "string"},
                    "archy_file": {"type": "string"},
                },
                ["key", "id", "name", "type", "file"],
            )
        ),
        # genesys-cloud: flows whose export job failed (the others were written).
        "failed": _arr(
            _obj({"key": {"type": "string"}, "id": {"type": "string"}, "error": {"type": "string"}})
        ),
        # genesys-cloud: files of an earlier export whose keys this one no longer writes (removed), and
        # values two of the stack's placeholders share (left as they are).
        "removed": _arr({"type": "string"}),
        "ambiguous": _arr({"type": "string"}),
    },
    ["out", "source", "count", "flows"],
)

CHANGE = _obj(
    {
        "kind": {"enum": ["field", "lifecycle", "reference", "block", "content"]},
        "change": {"enum": ["changed", "added", "removed", "moved"]},
        "field": _NULLABLE_STR,
        "block": _NULLABLE_STR,
        "a": {},
        "b": {},
    }
)

DIFF = _obj(
    {
        "a": {"type": "string"},
        "b": {"type": "string"},
        "identical": {"type": "boolean"},
        "summary": _obj(
            {
                "added": {"type": "integer"},
                "removed": {"type": "integer"},
                "changed": {"type": "integer"},
                "unchanged": {"type": "integer"},
            }
        ),
        "flows": _arr(
            _obj(
                {
                    "key": {"type": "string"},
                    "status": {"enum": ["added", "removed", "changed"]},
                    "name": {"type": "string"},
                    "changes": _arr(CHANGE),
                }
            )
        ),
    }
)

DRIFT = _obj(
    {
        "stack": {"type": "string"},
        "drift": {"type": "boolean"},
        "diff": DIFF,
        # genesys-cloud: per drifted flow, who published the live version and its version pointers.
        "published": _arr(
            _obj(
                {
                    "key": {"type": "string"},
                    "published_by": _NULLABLE_STR,
                    "revision": {"type": "string"},
                    "state_revision": _NULLABLE_STR,
                }
            )
        ),
    },
    ["stack", "drift", "diff"],
)

# Four events: `mutation` (a write and its outcome), and around each write its write-ahead `intent`,
# `intent_step` (an intermediate step, e.g. a draft's deactivation pending) and `intent_outcome`
# (provider/governance/intents.py).
AUDIT_ENTRY = _obj(
    {
        "timestamp": {"type": "string"},
        "event": {"enum": ["mutation", "intent", "intent_step", "intent_outcome", "unlock", "rollback"]},
        "step": {"type": "string"},
        "intent_id": {"type": "string"},
        "flow_type": _NULLABLE_STR,
        "action": {"enum": ["create", "update", "delete", "unlock", "rollback"]},
        "stack": {"type": "string"},
        "flow_key": _NULLABLE_STR,
        "flow_id": _NULLABLE_STR,
        "flow_name": _NULLABLE_STR,
        "version_before": {"type": ["integer", "string", "null"]},
        "version_after": {"type": ["integer", "string", "null"]},
        "outcome": {"enum": ["success", "failure", "unknown", "adopted", "intent", None]},
        "error_code": _NULLABLE_STR,
        "correlation_id": _NULLABLE_STR,
        "latency_s": {"type": ["number", "null"]},
        "client_id": _NULLABLE_STR,
        "pid": {"type": "integer"},
        # Whose work the write replaced (genesys-cloud): a forced unlock's holder and the lock's age,
        # or the live version an overwrite replaced, who published it and the state's base.
        "replaced": _obj(
            {
                "what": {"enum": ["lock", "version"]},
                "holder_kind": {"enum": ["user", "client", "unknown"]},
                "holder_id": _NULLABLE_STR,
                "holder_name": _NULLABLE_STR,
                "lock_since": _NULLABLE_STR,
                "lock_age_s": _NULLABLE_NUM,
                "version": _NULLABLE_STR,
                "revision": {"type": "string"},
                "by_kind": {"enum": ["user", "client", None]},
                "by_id": _NULLABLE_STR,
                "by_name": _NULLABLE_STR,
                "base_version": _NULLABLE_STR,
                "base_revision": {"type": "string"},
            },
            required=["what"],
        ),
    },
    required=["timestamp", "action", "stack"],
    extra=True,
)

AUDIT = _obj(
    {
        "file": {"type": "string"},
        "count": {"type": "integer"},
        "invalid_lines": {"type": "integer"},
        "entries": _arr(AUDIT_ENTRY),
    }
)

_STATS = {
    "count": {"type": "integer"},
    "sum_s": {"type": "number"},
    "p50_s": _NULLABLE_NUM,
    "p95_s": _NULLABLE_NUM,
    "p99_s": _NULLABLE_NUM,
    "max_s": _NULLABLE_NUM,
}

METRICS_SUMMARY = _obj(
    {
        "format": {"const": "genesys-flows.metrics/1"},
        "stack": {"type": "string"},
        "generated": {"type": "string"},
        "processes": _arr({"type": "object"}),
        "total_requests": {"type": "integer"},
        "requests": _arr(
            _obj(
                {
                    "method": {"type": "string"},
                    "path": {"type": "string"},
                    "status": {"type": "string"},
                    "count": {"type": "integer"},
                }
            )
        ),
        "latency": _arr(_obj({"method": {"type": "string"}, "path": {"type": "string"}, **_STATS})),
        "retries": _arr(_obj({"reason": {"type": "string"}, "count": {"type": "integer"}})),
        "conflicts": _arr(_obj({"resolution": {"type": "string"}, "count": {"type": "integer"}})),
        "rate_limit": _obj(
            {
                "responses_429": {"type": "integer"},
                "waits": {"type": "integer"},
                "wait_seconds": {"type": "number"},
                "by_reason": _arr(
                    _obj(
                        {
                            "reason": {"type": "string"},
                            "waits": {"type": "integer"},
                            "seconds": {"type": "number"},
                        }
                    )
                ),
            }
        ),
        "validation_failures": _arr(_obj({"rule": {"type": "string"}, "count": {"type": "integer"}})),
        "mutations": _arr(
            _obj({"action": {"type": "string"}, "outcome": {"type": "string"}, "count": {"type": "integer"}})
        ),
        "mutation_latency": _arr(_obj({"action": {"type": "string"}, **_STATS})),
    }
)

METRICS = _obj(
    {"dir": {"type": "string"}, "stacks": _arr(METRICS_SUMMARY), "written": _arr({"type": "string"})}
)

IMPORT = _obj(
    {
        "stack": {"type": "string"},
        "flows_dir": {"type": "string"},
        "imported": _arr(
            _obj(
                {
                    "key": {"type": "string"},
                    "id": {"type": "string"},
                    "name": {"type": "string"},
                    "file": {"type": "string"},
                }
            )
        ),
        "already_managed": _arr({"type": "string"}),
        "kept_files": _arr({"type": "string"}),
        "problems": _arr({"type": "string"}),
        "preview_changes": {"type": "object", "additionalProperties": {"type": "integer"}},
        "not_in_org": _arr({"type": "string"}),
        "unmatched_live": _arr({"type": "string"}),
        "written": _arr({"type": "string"}),
        "ok": {"type": "boolean"},
    }
)

PROMOTE = _obj(
    {
        "source": {"type": "string"},
        "target": {"type": "string"},
        "promoted": {"type": "boolean"},
        "refused": _NULLABLE_STR,
        "source_check": _obj(
            {
                "pending_changes": {"type": "object", "additionalProperties": {"type": "integer"}},
                "drift": {"type": "boolean"},
            }
        ),
        "up": {
            "type": ["object", "null"],
            "properties": {
                "result": {"type": "string"},
                "resource_changes": {"type": "object", "additionalProperties": {"type": "integer"}},
            },
            "required": ["result", "resource_changes"],
        },
        "plan": {
            "type": ["object", "null"],
            "properties": {
                "resource_changes": {"type": "object", "additionalProperties": {"type": "integer"}},
                "diff": {"anyOf": [DIFF, {"type": "null"}]},
                "destructive": _arr({"type": "string"}),
            },
            "required": ["resource_changes", "diff", "destructive"],
        },
        "parity": {"anyOf": [DIFF, {"type": "null"}]},
        "org_objects": {"anyOf": [ORG_OBJECTS, {"type": "null"}]},
        "ok": {"type": "boolean"},
    }
)

_NULLABLE = {"type": ["string", "null"]}

MIGRATE = _obj(
    {
        "directory": {"type": "string"},
        "out": {"type": "string"},
        "stack": _NULLABLE,
        "flows": _arr(
            _obj(
                {
                    "key": {"type": "string"},
                    "resource": {"type": "string"},
                    "tf_file": {"type": "string"},
                    "archy_source": {"type": "string"},
                    "substitutions": {"type": "object", "additionalProperties": {"type": "string"}},
                }
            )
        ),
        "placeholders": _arr(
            _obj(
                {
                    "name": {"type": "string"},
                    "source": {"type": "string"},
                    "value": _NULLABLE,
                    "value_from": _NULLABLE,
                    "flows": _arr({"type": "string"}),
                }
            )
        ),
        "untranslated": _arr({"type": "string"}),
        "notes": _arr({"type": "string"}),
        "written": _arr({"type": "string"}),
        "kept_files": _arr({"type": "string"}),
        "stack_values_set": {"type": "object", "additionalProperties": {"type": "string"}},
        "problems": _arr({"type": "string"}),
        "import": {"anyOf": [IMPORT, {"type": "null"}]},
        "ok": {"type": "boolean"},
    }
)

ROLLBACK = _obj(
    {
        "stack": {"type": "string"},
        "flow": {"type": "string"},
        "flow_id": {"type": "string"},
        "flow_name": {"type": "string"},
        "live_version": _NULLABLE,
        "target_version": {"type": "string"},
        "diff": {"type": "string"},
        "written": _arr({"type": "string"}),
        "now": {"type": "boolean"},
        "reason": {"type": "string"},
        "published_version": _NULLABLE,
        "notes": _arr({"type": "string"}),
    }
)

SCHEMAS: dict[str, dict[str, Any]] = {
    "validate": VALIDATE,
    "graph": GRAPH,
    "export": EXPORT,
    "diff": DIFF,
    "drift": DRIFT,
    "audit": AUDIT,
    "metrics": METRICS,
    "import": IMPORT,
    "promote": PROMOTE,
    "migrate": MIGRATE,
    "rollback": ROLLBACK,
    "error": ERROR,
}


def schema(command: str) -> dict[str, Any]:
    """The schema of `command`'s `--json` output (with $schema and title)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"archctl {command} --json",
        **SCHEMAS[command],
    }
