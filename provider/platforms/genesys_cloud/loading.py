"""Flow definitions for platform genesys-cloud: content as Archy YAML, pre-checked as a set.

    # flows/genesys-cloud/main-ivr.yaml  (key: main-ivr)
    archy: main-ivr.archy.yaml      # any file in the folder itself (.yaml, .yml, .yaml.tftpl),
                                    # or `archy: |` inline
    lifecycle_state: published      # or draft (`archived` does not exist on this platform)
    references: [billing-line]      # optional; must agree with what the content uses
    name: Main IVR (dev)            # optional; must agree with the Archy document (so must `type`)
    substitutions:                  # optional, this flow's own; merged over the stack's (its own win)
      flow_name: "Main IVR {{env_label}}"   # a value may use the stack's placeholders
    external:                       # optional: flows this one names that another team owns
      - {type: botFlow, name: Helper Bot}   # checked read-only against the org, never managed
    allow_destroy: true             # optional: may be unpublished/deleted on a protectPublished stack

`prepare_archy(directory, substitutions)` reads every definition and its Archy text (a file named by
some definition's `archy:` is content, never a definition; a stray Archy file is one problem), fills
the `{{placeholders}}` in that text from the flow's own and the stack's substitutions, parses it with
the bounded loader, refuses two definitions of the same (type, name), resolves the flows it uses by
type and name across the set (`archy.resolve`; declared externals are left to the org check) and
pre-checks the graph (cycles with their path, published flows using drafts). Like
`loading.prepare` it never raises on bad input: every problem comes back at once, naming the flow,
the field and the rule. No I/O beyond the folder.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from provider.domain import archy, files, yaml_safe
from provider.domain.fields import ATTRIBUTES, FlowType
from provider.domain.graph import GraphNode, precheck
from provider.domain.loading import (
    FlowDefinition,
    PreparedSet,
    _alias_problems,
    _pydantic_problems,
    read_raw,
    substitute_value,
)
from provider.domain.problems import RULE_CYCLE, RULE_INVALID, RULE_REQUIRED, Problem
from provider.platforms.genesys_cloud.wire import archy_attributes

RULE_BLOCKS = "definition.blocks.platform"
RULE_ARCHY_REQUIRED = "definition.archy.required"
RULE_ARCHY_FILE = "definition.archy.file"
RULE_ARCHIVED = "definition.lifecycle.archived.unsupported"
RULE_TYPE_MISMATCH = "definition.archy.type.mismatch"
RULE_NAME_MISMATCH = "definition.archy.name.mismatch"
RULE_DUPLICATE = "definition.flow.duplicate"
RULE_ARCHY_CONTENT = "definition.archy.content"
RULE_SUBSTITUTIONS = "definition.substitutions.invalid"
RULE_EXTERNAL = "definition.external.invalid"
#: The keys a genesys-cloud definition file may hold.
ARCHY_KEYS = frozenset(
    {
        "archy",
        "lifecycle_state",
        "references",
        "name",
        "type",
        *(a.name for a in ATTRIBUTES),
        "aliases",
        "substitutions",
        "external",
        "allow_destroy",
    }
)
LIFECYCLES = ("published", "draft")
#: Names an `archy:` value may end with to name a file (CX-as-Code blueprints ship `.yaml.tftpl`).
CONTENT_NAME_SUFFIXES = (".yaml", ".yml", ".yaml.tftpl", ".yml.tftpl")
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_SCALARS = (str, bool, int, float, type(None))
#: Each external flow is one lookup in the org at every preview: a flow names at most this many.
MAX_EXTERNALS = 100


class ExternalFlow(BaseModel):
    """A flow this one names that the set does not manage (another team's bot, ...): checked
    read-only against the org at preview (it must exist and be published), never ordered or deleted."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: FlowType
    name: str


class ArchyDefinition(FlowDefinition):
    """A loaded genesys-cloud definition: name, type and description from the Archy document,
    `references` derived from it (logical keys), `archy` the text with the flow's own and the
    stack's substitutions, `external` the flows it names that the set does not manage."""

    archy: str
    external: list[ExternalFlow] = Field(default_factory=list)


def file_names(directory: str | Path) -> dict[str, str]:
    """Key → the definition's file name (for messages)."""
    return {p.name.rsplit(".", 1)[0]: p.name for p in files.definition_files(directory)[0]}


def definition_keys(directory: str | Path) -> list[str]:
    """The keys of the folder's definitions, Archy content files left out (CX-as-Code's layout)."""
    root = Path(directory)
    if not root.is_dir():
        return []
    raw, problems = read_raw(root, skip=lambda path: _archy_top_key(path) is not None)
    kept, _ = content_apart(root, raw, problems, file_names(root))
    return sorted(kept)


def blocks_on_archy_platform(key: str, file_name: str) -> Problem:
    return Problem(
        key,
        "blocks",
        RULE_BLOCKS,
        f"{file_name}: `blocks` is the Architecture API's content; on platform genesys-cloud a flow "
        "carries Archy YAML (`archy: <file>` or `archy: |` inline)",
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
    inline = "\n" in value.strip() or not value.strip().lower().endswith(CONTENT_NAME_SUFFIXES)
    if inline:
        return value, f"{file_name} (archy)", []
    name = value.strip()
    try:
        return files.read_text(files.content_file(root, name)), name, []
    except yaml_safe.YamlError as exc:
        return None, None, [Problem(key, "archy", RULE_ARCHY_FILE, f"{file_name}: archy: {exc}")]


@dataclass
class _ReadSet:
    """The definitions of a folder as read one by one: parsed Archy, substituted text, the other
    fields, declared external flows, and the keys with a problem of their own."""

    parsed: dict[str, archy.ArchyFlow] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    externals: dict[str, list[ExternalFlow]] = field(default_factory=dict)
    broken: set[str] = field(default_factory=set)


def prepare_archy(directory: str | Path, substitutions: Mapping[str, str] | None = None) -> PreparedSet:
    """Read, substitute, parse and pre-check every genesys-cloud definition of `directory`; never
    raises on bad input. See the module docstring."""
    subs = dict(substitutions or {})
    root = Path(directory)
    result = PreparedSet(directory=root)
    # Archy content (a file starting with a flow type's key) is not parsed as a definition.
    raw, problems = read_raw(root, skip=lambda path: _archy_top_key(path) is not None)
    names = file_names(root) if root.is_dir() else {}
    raw, problems = content_apart(root, raw, problems, names)
    read = _ReadSet()
    for key, data in raw.items():
        found = _read_definition(read, root, key, names.get(key, f"{key}.yaml"), data, subs)
        if found:
            read.broken.add(key)
        problems += found
    duplicates, duplicate_problems = _duplicates(read.parsed, names)
    problems += duplicate_problems
    read.broken.update(duplicates)
    read.parsed = {k: f for k, f in read.parsed.items() if k not in duplicates or k == min(duplicates[k])}
    nodes, graph_problems = _graph(read, result)
    problems += graph_problems
    problems += _alias_problems(raw)
    # Archy binds references by name: a cycle is deployable here (stubs first, provider/deploy/cycles.py).
    report = precheck(nodes, cycles_allowed=True)
    problems += report.problems
    result.problems = sorted(problems, key=lambda p: p.flow)
    result.order = [key for key in report.order if key in result.definitions]
    result.cycles = [c for c in report.cycles if len(set(c)) > 1]  # a self-reference stays an error
    result.notes = report.notes
    for source, target in report.closing:
        result.by_name.setdefault(source, []).append(target)
    result.problems = sorted(result.problems + _draft_stub_problems(result), key=lambda p: p.flow)
    return result


def _draft_stub_problems(result: PreparedSet) -> list[Problem]:
    """A cycle closes on a target that is published: its stub is published (Archy's job publishes
    what it imports) and the target's own create adopts it by publishing its content. A draft
    target would be left as the published stub, so that cycle is refused here, before any write."""
    found = []
    for source, targets in sorted(result.by_name.items()):
        for target in targets:
            state = str(result.definitions[target].lifecycle_state)
            if state == "published":
                continue
            path = next((c for c in result.cycles if source in c and target in c), [source, target, source])
            found.append(
                Problem(
                    target,
                    "lifecycle_state",
                    RULE_CYCLE,
                    f"it is {state}, and the cycle {' → '.join(path)} closes on it by name ({source!r} "
                    f"uses it): on genesys-cloud a cycle deploys only when the flow it closes on is "
                    "published (its stub is published first, then its content over it); publish it, "
                    "or break the cycle",
                )
            )
    return found


def _read_definition(
    read: _ReadSet, root: Path, key: str, file_name: str, data: Mapping[str, Any], subs: Mapping[str, str]
) -> list[Problem]:
    """One definition: its fields substituted (its own substitutions over the stack's), its Archy
    text read, substituted and parsed into `read`; its problems."""
    found: list[Problem] = []
    if "blocks" in data:
        found.append(blocks_on_archy_platform(key, file_name))
    for name in (n for n in sorted(set(data) - ARCHY_KEYS) if n != "blocks"):
        found.append(Problem(key, name, RULE_INVALID, f"{file_name}: unknown field {name!r}"))
    own, own_problems = flow_substitutions(key, file_name, data.get("substitutions"), subs)
    found += own_problems
    merged = {**subs, **own}
    own_names = frozenset(own)
    others, sub_problems = substitute_value(
        {k: v for k, v in data.items() if k not in ("archy", "substitutions")},
        merged,
        flow=key,
        own=own_names,
    )
    found += sub_problems
    read.externals[key], external_problems = external_flows(key, file_name, others.get("external"))
    found += external_problems
    found += _lifecycle_problems(key, others.get("lifecycle_state"))
    raw_text, source, text_problems = _archy_text(root, key, file_name, data.get("archy"))
    found += text_problems
    if raw_text is not None:
        text, placeholder_problems = substitute_value(
            raw_text, merged, flow=key, where="archy", own=own_names
        )
        found += list(dict.fromkeys(placeholder_problems))  # each unknown placeholder once
        try:
            flow = archy.parse(text, source=source or key)
        except archy.ArchyError as exc:
            where = f"archy.{exc.field}" if exc.field else "archy"
            found.append(Problem(key, where, archy.RULE_ARCHY_INVALID, exc.message))
        else:
            read.parsed[key], read.texts[key] = flow, text
            found += _agreement(key, others, flow)
    read.fields[key] = others
    return found


def _lifecycle_problems(key: str, state: Any) -> list[Problem]:
    if state == "archived":
        return [
            Problem(
                key,
                "lifecycle_state",
                RULE_ARCHIVED,
                "'archived' does not exist on genesys-cloud: "
                "use 'draft' (checked in, not published) or delete the definition",
            )
        ]
    if state not in LIFECYCLES:
        rule = RULE_REQUIRED if state is None else RULE_INVALID
        return [Problem(key, "lifecycle_state", rule, "lifecycle_state must be published or draft")]
    return []


def _graph(read: _ReadSet, result: PreparedSet) -> tuple[dict[str, GraphNode], list[Problem]]:
    """The reference graph (derived references, else the declared ones) for the pre-check, and each
    sound definition into `result.definitions`."""
    derived, problems = archy.resolve(read.parsed, read.externals)
    paths = archy.reference_paths(read.parsed)
    nodes: dict[str, GraphNode] = {}
    for key, others in read.fields.items():
        declared = others.get("references")
        declared_list = [r for r in declared if isinstance(r, str)] if isinstance(declared, list) else None
        if declared is not None and declared_list is None:
            problems.append(Problem(key, "references", RULE_INVALID, "references must be a list of keys"))
        refs = derived.get(key, declared_list or [])
        if key in read.parsed:
            problems += archy.reference_problems(key, declared_list, refs)
        nodes[key] = GraphNode(
            references=refs,
            lifecycle_state=str(others.get("lifecycle_state")),
            reference_paths=paths.get(key),
        )
        if key in read.broken or key not in read.parsed:
            continue
        flow = read.parsed[key]
        try:
            result.definitions[key] = ArchyDefinition.model_validate(
                {
                    "key": key,
                    "name": flow.name,
                    "type": str(flow.type),
                    **{a.name: others.get(a.name) for a in ATTRIBUTES},  # the definition's own ...
                    **archy_attributes(flow),  # ... but the Archy document's where it holds them
                    "lifecycle_state": others["lifecycle_state"],
                    "references": refs,
                    "aliases": others.get("aliases") or [],
                    "archy": read.texts[key],
                    "external": read.externals.get(key, []),
                    "allow_destroy": others.get("allow_destroy") or False,
                }
            )
        except PydanticValidationError as exc:
            problems += _pydantic_problems(key, exc)
    return nodes, problems


def _agreement(key: str, given: Mapping[str, Any], flow: archy.ArchyFlow) -> list[Problem]:
    """`name`/`type` and the attributes the Archy document holds (`ARCHY_ATTRIBUTES`), when the
    definition gives them, must agree with the document."""
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
    for name, value in archy_attributes(flow).items():
        if given.get(name) is not None and str(given[name]) != str(value):
            out.append(
                Problem(
                    key,
                    name,
                    RULE_NAME_MISMATCH,
                    f"the definition's {name} differs from the Archy document's; "
                    "keep it in the document only",
                )
            )
    return out


def _is_file_name(value: object) -> bool:
    return (
        isinstance(value, str)
        and "\n" not in value.strip()
        and value.strip().lower().endswith(CONTENT_NAME_SUFFIXES)
    )


_TOP_KEY_RE = re.compile(r"^([A-Za-z]+)\s*:", re.MULTILINE)


def _archy_top_key(path: Path) -> str | None:
    """The Archy flow type a file starts with (its first top-level key), if it is one; read from
    the text, as CX-as-Code files with `name: {{flow_name}}` are not valid YAML before substitution."""
    try:
        text = files.read_text(path)
    except yaml_safe.YamlError:
        return None
    match = _TOP_KEY_RE.search(text[:65536])
    if match is None:
        return None
    key = match.group(1)
    return key if key in archy.ARCHY_TYPES or key in archy.MISSPELT_KEYS else None


def content_apart(
    root: Path, raw: dict[str, Any], problems: list[Problem], names: Mapping[str, str]
) -> tuple[dict[str, Any], list[Problem]]:
    """CX-as-Code's layout: a file named by some definition's `archy:` is content, never a
    definition (its reading problems are dropped too: it is read as Archy later); a stray file
    whose only top-level key is an Archy flow type is one problem."""
    named = {str(d["archy"]).strip() for d in raw.values() if _is_file_name(d.get("archy"))}
    kept: dict[str, Any] = {}
    out: list[Problem] = []
    strays: set[str] = set()
    for key, file_name in names.items():
        if file_name in named:
            continue
        data = raw.get(key)
        is_archy = (
            isinstance(data, Mapping)
            and len(data) == 1
            and (str(next(iter(data))) in archy.ARCHY_TYPES or str(next(iter(data))) in archy.MISSPELT_KEYS)
        ) or (data is None and _archy_top_key(root / file_name) is not None)
        if is_archy:
            strays.add(key)
            out.append(
                Problem(
                    key,
                    "",
                    RULE_ARCHY_CONTENT,
                    f"{file_name}: this is Archy content: point a definition's `archy:` at it "
                    "(e.g. a definition file holding `archy: " + file_name + "` and `lifecycle_state`)",
                )
            )
    dropped = {k for k, n in names.items() if n in named} | strays
    for key, data in raw.items():
        if key not in dropped:
            kept[key] = data
    # A stray Archy file is one problem (not also its key's or its YAML's before substitution).
    out += [p for p in problems if p.flow not in dropped]
    return kept, out


def flow_substitutions(
    key: str, file_name: str, value: Any, stack: Mapping[str, Any]
) -> tuple[dict[str, str], list[Problem]]:
    """A definition's own `substitutions`: placeholder name → scalar, each value rendered as YAML
    writes it after filling the stack's placeholders in it (`"Billing {{env_label}}"`)."""
    if value is None:
        return {}, []
    if not isinstance(value, Mapping):
        return {}, [
            Problem(
                key,
                "substitutions",
                RULE_SUBSTITUTIONS,
                f"{file_name}: substitutions must map placeholder names to values",
            )
        ]
    own: dict[str, str] = {}
    problems: list[Problem] = []
    for name, item in value.items():
        where = f"substitutions.{name}"
        if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
            problems.append(
                Problem(
                    key,
                    where,
                    RULE_SUBSTITUTIONS,
                    f"{file_name}: {name!r} is not a placeholder name (letters, digits, _ . -)",
                )
            )
            continue
        if not isinstance(item, _SCALARS):
            problems.append(
                Problem(
                    key,
                    where,
                    RULE_SUBSTITUTIONS,
                    f"{file_name}: a substitution is one value (text, number, true/false), "
                    "not a list or mapping",
                )
            )
            continue
        rendered, found = substitute_value(item, stack, flow=key, where=where)
        problems += found
        own[name] = rendered
    return own, problems


def external_flows(key: str, file_name: str, value: Any) -> tuple[list[ExternalFlow], list[Problem]]:
    """A definition's `external`: [{type, name}], type as Archy's key (`botFlow`), the platform's
    type (`BOT`) or its lower case (`bot`)."""
    if value is None:
        return [], []
    if not isinstance(value, list):
        return [], [
            Problem(key, "external", RULE_EXTERNAL, f"{file_name}: external must be a list of {{type, name}}")
        ]
    if len(value) > MAX_EXTERNALS:
        message = f"{file_name}: at most {MAX_EXTERNALS} external flows (each is a lookup at every preview)"
        return [], [Problem(key, "external", RULE_EXTERNAL, message)]
    out: list[ExternalFlow] = []
    problems: list[Problem] = []
    for i, item in enumerate(value):
        where = f"external[{i}]"
        if not isinstance(item, Mapping) or set(item) != {"type", "name"}:
            problems.append(
                Problem(key, where, RULE_EXTERNAL, f"{file_name}: each external flow is {{type, name}}")
            )
            continue
        flow_type = _flow_type(item["type"])
        name = item["name"]
        if flow_type is None:
            known = ", ".join(archy.ARCHY_TYPES)
            problems.append(
                Problem(
                    key,
                    f"{where}.type",
                    RULE_EXTERNAL,
                    f"{file_name}: unknown flow type {item['type']!r}; use one of {known} (or BOT, ...)",
                )
            )
        elif not isinstance(name, str) or not name.strip():
            problems.append(Problem(key, f"{where}.name", RULE_EXTERNAL, f"{file_name}: the flow's name"))
        elif (flow_type, name.casefold()) not in {(e.type, e.name.casefold()) for e in out}:
            out.append(ExternalFlow(type=flow_type, name=name))
    return out, problems


def _flow_type(value: Any) -> FlowType | None:
    if not isinstance(value, str):
        return None
    if value in archy.ARCHY_TYPES:
        return archy.ARCHY_TYPES[value]
    try:
        return FlowType(value.upper())
    except ValueError:
        return None


def _duplicates(
    parsed: Mapping[str, archy.ArchyFlow], names: Mapping[str, str]
) -> tuple[dict[str, list[str]], list[Problem]]:
    """Definitions whose documents resolve to the same (type, name): one problem per group,
    naming every key and file; key → its group."""
    groups: dict[tuple[FlowType, str], list[str]] = {}
    for key, flow in parsed.items():
        groups.setdefault((flow.type, flow.name.casefold()), []).append(key)
    out: dict[str, list[str]] = {}
    problems: list[Problem] = []
    for (flow_type, _), keys in groups.items():
        if len(keys) < 2:
            continue
        keys = sorted(keys)
        for key in keys:
            out[key] = keys
        which = " and ".join(f"{k} ({names.get(k, k + '.yaml')})" for k in keys)
        problems.append(
            Problem(
                keys[0],
                "name",
                RULE_DUPLICATE,
                f"{which} both deploy the {flow_type} flow {parsed[keys[0]].name!r} (type and name, "
                "compared after substitution and case-insensitively, are a flow's identity): give "
                "one another name (e.g. per-flow `substitutions`) or remove it",
            )
        )
    return out, problems
