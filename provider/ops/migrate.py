"""`archctl migrate terraform DIR [--out FOLDER] [--stack S]`: a CX-as-Code configuration's flows as
definitions, and (with a stack) adopted by it so that its first `pulumi up` changes nothing.

1. Translate the `genesyscloud_flow` resources (provider/platforms/genesys_cloud/terraform.py).
2. Check the folder as it would be in a staging copy (the stack's substitutions, else each
   placeholder's known value or a stand-in); any problem: nothing is written.
3. Write `<key>.archy.yaml` (the Archy file copied as it is) and `<key>.yaml` (per-flow substitutions).
   An existing file with other content is kept and reported unless `overwrite`.
4. With a stack: each stack placeholder the stack has no value for gets the configuration's (a
   variable's default or tfvars value) in the stack's `genesys-flows:substitutions`; one with no
   known value stops here, named with the command that sets it. Then `archctl import` runs
   (provider/ops/importer.py): the org's flows of the same type and name are imported into the
   state with their live content, and its preview must show no change.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provider import platforms
from provider.deploy.config import NAMESPACE
from provider.domain import files
from provider.ops import importer, sources
from provider.platforms.importing import prepare_with
from provider.platforms.migrations import TERRAFORM_PLATFORM as PLATFORM
from provider.platforms.migrations import terraform

Note = Callable[[str], None]


@dataclass
class MigrateReport:
    directory: str
    out: str
    stack: str | None
    flows: list[dict[str, Any]] = field(default_factory=list)
    placeholders: list[dict[str, Any]] = field(default_factory=list)
    untranslated: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    kept_files: list[str] = field(default_factory=list)
    stack_values_set: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    imported: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and (self.imported is None or bool(self.imported.get("ok")))

    def to_json(self) -> dict[str, Any]:
        return {
            "directory": self.directory,
            "out": self.out,
            "stack": self.stack,
            "flows": self.flows,
            "placeholders": self.placeholders,
            "untranslated": self.untranslated,
            "notes": self.notes,
            "written": self.written,
            "kept_files": self.kept_files,
            "stack_values_set": self.stack_values_set,
            "problems": self.problems,
            "import": self.imported,
            "ok": self.ok,
        }

    def render(self, import_text: str = "") -> str:
        lines = [f"{len(self.flows)} genesyscloud_flow resource(s) in {self.directory} → {self.out}"]
        lines += [f"  + {f['key']} ← {f['resource']} ({f['tf_file']})" for f in self.flows]
        if self.placeholders:
            lines.append("stack placeholders the definitions use (set them in each stack's substitutions):")
            for p in self.placeholders:
                value = (
                    f" = {p['value']!r} ({p['value_from']})"
                    if p["value"] is not None
                    else " (no value known)"
                )
                lines.append(
                    f"  {{{{{p['name']}}}}} from {p['source']}{value}; flows {', '.join(p['flows'])}"
                )
        lines += [f"not translated: {u}" for u in self.untranslated]
        lines += [f"note: {n}" for n in self.notes]
        if self.kept_files:
            lines.append("existing files kept (use --overwrite to replace): " + ", ".join(self.kept_files))
        lines += [
            f"stack {self.stack}: substitution {k} = {v!r} set" for k, v in self.stack_values_set.items()
        ]
        lines += [f"problem: {p}" for p in self.problems]
        if import_text:
            lines.append(import_text)
        return "\n".join(lines)


def _check_values(migration: terraform.Migration, stack_subs: dict[str, str] | None) -> dict[str, str]:
    """Substitutions for the staging check: the stack's, else each placeholder's known value or a
    stand-in (the check is of structure, names and references)."""
    if stack_subs is not None:
        known = {n: p.value if p.value is not None else f"<{n}>" for n, p in migration.placeholders.items()}
        return {**known, **stack_subs}
    return {n: p.value if p.value is not None else f"<{n}>" for n, p in migration.placeholders.items()}


def migrate(
    directory: str | Path,
    *,
    out: str | Path | None = None,
    stack: str | None = None,
    overwrite: bool = False,
    note: Note | None = None,
) -> tuple[MigrateReport, importer.ImportReport | None]:
    say = note or (lambda _text: None)
    if out is None and stack is None:
        raise terraform.TerraformError("migrate needs --out FOLDER or --stack S (its flows folder)")
    migration = terraform.read(directory)
    info = sources.stack_info(stack, with_state=False) if stack else None
    if info is not None and info.platform != PLATFORM:
        raise terraform.TerraformError(
            f"stack {stack} is on platform {info.platform}: CX-as-Code flows are Archy YAML ({PLATFORM})"
        )
    out_dir = sources.flows_dir_for(info, out)
    report = MigrateReport(str(directory), str(out_dir), stack)
    report.flows = [f.to_json() for f in migration.flows]
    report.placeholders = [p.to_json() for p in migration.placeholders.values()]
    report.untranslated = list(migration.untranslated)
    report.notes = list(migration.notes)
    texts = terraform.definition_files(migration, out_dir)
    for path in sorted(texts):
        if path.exists() and not overwrite and files.read_text(path) != texts[path]:
            report.kept_files.append(path.name)
    kept = {name.split(".", 1)[0] for name in report.kept_files}  # a flow's two files go together
    texts = {p: t for p, t in texts.items() if p.name.split(".", 1)[0] not in kept}
    subs = _check_values(migration, dict(info.substitutions) if info else None)
    with tempfile.TemporaryDirectory(prefix="archctl-migrate-") as empty:  # a folder not made yet
        folder = out_dir if out_dir.is_dir() else Path(empty)
        prepared = prepare_with(folder, texts, subs, platforms.kind(PLATFORM).prepare)
    keys = {f.key for f in migration.flows}
    report.problems = [str(p) for p in prepared.problems if p.flow in keys or not p.flow]
    if report.problems:
        return report, None
    report.written = [str(p) for p in files.write_files(texts)]
    if info is None or stack is None:
        return report, None
    missing = [p for n, p in migration.placeholders.items() if n not in info.substitutions]
    unknown = [p for p in missing if p.value is None]
    if unknown:
        report.problems += [
            f"stack {stack} has no value for the placeholder {{{{{p.name}}}}} (from {p.source}): set the "
            f"value the org holds with `pulumi config set --path '{NAMESPACE}:substitutions.{p.name}' VALUE "
            f"--stack {stack}`, then run `archctl import --stack {stack}`"
            for p in unknown
        ]
        return report, None
    for p in missing:
        assert p.value is not None
        _set_substitution(stack, p.name, p.value)
        report.stack_values_set[p.name] = p.value
    say(f"importing the org's flows into stack {stack}")
    result = importer.import_stack(stack, flows_dir=out_dir, note=note)
    report.imported = result.to_json()
    return report, result


def _set_substitution(stack: str, name: str, value: str) -> None:
    """`pulumi config set --path --type string`: the Automation API's `set_config(path=True)` has no
    type, and the CLI then stores `+19206775555` as the number 19206775555 (and `true` as a boolean)."""
    from provider.ops import workspace
    from provider.ops.engine import pulumi_command

    root = sources.project_dir()
    workspace.stack(stack, root, create=True)  # selected in the backend
    args = ["config", "set", "--path", "--type", "string", "--stack", stack]
    pulumi_command().run(
        [*args, f"{NAMESPACE}:substitutions.{name}", "--", value], str(root), workspace.engine_env()
    )
