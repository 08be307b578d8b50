"""The code's shape, checked (issue 21): one registry of platforms (no platform named outside
`provider/platforms/`), no file-level import cycle, no module over 600 lines, no function over 60."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp

from provider import platforms

PROVIDER = Path(__file__).resolve().parents[1] / "provider"
PLATFORM_PACKAGES = tuple(
    f"provider.platforms.{p.name}" for p in (PROVIDER / "platforms").iterdir() if (p / "kind.py").exists()
)
#: Over 60 lines, and why they stay so for now.
LONG_FUNCTIONS = {
    "cli/main.py:build_parser": "the argparse table",
}


def modules() -> list[Path]:
    return sorted(PROVIDER.rglob("*.py"))


def _strings(tree: ast.AST) -> set[str]:
    docstrings = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    }


def test_the_registry_lists_every_platform_package_once():
    assert set(platforms.NAMES) == {k.name for k in platforms.PLATFORMS.values()}
    assert len(platforms.PLATFORMS) == len(PLATFORM_PACKAGES) == 2
    assert platforms.DEFAULT in platforms.PLATFORMS


def test_no_module_outside_platforms_names_a_platform():
    offenders = []
    for path in modules():
        if (PROVIDER / "platforms") in path.parents:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        named = _strings(tree) & set(platforms.NAMES)
        imported = {
            name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom | ast.Import)
            for name in (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            )
            if name.startswith(PLATFORM_PACKAGES)
        }
        if named or imported:
            offenders.append(f"{path.relative_to(PROVIDER)}: {sorted(named | imported)}")
    assert offenders == []


def test_no_file_level_import_cycle():
    graph = grimp.build_graph("provider")
    cycles = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            if imported != module and graph.chain_exists(importer=imported, imported=module):
                cycles.append(f"{module} ↔ {imported}")
    assert cycles == []


def test_no_module_over_600_lines_and_no_function_over_60():
    too_long = []
    for path in modules():
        text = path.read_text(encoding="utf-8")
        where = str(path.relative_to(PROVIDER))
        if len(text.splitlines()) > 600:
            too_long.append(f"{where}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > 60 and f"{where}:{node.name}" not in LONG_FUNCTIONS:
                    too_long.append(f"{where}:{node.name}: {size} lines")
    assert too_long == []


def test_the_domain_holds_no_platform_contract():
    """Issue 21: the Architecture API's flow objects and rules live in its platform package; the
    domain keeps only what every platform shares (provider/domain/checks.py, live.py, fields.py)."""
    domain = PROVIDER / "domain"
    assert not (domain / "models.py").exists() and not (domain / "rules.py").exists()
    defined = [
        f"{path.relative_to(PROVIDER)}: class {node.name}"
        for path in sorted(domain.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef) and node.name in {"Flow", "FlowFields"}
    ]
    assert defined == []


#: Where the literal "description" (the managed field's name, as a string: a key, a wire name) may
#: appear, and why; everywhere else the field is reached through the table (provider/domain/fields.py
#: ATTRIBUTES). This checks strings only: genesys-cloud's write path also reads `.description` of its
#: own wire objects and of the document (the typed stub in provider/domain/document.py).
DESCRIPTION_ALLOWED = {
    "domain/fields.py": "the field table's row",
    "platforms/architecture_api/models.py": "the Architecture API's wire table (`WIRE_ATTRIBUTES`)",
    "domain/archy.py": "the Archy document's own `description` key",
    "platforms/genesys_cloud/wire.py": "genesys-cloud's wire tables (the flow's and the Archy document's)",
    "platforms/genesys_cloud/_locks.py": "genesys-cloud's PUT body of a flow (its wire)",
    "platforms/genesys_cloud/_cycles.py": "a stub's Archy document (Archy content)",
    "platforms/http/auth.py": "the OAuth error body's `description` (not the field)",
}


def _field_name_literals(tree: ast.AST, name: str) -> int:
    """How often `name` appears as a string constant that is neither a docstring nor a JSON Schema
    keyword (a key of a `json_schema_extra=` dict, or of a dict holding a `$schema`)."""
    docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
    schema_dicts = [
        n.value for n in ast.walk(tree) if isinstance(n, ast.keyword) and n.arg == "json_schema_extra"
    ]
    schema_dicts += [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Dict) and any(getattr(k, "value", None) == "$schema" for k in n.keys)
    ]
    schema_keys = {id(k) for d in schema_dicts if isinstance(d, ast.Dict) for k in d.keys}
    return sum(
        1
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and n.value == name and id(n) not in docstrings | schema_keys
    )


def test_the_description_is_named_only_by_the_field_table_and_the_wire():
    named = {}
    for path in modules():
        count = _field_name_literals(ast.parse(path.read_text(encoding="utf-8")), "description")
        if count:
            named[path.relative_to(PROVIDER).as_posix()] = count
    assert sorted(set(named) - set(DESCRIPTION_ALLOWED)) == []
    assert sorted(set(DESCRIPTION_ALLOWED) - set(named)) == []  # no stale exception
