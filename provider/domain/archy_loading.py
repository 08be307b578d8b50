"""Flow definitions for platform genesys-cloud: content as Archy YAML, pre-checked as a set.

    # flows/genesys-cloud/main-ivr.yaml  (key: main-ivr)
    archy: main-ivr.archy.yaml      # a file beside it (in the folder itself), or `archy: |` inline
    lifecycle_state: published      # or draft (`archived` does not exist on this platform)
    references: [billing-line]      # optional; must agree with what the content uses
    name: Main IVR (dev)            # optional; must agree with the Archy document (so must `type`)

`prepare_archy(directory, substitutions)` reads every definition and its Archy text, fills the
stack's `{{placeholders}}` in that text, parses it with the bounded loader, resolves the flows it
uses by type and name across the set (`archy.resolve`) and pre-checks the graph (cycles with their
path, published flows using drafts). Like `loading.prepare` it never raises on bad input: every
problem comes back at once, naming the flow, the field and the rule. No I/O beyond the folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from provider.domain import archy, files, flow_substitutions, yaml_safe
from provider.domain.graph import GraphNode, precheck
from provider.domain.loading import (
    FlowDefinition,
    PreparedSet,
    _alias_problems,
    _pydantic_problems,
    read_raw,
    substitute_value,
)
from provider.domain.rules import RULE_INVALID, RULE_REQUIRED, Problem

RULE_BLOCKS = "definition.blocks.platform"
RULE_ARCHY_PLATFORM = "definition.archy.platform"
RULE_ARCHY_REQUIRED = "definition.archy.required"
RULE_ARCHY_FILE = "definition.archy.file"
RULE_ARCHIVED = "definition.lifecycle.archived.unsupported"
RULE_TYPE_MISMATCH = "definition.archy.type.mismatch"
RULE_NAME_MISMATCH = "definition.archy.name.mismatch"
#: The keys a genesys-cloud definition file may hold.
ARCHY_KEYS = frozenset(
    {"archy", "lifecycle_state", "references", "name", "type", "description", "aliases", "substitutions"}
)
LIFECYCLES = ("published", "draft")


class ArchyDefinition(FlowDefinition):
    """A loaded genesys-cloud definition: name, type and description from the Archy document,
    `references` derived from it (logical keys), `archy` the text with the stack's substitutions."""

    archy: str


def file_names(directory: str | Path) -> dict[str, str]:
    """Key → the definition's file name (for messages)."""
    return {p.name.rsplit(".", 1)[0]: p.name for p in files.definition_files(directory)[0]}


def blocks_on_archy_platform(key: str, file_name: str) -> Problem:
    return Problem(
        key,
        "blocks",
        RULE_BLOCKS,
        f"{file_name}: `blocks` is the Architecture API's content; on platform genesys-cloud a flow "
        "carries Archy YAML (`archy: <file>` or `archy: |` inline)",
    )


def archy_on_block_platform(key: str, file_name: str) -> Problem:
    return Problem(
        key,
        "archy",
        RULE_ARCHY_PLATFORM,
        f"{file_name}: `archy` content is for platform genesys-cloud; this stack's platform "
        "(architecture-api) takes a `blocks` tree",
    )


def _archy_text(
    root: Path, key: str, file_name: str, value: Any
) -> tuple[str | None, str | None, list[Problem]]:
    """The raw Archy text and its source name, from `archy: <file>` or inline text."""
    if not isinstance(value, str) or not value.strip():
        return (
            None,
            None,
            [
                Problem(
                    key,
                    "archy",
                    RULE_ARCHY_REQUIRED,
                    f"{file_name}: `archy` must name "
                    "an Archy file beside the definition or hold the Archy YAML inline",
                )
            ],
        )
    inline = "\n" in value.strip() or not value.strip().lower().endswith(files.SUFFIXES)
    if inline:
        return value, f"{file_name} (archy)", []
    name = value.strip()
    try:
        return files.read_text(files.content_file(root, name)), name, []
    except yaml_safe.YamlError as exc:
        return None, None, [Problem(key, "archy", RULE_ARCHY_FILE, f"{file_name}: archy: {exc}")]


def prepare_archy(directory: str | Path, substitutions: Mapping[str, str] | None = None) -> PreparedSet:
    """Read, substitute, parse and pre-check every genesys-cloud definition of `directory`; never
    raises on bad input. See the module docstring."""
    subs = dict(substitutions or {})
    root = Path(directory)
    result = PreparedSet(directory=root)
    raw, problems = read_raw(root)
    names = file_names(root) if root.is_dir() else {}
    parsed: dict[str, archy.ArchyFlow] = {}
    texts: dict[str, str] = {}
    fields: dict[str, dict[str, Any]] = {}
    broken: set[str] = set()
    for key, data in raw.items():
        file_name = names.get(key, f"{key}.yaml")
        found: list[Problem] = []
        extra = sorted(set(data) - ARCHY_KEYS)
        if "blocks" in data:
            found.append(blocks_on_archy_platform(key, file_name))
        for name in (n for n in extra if n != "blocks"):
            found.append(Problem(key, name, RULE_INVALID, f"{file_name}: unknown field {name!r}"))
        flow_subs, own_problems = flow_substitutions.merged(
            key, data.get("substitutions"), subs, file_name=file_name
        )
        others, sub_problems = substitute_value(
            {k: v for k, v in data.items() if k not in ("archy", "substitutions")}, flow_subs, flow=key
        )
        found += own_problems + sub_problems
        state = others.get("lifecycle_state")
        if state == "archived":
            found.append(
                Problem(
                    key,
                    "lifecycle_state",
                    RULE_ARCHIVED,
                    "'archived' does not exist on genesys-cloud: "
                    "use 'draft' (checked in, not published) or delete the definition",
                )
            )
        elif state not in LIFECYCLES:
            rule = RULE_REQUIRED if state is None else RULE_INVALID
            found.append(Problem(key, "lifecycle_state", rule, "lifecycle_state must be published or draft"))
        raw_text, source, text_problems = _archy_text(root, key, file_name, data.get("archy"))
        found += text_problems
        if raw_text is not None:
            text, placeholder_problems = substitute_value(raw_text, flow_subs, flow=key, where="archy")
            found += list(dict.fromkeys(placeholder_problems))  # each unknown placeholder once
            try:
                flow = archy.parse(text, source=source or key)
            except archy.ArchyError as exc:
                where = f"archy.{exc.field}" if exc.field else "archy"
                found.append(Problem(key, where, archy.RULE_ARCHY_INVALID, exc.message))
            else:
                parsed[key], texts[key] = flow, text
                found += _agreement(key, others, flow)
        fields[key] = others
        if found:
            broken.add(key)
        problems += found
    derived, resolve_problems = archy.resolve(parsed)
    paths = archy.reference_paths(parsed)
    problems += resolve_problems
    nodes: dict[str, GraphNode] = {}
    for key, others in fields.items():
        declared = others.get("references")
        declared_list = [r for r in declared if isinstance(r, str)] if isinstance(declared, list) else None
        if declared is not None and declared_list is None:
            problems.append(Problem(key, "references", RULE_INVALID, "references must be a list of keys"))
        refs = derived.get(key, declared_list or [])
        if key in parsed:
            problems += archy.reference_problems(key, declared_list, refs)
        nodes[key] = GraphNode(
            references=refs,
            lifecycle_state=str(others.get("lifecycle_state")),
            reference_paths=paths.get(key),
        )
        if key in broken or key not in parsed:
            continue
        flow = parsed[key]
        try:
            result.definitions[key] = ArchyDefinition.model_validate(
                {
                    "key": key,
                    "name": flow.name,
                    "type": str(flow.type),
                    "description": flow.description,
                    "lifecycle_state": others["lifecycle_state"],
                    "references": refs,
                    "aliases": others.get("aliases") or [],
                    "archy": texts[key],
                }
            )
        except PydanticValidationError as exc:
            problems += _pydantic_problems(key, exc)
    problems += _alias_problems(raw)
    report = precheck(nodes)
    problems += report.problems
    result.problems = sorted(problems, key=lambda p: p.flow)
    result.order = [key for key in report.order if key in result.definitions]
    return result


def _agreement(key: str, given: Mapping[str, Any], flow: archy.ArchyFlow) -> list[Problem]:
    """`name`/`type`/`description`, when the definition gives them, must agree with the document."""
    out: list[Problem] = []
    if given.get("type") is not None and str(given["type"]).upper() != str(flow.type):
        out.append(
            Problem(
                key,
                "type",
                RULE_TYPE_MISMATCH,
                f"the definition says {given['type']} but the Archy document is {flow.top_key} ({flow.type})",
            )
        )
    if given.get("name") is not None and str(given["name"]) != flow.name:
        out.append(
            Problem(
                key,
                "name",
                RULE_NAME_MISMATCH,
                f"the definition says {given['name']!r} but the Archy document's name is {flow.name!r}",
            )
        )
    if given.get("description") is not None and str(given["description"]) != flow.description:
        out.append(
            Problem(
                key,
                "description",
                RULE_NAME_MISMATCH,
                "the definition's description differs from "
                "the Archy document's; keep it in the document only",
            )
        )
    return out
