"""Which files of the definitions folder are definitions, and reading one safely.

A definition is a regular file directly in the folder whose name ends in `.yaml` or `.yml` (any
case: `flow.YAML` counts). A file or link that resolves outside the folder is refused with a problem
naming the file only: its target may be anything (a secret, a device), so it is never opened.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from provider.domain import yaml_safe
from provider.domain.problems import Problem

SUFFIXES = (".yaml", ".yml")
#: Archy content files (`<key>.archy.yaml`) sit beside the definitions; they are content, not definitions.
CONTENT_SUFFIXES = (".archy.yaml", ".archy.yml")
RULE_OUTSIDE = "definition.file.outside"
RULE_FILE = "definition.file.invalid"


def is_definition_name(name: str) -> bool:
    lower = name.lower()
    return not name.startswith(".") and lower.endswith(SUFFIXES) and not lower.endswith(CONTENT_SUFFIXES)


def content_file(directory: str | Path, name: str) -> Path:
    """The content file `name` of the definitions folder (a file in the folder itself, never outside:
    no separators, no link leaving it); `yaml_safe.YamlError` naming the file otherwise."""
    root = Path(directory)
    if not name or "/" in name or "\\" in name or name in (".", ".."):
        raise yaml_safe.YamlError(
            name, None, RULE_OUTSIDE, "a content file is named by its file name in the definitions folder"
        )
    path = root / name
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise yaml_safe.YamlError(name, None, RULE_FILE, "no such file in the definitions folder") from None
    if target.parent != root.resolve():
        raise yaml_safe.YamlError(
            name, None, RULE_OUTSIDE, "resolves to a file outside the definitions folder; refused"
        )
    return path


def definition_files(directory: str | Path) -> tuple[list[Path], list[Problem]]:
    """The definition files of `directory` sorted by name, and the problems of the refused ones."""
    root = Path(directory)
    real_root = root.resolve()
    files: list[Path] = []
    problems: list[Problem] = []
    for path in sorted(root.iterdir()):
        if not is_definition_name(path.name):
            continue
        key = path.name.rsplit(".", 1)[0]
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):  # a dangling or looping link
            problems.append(Problem(key, "", RULE_FILE, f"{path.name} cannot be opened (a broken link?)"))
            continue
        if target.parent != real_root:
            problems.append(
                Problem(
                    key,
                    "",
                    RULE_OUTSIDE,
                    f"{path.name} resolves to a file outside the definitions folder; refused "
                    "(a definition must be a file in the folder itself)",
                )
            )
            continue
        if not target.is_file():
            if not path.is_dir():
                problems.append(Problem(key, "", RULE_FILE, f"{path.name} is not a regular file"))
            continue
        files.append(path)
    return files, problems


def read_definition(path: Path) -> Any:
    """The parsed YAML of one definition file; `yaml_safe.YamlError` when refused or unreadable."""
    return yaml_safe.load(read_text(path), source=path.name)


def read_text(path: Path) -> str:
    """The text of one file of the folder, bounded; `yaml_safe.YamlError` when refused or unreadable.

    At most `MAX_BYTES` + 1 bytes are read, so a huge file costs no memory."""
    try:
        # O_NONBLOCK: a FIFO put in place of the file must not hang the open.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise yaml_safe.YamlError(path.name, None, RULE_FILE, "not a regular file")
            data = handle.read(yaml_safe.MAX_BYTES + 1)
    except OSError as exc:
        raise yaml_safe.YamlError(path.name, None, RULE_FILE, f"cannot be read ({exc.strerror})") from None
    if len(data) > yaml_safe.MAX_BYTES:
        raise yaml_safe.YamlError(
            path.name,
            None,
            yaml_safe.RULE_SIZE,
            f"the file is larger than a definition may be ({yaml_safe.MAX_BYTES} bytes)",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise yaml_safe.YamlError(path.name, None, RULE_FILE, f"not UTF-8 text (byte {exc.start})") from None


def write_files(texts: dict[Path, str]) -> list[Path]:
    """Write definition and content files, content files first (a definition never names a missing
    one), each atomically (a temporary file beside it, then a rename): a crash leaves every file
    either as it was or as written. Unchanged files are left alone. Returns the paths, in order."""
    ordered = sorted(texts, key=lambda p: not p.name.lower().endswith(CONTENT_SUFFIXES))
    for path in ordered:
        text = texts[path]
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            with open(tmp, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    return ordered
