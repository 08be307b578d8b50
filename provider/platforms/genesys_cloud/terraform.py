"""CX-as-Code's `genesyscloud_flow` resources, read from a Terraform configuration, as flow definitions
(`archctl migrate terraform DIR`, issue 19). Pure translation: it reads the folder, writes nothing.

The `.tf` files of DIR (one Terraform module, not its sub-modules) are parsed with python-hcl2; for
each `resource "genesyscloud_flow" "NAME"`:

    filepath           the Archy file: a literal, `${path.module}`/`${path.root}`, a `local.*` or
                       `var.*` with a value (its default, or `terraform.tfvars` / `*.auto.tfvars`;
                       never a `sensitive` variable's: it would land in a stack's plaintext config)
    substitutions      the flow's own map: literals as they are (scalars as YAML writes them);
                       `var.x` becomes the stack placeholder `{{x}}` (listed with its value where the
                       configuration gives one); `genesyscloud_flow.OTHER.name` the other flow's name;
                       any other expression (a data source, another resource, a module output) a
                       stack placeholder named after the substitution, listed for the user
    file_content_hash  not needed: the provider compares the substituted content itself
    force_unlock       the stack's `forceUnlock` setting; `depends_on`: ordering comes from the content

Anything else (`for_each`, `count`, an S3 `filepath`, an unknown attribute, a placeholder the Archy
file uses that nothing fills) is reported as not translated, naming the file, the resource and the
attribute. Every `{{placeholder}}` is kept as written in the copied Archy text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
import yaml

from provider.domain import files, yaml_safe
from provider.domain.loading import PLACEHOLDER_RE, render_scalar
from provider.domain.snapshot import slugify
from provider.errors import ConfigurationError

RESOURCE = "genesyscloud_flow"
_HANDLED = {"filepath", "substitutions", "file_content_hash", "force_unlock", "depends_on", "lifecycle"}
_VAR = re.compile(r"var\.([A-Za-z_][A-Za-z0-9_-]*)")
_LOCAL = re.compile(r"local\.([A-Za-z_][A-Za-z0-9_-]*)((?:\.[A-Za-z_][A-Za-z0-9_-]*)*)")
_FLOW_NAME = re.compile(rf"{RESOURCE}\.([A-Za-z_][A-Za-z0-9_-]*)\.name")
_PATH = {"path.module", "path.root", "path.cwd"}


class TerraformError(ConfigurationError):
    """The configuration cannot be read at all (no such folder, a file HCL cannot parse)."""


@dataclass
class Placeholder:
    """A stack substitution the migrated definitions need: where it came from and the value the
    configuration gives it (None: the user must set it)."""

    name: str
    source: str
    value: str | None = None
    value_from: str | None = None
    flows: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "value": self.value,
            "value_from": self.value_from,
            "flows": sorted(self.flows),
        }


@dataclass
class MigratedFlow:
    key: str
    resource: str  # genesyscloud_flow.NAME
    tf_file: str
    archy_path: Path
    archy_text: str
    substitutions: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "resource": self.resource,
            "tf_file": self.tf_file,
            "archy_source": str(self.archy_path),
            "substitutions": dict(sorted(self.substitutions.items())),
        }


@dataclass
class Migration:
    directory: Path
    flows: list[MigratedFlow] = field(default_factory=list)
    placeholders: dict[str, Placeholder] = field(default_factory=dict)
    untranslated: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    force_unlock: bool = False
    hashed: int = 0  # resources with a file_content_hash
    ordered: int = 0  # resources with a depends_on


# -- HCL values as python-hcl2 (v7+) gives them -------------------------------------------------------
# A quoted template keeps its quotes ("\"a ${var.x}\""); a bare expression is "${...}"; numbers and
# booleans are Python values. Parts: a str is literal text, ("var", name) a variable, ("expr", text)
# anything else.

Part = str | tuple[str, str]


def _unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append({"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}.get(nxt, "\\" + nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out).replace("$${", "${").replace("%%{", "%{")


def _split(template: str) -> list[tuple[bool, str]]:
    """(is_interpolation, text) pieces of a template's body (nested braces balanced)."""
    pieces: list[tuple[bool, str]] = []
    i, start = 0, 0
    while i < len(template):
        if template.startswith("$${", i):
            i += 3
            continue
        if template.startswith("${", i):
            if i > start:
                pieces.append((False, template[start:i]))
            depth, j = 1, i + 2
            while j < len(template) and depth:
                depth += {"{": 1, "}": -1}.get(template[j], 0)
                j += 1
            pieces.append((True, template[i + 2 : j - 1].strip()))
            i = start = j
            continue
        i += 1
    if start < len(template):
        pieces.append((False, template[start:]))
    return pieces


class _Resolver:
    def __init__(self, directory: Path, locals_: Mapping[str, Any], variables: Mapping[str, Any]) -> None:
        self.directory = directory
        self.locals = locals_
        self.variables = variables  # name -> (value, where) or None

    def parts(self, value: Any, depth: int = 0) -> list[Part]:
        if depth > 20:
            return [("expr", str(value))]
        if isinstance(value, bool | int | float):
            return [render_scalar(value)]
        if not isinstance(value, str):
            return [("expr", str(value))]
        if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
            out: list[Part] = []
            for interp, text in _split(value[1:-1]):
                out += self.expression(text, depth) if interp else [_unescape(text)]
            return out
        if value.startswith("${") and value.endswith("}"):
            return self.expression(value[2:-1].strip(), depth)
        return [value]

    def expression(self, text: str, depth: int) -> list[Part]:
        if text in _PATH:
            return [str(self.directory.resolve())]
        if m := _VAR.fullmatch(text):
            return [("var", m.group(1))]
        if m := _LOCAL.fullmatch(text):
            value: Any = self.locals.get(m.group(1), _MISSING)
            for attr in filter(None, m.group(2).split(".")):
                value = value.get(attr, _MISSING) if isinstance(value, Mapping) else _MISSING
            if value is not _MISSING and not isinstance(value, Mapping | list):
                return self.parts(value, depth + 1)
        return [("expr", text)]


_MISSING = object()


def _blocks(parsed: Mapping[str, Any], kind: str) -> list[Mapping[str, Any]]:
    found = parsed.get(kind) or []
    return [b for b in found if isinstance(b, Mapping)]


def _label(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text.startswith('"') and text.endswith('"') else text


def _read_hcl(path: Path) -> Mapping[str, Any]:
    try:  # bounded like a definition file: a huge file costs no memory
        text = files.read_text(path)
    except yaml_safe.YamlError as exc:
        raise TerraformError(str(exc)) from None
    try:
        loaded: Mapping[str, Any] = hcl2.loads(text)
    except Exception as exc:  # the parser's own errors (lark) have no common public base
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TerraformError(f"{path.name}: not valid HCL ({first})") from None
    return loaded


def _variables(directory: Path, parsed: Mapping[Path, Mapping[str, Any]]) -> dict[str, Any]:
    """Variable name → (value, where it comes from) or None: defaults, then the tfvars files
    Terraform loads by itself (terraform.tfvars, then *.auto.tfvars in name order)."""
    resolver = _Resolver(directory, {}, {})
    out: dict[str, Any] = {}
    sensitive: set[str] = set()
    for path, doc in parsed.items():
        for block in _blocks(doc, "variable"):
            for label, body in block.items():
                if label.startswith("__") or not isinstance(body, Mapping):
                    continue
                name = _label(label)
                out[name] = None
                if body.get("sensitive") is True:  # never copied into a stack's plaintext config
                    sensitive.add(name)
                elif "default" in body:
                    text = _literal(resolver.parts(body["default"]))
                    if text is not None:
                        out[name] = (text, f"default in {path.name}")
    tfvars = [directory / "terraform.tfvars", *sorted(directory.glob("*.auto.tfvars"))]
    for path in tfvars:
        if not path.is_file():
            continue
        for name, value in _read_hcl(path).items():
            text = _literal(resolver.parts(value))
            if text is not None and not name.startswith("__") and name not in sensitive:
                out[name] = (text, path.name)
    return out


def _literal(parts: list[Part]) -> str | None:
    return "".join(p for p in parts if isinstance(p, str)) if all(isinstance(p, str) for p in parts) else None


def _archy_name(text: str) -> str | None:
    try:
        doc = yaml_safe.load(text, source="archy")
    except yaml_safe.YamlError:
        return None
    if isinstance(doc, Mapping) and len(doc) == 1:
        body = next(iter(doc.values()))
        if isinstance(body, Mapping) and isinstance(body.get("name"), str):
            return str(body["name"])
    return None


def read(directory: str | Path) -> Migration:
    """The migration of the configuration in `directory` (its `*.tf` files)."""
    root = Path(directory)
    if not root.is_dir():
        raise TerraformError(f"{root} is not a folder")
    tf_files = sorted(p for p in root.glob("*.tf") if p.is_file())
    if not tf_files:
        raise TerraformError(f"{root} holds no .tf file")
    parsed = {path: _read_hcl(path) for path in tf_files}
    locals_: dict[str, Any] = {}
    for doc in parsed.values():
        for block in _blocks(doc, "locals"):
            locals_.update({k: v for k, v in block.items() if not k.startswith("__")})
    variables = _variables(root, parsed)
    resolver = _Resolver(root, locals_, variables)
    result = Migration(root)
    pending: list[tuple[MigratedFlow, dict[str, list[Part]]]] = []
    keys: set[str] = set()
    for path, doc in parsed.items():
        for block in _blocks(doc, "resource"):
            for rtype, named in block.items():
                if _label(rtype) != RESOURCE or not isinstance(named, Mapping):
                    if _label(rtype) == RESOURCE:
                        result.untranslated.append(f"{path.name}: {RESOURCE}: unreadable block")
                    continue
                for rname, body in named.items():
                    if rname.startswith("__") or not isinstance(body, Mapping):
                        continue
                    flow = _flow(resolver, result, path, _label(rname), body, keys)
                    if flow is not None:
                        pending.append(flow)
    _finish(result, resolver, variables, pending)
    _modules(result, root, parsed)
    return result


def _flow(
    resolver: _Resolver,
    result: Migration,
    path: Path,
    name: str,
    body: Mapping[str, Any],
    keys: set[str],
) -> tuple[MigratedFlow, dict[str, list[Part]]] | None:
    where = f"{path.name}: {RESOURCE}.{name}"
    if "file_content_hash" in body:
        result.hashed += 1
    if "depends_on" in body:
        result.ordered += 1
    for attr in sorted(a for a in set(body) - _HANDLED if not a.startswith("__")):
        why = (
            "one resource per item is not translated: write one resource per flow first"
            if attr in ("for_each", "count")
            else "not translated"
        )
        result.untranslated.append(f"{where}: {attr}: {why}")
    if "for_each" in body or "count" in body:
        return None
    if body.get("force_unlock") is True:
        result.force_unlock = True
    raw_path = body.get("filepath")
    if raw_path is None:
        result.untranslated.append(f"{where}: filepath: missing")
        return None
    parts = resolver.parts(raw_path)
    parts = [_variable_value(p, resolver.variables) for p in parts]
    file_text = _literal(parts)
    if file_text is None:
        exprs = ", ".join(f"var.{p[1]}" if p[0] == "var" else p[1] for p in parts if not isinstance(p, str))
        result.untranslated.append(f"{where}: filepath: {exprs} has no value in the configuration")
        return None
    if re.match(r"^[a-z0-9]+://", file_text):
        result.untranslated.append(f"{where}: filepath: {file_text}: only local files are translated")
        return None
    archy_path = Path(file_text)
    if not archy_path.is_absolute():
        archy_path = resolver.directory / archy_path
    try:
        text = files.read_text(archy_path)
    except yaml_safe.YamlError as exc:
        result.untranslated.append(f"{where}: filepath: {file_text}: {exc}")
        return None
    key = slugify(name)
    base, n = key, 2
    while key in keys:
        key, n = f"{base}-{n}", n + 1
    keys.add(key)
    subs_raw = body.get("substitutions")
    subs: dict[str, list[Part]] = {}
    if isinstance(subs_raw, str):
        local = resolver.parts(subs_raw)
        result.untranslated.append(
            f"{where}: substitutions: {local[0][1] if local and not isinstance(local[0], str) else subs_raw} "
            "is not a map written in the resource; not translated"
        )
    elif isinstance(subs_raw, Mapping):
        subs = {str(k): resolver.parts(v) for k, v in subs_raw.items() if not str(k).startswith("__")}
    flow = MigratedFlow(key, f"{RESOURCE}.{name}", path.name, archy_path, text)
    return flow, subs


def _variable_value(part: Part, variables: Mapping[str, Any]) -> Part:
    if isinstance(part, tuple) and part[0] == "var" and variables.get(part[1]):
        return str(variables[part[1]][0])
    return part


def _finish(
    result: Migration,
    resolver: _Resolver,
    variables: Mapping[str, Any],
    pending: list[tuple[MigratedFlow, dict[str, list[Part]]]],
) -> None:
    """Per-flow substitutions and stack placeholders, once every flow is known (a value may be
    another flow's name)."""
    by_resource = {flow.resource.split(".", 1)[1]: (flow, subs) for flow, subs in pending}
    names: dict[str, str | None] = {}

    def flow_name(resource: str, seen: frozenset[str] = frozenset()) -> str | None:
        if resource in names:
            return names[resource]
        if resource in seen or resource not in by_resource:
            return None
        flow, subs = by_resource[resource]
        raw = _archy_name(flow.archy_text)
        if raw is None:
            return None
        rendered: dict[str, str] = {}
        for k, parts in subs.items():
            text = _render(parts, lambda r: flow_name(r, seen | {resource}))
            if text is not None:
                rendered[k] = text
        name = PLACEHOLDER_RE.sub(lambda m: rendered.get(m.group(1), m.group(0)), raw)
        names[resource] = name
        return name

    for flow, subs in pending:
        for k, parts in subs.items():
            text = _render(parts, flow_name)
            if text is not None:
                flow.substitutions[k] = text
                for part in parts:
                    if isinstance(part, tuple) and part[0] == "var":
                        _placeholder(result, variables, part[1], f"var.{part[1]}", flow.key)
                continue
            exprs = " ".join(p[1] for p in parts if isinstance(p, tuple) and p[0] == "expr")
            _placeholder(result, variables, k, exprs, flow.key, variable=False)
            if k in flow.substitutions:
                del flow.substitutions[k]
        used = set(PLACEHOLDER_RE.findall(flow.archy_text))
        for name in sorted(used - set(subs)):
            result.untranslated.append(
                f"{flow.tf_file}: {flow.resource}: the Archy file uses {{{{{name}}}}}, which the resource "
                "does not set (CX-as-Code leaves it as written): it becomes a stack placeholder"
            )
            _placeholder(result, variables, name, "(not set by the resource)", flow.key, variable=False)
        result.flows.append(flow)
    if result.hashed:
        result.notes.append(
            "file_content_hash is not needed: the provider compares each flow's substituted content itself"
        )
    if result.ordered:
        result.notes.append(
            f"depends_on of {result.ordered} resource(s) dropped: the order comes from the flows' content"
        )
    if result.force_unlock:
        result.notes.append(
            "force_unlock = true: set the stack's genesys-flows:forceUnlock to true to keep it"
        )


def _render(parts: list[Part], flow_name: Any) -> str | None:
    """The per-flow value: literal text with `{{var}}` for variables; None if an expression remains."""
    out: list[str] = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif part[0] == "var":
            out.append("{{" + part[1] + "}}")
        elif m := _FLOW_NAME.fullmatch(part[1]):
            name = flow_name(m.group(1))
            if name is None:
                return None
            out.append(name)
        else:
            return None
    return "".join(out)


def _placeholder(
    result: Migration,
    variables: Mapping[str, Any],
    name: str,
    source: str,
    key: str,
    *,
    variable: bool = True,
) -> None:
    holder = result.placeholders.get(name)
    if holder is None:
        holder = result.placeholders[name] = Placeholder(name, source)
        if variable and variables.get(name):
            holder.value, holder.value_from = variables[name]
    elif source not in holder.source.split(" | "):
        holder.source += f" | {source}"
    if key not in holder.flows:
        holder.flows.append(key)


def _modules(result: Migration, root: Path, parsed: Mapping[Path, Mapping[str, Any]]) -> None:
    """Local sub-modules that hold flows: named, since this reads one module only."""
    for path, doc in parsed.items():
        for block in _blocks(doc, "module"):
            for name, body in block.items():
                if name.startswith("__") or not isinstance(body, Mapping):
                    continue
                source = _label(str(body.get("source", "")))
                folder = (root / source).resolve() if source.startswith(".") else None
                if folder is None or not folder.is_dir():
                    continue
                if any(
                    RESOURCE in p.read_text(encoding="utf-8", errors="replace") for p in folder.glob("*.tf")
                ):
                    result.untranslated.append(
                        f"{path.name}: module {_label(name)}: its folder {source} holds {RESOURCE} "
                        f"resources: run `archctl migrate terraform {folder}` for them"
                    )


# -- the definitions ------------------------------------------------------------------------------------


def definition_text(flow: MigratedFlow, archy_file: str) -> str:
    """The definition file of a migrated flow (published: CX-as-Code always publishes)."""
    data: dict[str, Any] = {"archy": archy_file, "lifecycle_state": "published"}
    if flow.substitutions:
        data["substitutions"] = dict(flow.substitutions)
    head = f"# Migrated from {flow.resource} ({flow.tf_file}) by `archctl migrate terraform`.\n"
    return head + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def definition_files(migration: Migration, out_dir: Path) -> dict[Path, str]:
    """Path → text: `<key>.archy.yaml` (the Archy file copied as it is) and `<key>.yaml` per flow."""
    texts: dict[Path, str] = {}
    for flow in migration.flows:
        archy_path = Path(out_dir) / f"{flow.key}.archy.yaml"
        texts[archy_path] = flow.archy_text if flow.archy_text.endswith("\n") else flow.archy_text + "\n"
        texts[Path(out_dir) / f"{flow.key}.yaml"] = definition_text(flow, archy_path.name)
    return texts
