"""Flow definitions: the YAML files in `flows/`, one flow per file, keyed by the file name.

    # flows/main-menu.yaml  (key: main-menu)
    # yaml-language-server: $schema=./flow.schema.json
    name: Main Menu ({{env_label}})
    type: INBOUNDCALL
    lifecycle_state: published
    references: [billing-menu]          # logical keys of other definitions, never org ids
    blocks:
      - id: root
        type: menu
        children:
          - {id: to-billing, type: transfer, reference: billing-menu}

The pieces, for the Pulumi program and the `archctl` CLI alike:

- `prepare(directory, substitutions)` → `PreparedSet(definitions, order, problems)`: read every file,
  apply the per-stack `{{name}}` substitutions, validate each flow (the neutral checks,
  provider.domain.checks, and the platform's `rules`) and pre-check the reference graph (unknown
  keys, cycles, published flows referencing drafts). It never raises on bad input: *all* problems
  come back at once, each naming the flow (its key), the field and the rule.
- `load_definitions(directory, substitutions=None)`: the same, but raises `DefinitionError` (listing
  every problem) unless the whole set is fine; `apply_substitutions(definitions, substitutions)`
  renders already-loaded definitions.
- `as_document(definition)`: the file's content as plain data; `dump_definition` as YAML text.
- `definitions_schema()`: the JSON Schema of a file (written to flows/flow.schema.json).

A lifecycle rule that depends on the flow's current state (e.g. `archived` → `published`, or creating
a flow as `archived`) cannot be decided from the files alone: the provider's `check` decides it with
the state Pulumi holds, so `pulumi preview` still reports it before any write.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from provider.domain import files, yaml_safe
from provider.domain.checks import FieldRules, check_fields, is_state_dependent
from provider.domain.convert import (
    as_document,
    canonical_blocks,
    map_block_references,
)
from provider.domain.fields import Attribute, FlowType, LifecycleState, with_attributes
from provider.domain.graph import GraphNode, precheck
from provider.domain.problems import RULE_INVALID, Problem

#: Rules of problems found before the contract's own rules apply.
RULE_YAML = "definition.yaml.invalid"
RULE_KEY = "definition.key.invalid"
RULE_ALIAS = "definition.alias.invalid"
RULE_PLACEHOLDER = "definition.placeholder.unknown"
RULE_OTHER_CONTENT = "definition.archy.platform"

SCHEMA_FILE = "flow.schema.json"
SCHEMA_MODELINE = f"# yaml-language-server: $schema=./{SCHEMA_FILE}"
KEY_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
PLACEHOLDER_RE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}")
SUFFIXES = (".yaml", ".yml")


class DefinitionError(ValueError):
    """The definitions are not usable; `problems` lists every problem (flow, field, rule, message)."""

    def __init__(self, problems: Iterable[Problem], headline: str | None = None) -> None:
        self.problems: list[Problem] = list(problems)
        self.headline = headline or f"{len(self.problems)} problem(s) in the flow definitions"
        super().__init__(render_problems(self.problems, self.headline))


def render_problems(problems: Iterable[Problem], headline: str) -> str:
    """A headline and one line per problem: `flow 'x': field 'y': rule: message`."""
    return "\n".join([headline + ":", *(f"  - {p}" for p in problems)])


# --------------------------------------------------------------------------------------- the models


class BlockDefinition(BaseModel):
    """One block of a flow; blocks nest through `children`."""

    model_config = ConfigDict(extra="forbid", title="Block")

    id: str = Field(
        pattern=r"^[A-Za-z0-9_.-]{1,64}$",
        description="Unique across the whole block tree of the flow: 1-64 of A-Z a-z 0-9 _ . -",
    )
    type: str = Field(min_length=1, max_length=64, description="The block's kind, e.g. menu, transfer")
    reference: str | None = Field(
        default=None,
        description="The logical key (file name without .yaml) of a flow this block uses; "
        "it must also be listed in the flow's `references`",
    )
    children: list[BlockDefinition] = Field(default_factory=list, description="Nested blocks")


BlockDefinition.model_rebuild()


#: `allow_destroy` of both definition formats (one description: the schema shows it in each).
ALLOW_DESTROY_FIELD: bool = Field(
    default=False,
    description="On a stack with genesys-flows:protectPublished: true, this published flow may be "
    "unpublished or deleted: deploy the definition with it first, then delete the file or set "
    "draft (elsewhere it changes nothing)",
)


class _FileHead(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        title="Genesys Cloud Architect flow definition",
        json_schema_extra={
            "description": "One flow, in flows/<key>.yaml; other flows are referred to by their key "
            "(the file name without .yaml). Strings may hold {{name}} placeholders, filled per stack "
            "from the stack config's genesys-flows:substitutions."
        },
    )

    name: str = Field(
        min_length=1,
        max_length=200,
        description="Unique among the organization's live flows of the same type (case-insensitive)",
    )


if TYPE_CHECKING:  # nothing reads an attribute of a file by name (convert.attribute_values)
    _FileAttributes = _FileHead
else:  # one field per row of provider.domain.fields.ATTRIBUTES, its limits enforced
    _FileAttributes = with_attributes(_FileHead, "_FileAttributes", limits=True)


class FlowFile(_FileAttributes):
    """The content of one definition file (`flows/<key>.yaml`)."""

    type: FlowType = Field(
        default=FlowType.INBOUNDCALL, description="Immutable: changing it replaces the flow"
    )
    lifecycle_state: LifecycleState = Field(
        description="draft or published (archived only for a flow that already exists)"
    )
    references: list[str] = Field(
        default_factory=list,
        description="Logical keys of the flows this flow depends on (no repeats); a published flow "
        "may only reference published flows",
        json_schema_extra={"uniqueItems": True},
    )
    blocks: list[BlockDefinition] = Field(default_factory=list, description="The block tree")
    aliases: list[str] = Field(
        default_factory=list,
        description="Keys this flow had before (earlier file names): after renaming a file, list its "
        "old key here so the stack keeps managing the same flow instead of creating a new one",
        json_schema_extra={"uniqueItems": True},
    )
    allow_destroy: bool = ALLOW_DESTROY_FIELD


class FlowDefinition(FlowFile):
    """A loaded definition: the file's content plus its `key` (from the file name)."""

    model_config = ConfigDict(extra="forbid")

    key: str


class ExternalFlowRef(BaseModel):
    """A flow another team owns, named by this flow's content."""

    model_config = ConfigDict(extra="forbid", title="ExternalFlow")

    type: str = Field(
        min_length=1,
        description="Archy's key (botFlow, digitalBotFlow, inqueueCall, ...) "
        "or the platform's type (BOT, ...)",
    )
    name: str = Field(min_length=1, description="The flow's name in the org (placeholders allowed)")


class _ArchyHead(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        title="Genesys Cloud Architect flow definition (platform genesys-cloud: Archy YAML)",
        json_schema_extra={
            "description": "One flow whose content is Archy YAML (stacks with platform genesys-cloud). "
            "The flows it uses are read from that content (callCommonModule, transferToFlow[Secure], "
            "callBotFlow, callDigitalBotFlow, transferToAcd.overrideInQueueFlow); {{name}} "
            "placeholders in the Archy text are filled from the flow's own substitutions, then the "
            "stack's."
        },
    )

    archy: str = Field(
        min_length=1,
        description="The Archy YAML: the name of a file in the definitions folder (.yaml, .yml or "
        ".yaml.tftpl, e.g. <key>.archy.yaml or CX-as-Code's MyFlow.yaml; a file named here is never "
        "read as a definition), or the Archy text inline (`archy: |`)",
    )
    lifecycle_state: Literal["published", "draft"] = Field(
        description="published, or draft (checked in, not published); `archived` does not exist here"
    )
    references: list[str] = Field(
        default_factory=list,
        description="Optional: logical keys of the flows the content uses; when given, they must be "
        "exactly the flows the Archy content uses",
        json_schema_extra={"uniqueItems": True},
    )
    name: str | None = Field(
        default=None, min_length=1, description="Optional; must be the Archy document's name"
    )
    type: FlowType | None = Field(
        default=None, description="Optional; must be the Archy document's type (its top-level key)"
    )


def _archy_form_doc(attribute: Attribute) -> str:
    return f"Optional; where the Archy document holds it, it must be the document's. {attribute.doc}"


if TYPE_CHECKING:
    _ArchyAttributes = _ArchyHead
else:  # the attributes, optional (the Archy document may hold them)
    _ArchyAttributes = with_attributes(_ArchyHead, "_ArchyAttributes", optional=True, doc=_archy_form_doc)


class ArchyFlowFile(_ArchyAttributes):
    """The content of one genesys-cloud definition file (`<flowsDir>/<key>.yaml`, e.g.
    flows/genesys-cloud): the flow's content is Archy YAML; name, type and description come from it."""

    aliases: list[str] = Field(
        default_factory=list,
        description="Keys this flow had before (earlier file names), as for the block form",
        json_schema_extra={"uniqueItems": True},
    )
    substitutions: dict[str, str | bool | int | float | None] = Field(
        default_factory=dict,
        description="This flow's own placeholder values (CX-as-Code's per-flow substitutions), merged "
        "over the stack's (the flow's own value wins); a value may use the stack's placeholders, e.g. "
        "flow_name: 'Billing {{env_label}}'. Values are written into the Archy text as YAML writes them "
        "(true, not True)",
    )
    external: list[ExternalFlowRef] = Field(
        default_factory=list,
        description="Flows this flow names that the set does not manage (e.g. a bot another team "
        "builds): checked read-only against the org at preview (they must exist and be published), "
        "never ordered or deleted",
    )
    allow_destroy: bool = ALLOW_DESTROY_FIELD


def definitions_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a definition file, generated from `FlowFile` (the
    architecture-api form: `blocks`) and `ArchyFlowFile` (the genesys-cloud form: `archy`): a file
    with an `archy` key is the genesys-cloud form, any other the block form."""
    template = "#/$defs/{model}"
    blocks = FlowFile.model_json_schema(ref_template=template)
    archy = ArchyFlowFile.model_json_schema(ref_template=template)
    shared = {**blocks.pop("$defs", {}), **archy.pop("$defs", {})}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Genesys Cloud Architect flow definition",
        "description": "One flow, in <flowsDir>/<key>.yaml; other flows are referred to by their key "
        "(the file name without .yaml). Two forms: a `blocks` tree (platform architecture-api, "
        "FlowFile) or Archy YAML under `archy` (platform genesys-cloud, ArchyFlowFile). Strings may "
        "hold {{name}} placeholders, filled per stack from the stack config's "
        "genesys-flows:substitutions.",
        "type": "object",
        "if": {"required": ["archy"]},
        "then": {"$ref": "#/$defs/ArchyFlowFile"},
        "else": {"$ref": "#/$defs/FlowFile"},
        "$defs": {**shared, "FlowFile": blocks, "ArchyFlowFile": archy},
    }


def schema_text() -> str:
    """`definitions_schema()` as the text committed in flows/flow.schema.json."""
    return json.dumps(definitions_schema(), indent=2, sort_keys=False) + "\n"


# ------------------------------------------------------------------------------------ substitutions


def render_scalar(value: Any) -> str:
    """A substitution value as YAML writes the scalar (`true`, not Python's `True`; `null`)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        text: str = yaml.safe_dump(value, default_flow_style=True)
        return text.removesuffix("\n...\n").strip()
    return str(value)


def substitute_value(
    value: Any,
    substitutions: Mapping[str, Any],
    *,
    flow: str,
    where: str = "",
    own: frozenset[str] = frozenset(),
) -> tuple[Any, list[Problem]]:
    """`value` with every `{{name}}` in its strings replaced (recursively in lists and mappings);
    values are rendered as YAML scalars (`render_scalar`).

    An unknown placeholder is a problem naming the flow, the field (a path like
    `blocks[0].children[1].type`) and the placeholder; it is left in place. `own` names the
    placeholders the flow's own `substitutions` define (for the message).
    """
    problems: list[Problem] = []

    def render(item: Any, path: str) -> Any:
        if isinstance(item, str):

            def replace(match: re.Match[str]) -> str:
                name = match.group(1)
                if name in substitutions:
                    return render_scalar(substitutions[name])
                stack = ", ".join(sorted(set(substitutions) - own)) or "none"
                message = f"unknown placeholder {{{{{name}}}}}: the stack's substitutions define {stack}"
                if own:
                    message += f"; the flow's own substitutions define {', '.join(sorted(own))}"
                problems.append(Problem(flow, path, RULE_PLACEHOLDER, message))
                return match.group(0)

            return PLACEHOLDER_RE.sub(replace, item)
        if isinstance(item, Mapping):
            return {k: render(v, f"{path}.{k}" if path else str(k)) for k, v in item.items()}
        if isinstance(item, list):
            return [render(v, f"{path}[{i}]") for i, v in enumerate(item)]
        return item

    return render(value, where), problems


def apply_substitutions(
    definitions: Mapping[str, FlowDefinition], substitutions: Mapping[str, str]
) -> dict[str, FlowDefinition]:
    """Already-loaded definitions with their placeholders filled; `DefinitionError` on unknown ones.

    (Placeholders in `type` or `lifecycle_state` can only be used through `prepare`/`load_definitions`
    with substitutions, as the models need real values there.)
    """
    out: dict[str, FlowDefinition] = {}
    problems: list[Problem] = []
    for key, definition in definitions.items():
        data = definition.model_dump(mode="json", exclude={"key"})
        rendered, found = substitute_value(data, substitutions, flow=key)
        problems.extend(found)
        out[key] = FlowDefinition.model_validate({**rendered, "key": key})
    if problems:
        raise DefinitionError(problems, "unknown placeholders in the flow definitions")
    return out


# ------------------------------------------------------------------------------------------ loading


@dataclass
class PreparedSet:
    """The outcome of `prepare`: the valid definitions by key, the keys in dependency order
    (dependencies first), and every problem found (empty when the set is ready to deploy)."""

    definitions: dict[str, FlowDefinition] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    directory: Path | None = None
    #: Cycles the platform deploys (genesys-cloud binds references by name): each cycle's path, and
    #: per flow the references that close one, bound by name (no id dependency in Pulumi's graph).
    cycles: list[list[str]] = field(default_factory=list)
    by_name: dict[str, list[str]] = field(default_factory=dict)
    #: Information about the set (each cycle, on its flow and the field of its edge): not problems.
    notes: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def raise_for_problems(self) -> None:
        if self.problems:
            raise DefinitionError(self.problems)


def definition_files(directory: str | Path) -> list[Path]:
    """The definition files of `directory` (`*.yaml`, `*.yml`, any case), sorted by name; files
    resolving outside the folder are left out (`read_raw` reports them)."""
    return files.definition_files(directory)[0]


def read_raw(
    directory: str | Path, skip: Callable[[Path], bool] | None = None
) -> tuple[dict[str, Any], list[Problem]]:
    """Each file's parsed YAML (bounded: provider.domain.yaml_safe) by key, and the problems of
    reading them; files `skip` says are not definitions (e.g. Archy content) are not parsed."""
    root = Path(directory)
    raw: dict[str, Any] = {}
    if not root.is_dir():
        return raw, [Problem("", "", RULE_YAML, f"the definitions folder {root} does not exist")]
    paths, problems = files.definition_files(root)
    for path in paths:
        if skip is not None and skip(path):
            continue
        key = path.name.rsplit(".", 1)[0]
        if not KEY_RE.fullmatch(key):
            problems.append(
                Problem(
                    key,
                    "",
                    RULE_KEY,
                    f"{path.name}: a flow's key (its file name) must be 1-100 of A-Z a-z 0-9 _ . - "
                    "and start with a letter or digit",
                )
            )
            continue
        if key in raw:
            problems.append(Problem(key, "", RULE_KEY, f"{path.name}: another file has the key {key!r}"))
            continue
        try:
            data = files.read_definition(path)
        except yaml_safe.YamlError as exc:
            rule = files.RULE_FILE if exc.rule == files.RULE_FILE else RULE_YAML
            problems.append(Problem(key, "", rule, str(exc)))
            continue
        if not isinstance(data, Mapping):
            problems.append(
                Problem(key, "", RULE_INVALID, f"{path.name} must hold a mapping (name, type, ...)")
            )
            continue
        raw[key] = dict(data)
    return raw, problems


def _pydantic_problems(key: str, exc: PydanticValidationError) -> list[Problem]:
    out = []
    for error in exc.errors():
        where = ""
        for part in error.get("loc", ()):
            where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
        out.append(Problem(key, where, RULE_INVALID, str(error.get("msg", "invalid value"))))
    return out


def _file_name(directory: str | Path, key: str) -> str:
    names = {p.name.rsplit(".", 1)[0]: p.name for p in files.definition_files(directory)[0]}
    return names.get(key, f"{key}.yaml")


def _other_content(key: str, file_name: str) -> Problem:
    return Problem(
        key, "archy", RULE_OTHER_CONTENT, f"{file_name}: `archy` content; this platform takes a `blocks` tree"
    )


def prepare(
    directory: str | Path,
    substitutions: Mapping[str, str] | None = None,
    *,
    rules: FieldRules | None = None,
    other_content: Callable[[str, str], Problem] | None = None,
) -> PreparedSet:
    """Read, substitute, validate and pre-check every block-tree definition of `directory` (a platform
    whose content is Archy reads its own: `PlatformKind.prepare`); never raises on bad input. Each
    flow is checked by the neutral checks and the platform's own `rules` (its `PlatformKind.prepare`
    passes them: the domain imports no platform). A file holding `archy` content is a problem,
    `other_content(key, file name)` (the platform's words). See the module docstring."""
    subs = dict(substitutions or {})
    result = PreparedSet(directory=Path(directory))
    raw, problems = read_raw(directory)
    nodes: dict[str, GraphNode] = {}
    for key, data in raw.items():
        if "archy" in data:
            problems.append((other_content or _other_content)(key, _file_name(directory, key)))
            data = {k: v for k, v in data.items() if k != "archy"}
        rendered, found = substitute_value(data, subs, flow=key)
        flow_problems = list(found)
        fields = (
            {k: v for k, v in rendered.items() if k not in ("aliases", "allow_destroy")}
            if isinstance(rendered, dict)
            else rendered
        )
        found = check_fields(fields, flow=key)
        if rules is not None and isinstance(fields, Mapping):
            found += rules(fields, flow=key)
        flow_problems.extend(p for p in found if not is_state_dependent(p))
        refs = rendered.get("references")
        ref_list = [r for r in refs if isinstance(r, str)] if isinstance(refs, list) else []
        nodes[key] = GraphNode(references=ref_list, lifecycle_state=str(rendered.get("lifecycle_state")))
        if not flow_problems:
            try:
                result.definitions[key] = FlowDefinition.model_validate({**rendered, "key": key})
            except PydanticValidationError as exc:
                flow_problems.extend(_pydantic_problems(key, exc))
        problems.extend(flow_problems)
    problems.extend(_alias_problems(raw))
    report = precheck(nodes)
    problems.extend(report.problems)
    result.problems = sorted(problems, key=lambda p: p.flow)  # stable: by flow, then as found
    result.order = [key for key in report.order if key in result.definitions]
    return result


def _alias_problems(raw: Mapping[str, Any]) -> list[Problem]:
    """An alias is a well-formed key that no current file has and no other flow claims."""
    problems: list[Problem] = []
    claimed: dict[str, str] = {}
    for key, data in raw.items():
        aliases = data.get("aliases") if isinstance(data, dict) else None
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            continue  # absent, or of the wrong type: the model's validation reports that
        for i, alias in enumerate(aliases):
            field = f"aliases[{i}]"
            if not KEY_RE.fullmatch(alias):
                problems.append(Problem(key, field, RULE_ALIAS, f"{alias!r} is not a valid flow key"))
            elif alias in raw:
                problems.append(
                    Problem(key, field, RULE_ALIAS, f"{alias!r} is the key of a current definition file")
                )
            elif alias in claimed:
                problems.append(
                    Problem(key, field, RULE_ALIAS, f"{alias!r} is already an alias of {claimed[alias]!r}")
                )
            else:
                claimed[alias] = key
    return problems


def load_definitions(
    directory: str | Path,
    substitutions: Mapping[str, str] | None = None,
    *,
    rules: FieldRules | None = None,
) -> dict[str, FlowDefinition]:
    """The definitions of `directory` by key (in file-name order), substitutions applied when given
    (then checked as `prepare` checks them, with the platform's `rules`).

    Without substitutions, placeholders stay as written (and unknown ones are not an error). Raises
    `DefinitionError` listing every problem when a file is unreadable or breaks a rule.
    """
    if substitutions is None:
        raw, problems = read_raw(directory)
        out: dict[str, FlowDefinition] = {}
        for key, data in raw.items():
            try:
                out[key] = FlowDefinition.model_validate({**data, "key": key})
            except PydanticValidationError as exc:
                problems.extend(_pydantic_problems(key, exc))
        if problems:
            raise DefinitionError(problems)
        return out
    prepared = prepare(directory, substitutions, rules=rules)
    prepared.raise_for_problems()
    return dict(sorted(prepared.definitions.items()))


def dump_definition(document: FlowDefinition | FlowFile | Mapping[str, Any]) -> str:
    """YAML text of one definition file (with the schema modeline), e.g. for `archctl import`."""
    data = as_document(document) if isinstance(document, BaseModel) else dict(document)
    data.pop("key", None)
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return f"{SCHEMA_MODELINE}\n{body}"


__all__ = [
    "RULE_ALIAS",
    "RULE_KEY",
    "RULE_PLACEHOLDER",
    "RULE_YAML",
    "BlockDefinition",
    "DefinitionError",
    "FlowDefinition",
    "FlowFile",
    "PreparedSet",
    "apply_substitutions",
    "as_document",
    "canonical_blocks",
    "definitions_schema",
    "dump_definition",
    "load_definitions",
    "map_block_references",
    "prepare",
    "read_raw",
    "render_problems",
    "substitute_value",
]
