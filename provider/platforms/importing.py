"""`archctl import`'s plan, the same shape on every platform: which live flows a stack adopts (each
with the fields the program would register and the live flow its outputs record) and which definition
files it writes, checked as a whole first. The platform decides the plan (`PlatformKind.import_plan`);
`provider.ops.importer` writes the files and runs `pulumi import`.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provider.domain import files
from provider.domain import loading as defs
from provider.platforms.base import LiveFlow

Note = Callable[[str], None]
Prepare = Callable[[Path, Mapping[str, str]], defs.PreparedSet]


@dataclass(frozen=True)
class ImportRequest:
    """What the stack gives the plan: its definitions folder and substitutions, the flow ids its
    state knows by key, and whether a differing definition is rewritten from the live flow."""

    directory: Path
    substitutions: Mapping[str, str]
    flow_ids: Mapping[str, str]
    overwrite: bool = False
    note: Note = field(default=lambda _text: None, repr=False)


@dataclass
class Adoption:
    """One flow to import: `document` is what the program registers for it (managed fields and
    content), `live` the flow its outputs record, `outputs` output values that differ from what a
    create would return (the live content, where it is not the definition's)."""

    key: str
    live: LiveFlow
    document: dict[str, Any]
    reference_ids: dict[str, str]
    file: Path
    outputs: dict[str, Any] = field(default_factory=dict)
    #: The references that close a cycle (genesys-cloud), bound by name: key → the target's name and
    #: type, as the program registers them (not in `reference_ids`).
    by_name: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class ImportPlan:
    adopt: list[Adoption] = field(default_factory=list)
    files: dict[Path, str] = field(default_factory=dict)  # to write, checked as a whole
    already_managed: list[str] = field(default_factory=list)
    kept_files: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: Definitions with no live flow of their type and name (left for `up` to create), and live
    #: flows no definition described (`key [name] id`: their definitions are written).
    not_in_org: list[str] = field(default_factory=list)
    unmatched_live: list[str] = field(default_factory=list)


def prepare_with(
    directory: Path, new_files: Mapping[Path, str], substitutions: Mapping[str, str], prepare: Prepare
) -> defs.PreparedSet:
    """The definitions `directory` would hold with `new_files` written, checked in a staging copy
    (the folder's definition files and its content files)."""
    with tempfile.TemporaryDirectory(prefix="archctl-import-") as tmp:
        staging = Path(tmp)
        kept = list(defs.definition_files(directory))
        if Path(directory).is_dir():
            kept += [p for p in Path(directory).iterdir() if p.is_file() and is_content_file(p.name)]
        for existing in kept:
            shutil.copyfile(existing, staging / existing.name)
        for path, text in new_files.items():
            (staging / path.name).write_text(text, encoding="utf-8")
        return prepare(staging, dict(substitutions))


def is_content_file(name: str) -> bool:
    return not name.startswith(".") and name.lower().endswith(files.CONTENT_SUFFIXES)
