"""provider/domain/files.py `write_files`: content files before the definitions naming them, each
replaced atomically, unchanged files left alone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from provider.domain import files


def test_content_files_first_and_nothing_left_behind(tmp_path: Path) -> None:
    texts = {
        tmp_path / "main.yaml": "archy: main.archy.yaml\nlifecycle_state: published\n",
        tmp_path / "main.archy.yaml": "inboundCall:\n  name: Main\n",
    }
    assert [p.name for p in files.write_files(texts)] == ["main.archy.yaml", "main.yaml"]
    assert {p.name for p in tmp_path.iterdir()} == {"main.yaml", "main.archy.yaml"}
    assert all(p.read_text() == t for p, t in texts.items())


def test_unchanged_files_are_not_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "main.yaml"
    path.write_text("same\n")
    os.utime(path, (1, 1))
    files.write_files({path: "same\n"})
    assert path.stat().st_mtime == 1


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "main.yaml"
    path.write_text("old\n")

    def no_space(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", no_space)
    with pytest.raises(OSError, match="No space"):
        files.write_files({path: "new\n"})
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["main.yaml"]
