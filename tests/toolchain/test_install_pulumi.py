"""scripts/install-pulumi: reuse of a suitable CLI on PATH, refusal of an unsuitable one, the
message without Go, and the no-op second run. The real build is exercised by `make test` itself
(it runs the script before pytest) and by the engine tests that use the built CLI."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from provider.ops.engine import PROJECT_DIR, tools_bin

SCRIPT = PROJECT_DIR / "scripts" / "install-pulumi"
PINNED = next(
    line.split("==", 1)[1].strip()
    for line in (PROJECT_DIR / "requirements.txt").read_text().splitlines()
    if line.startswith("pulumi==")
)
SHIMS = ("pulumi-language-python", "pulumi-language-python-exec", "pulumi-resource-pulumi-python")


def fake_pulumi(folder: Path, version: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "pulumi").write_text(f"#!/bin/sh\necho {version}\n")
    for name in SHIMS:
        (folder / name).write_text("#!/bin/sh\nexit 0\n")
    for child in folder.iterdir():
        child.chmod(0o755)
    return folder


def run_script(tmp_path: Path, path_dirs: list[Path]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PATH", "PULUMI_TOOLS_DIR")}
    env["PATH"] = os.pathsep.join([*map(str, path_dirs), "/usr/bin", "/bin"])
    env["PULUMI_TOOLS_DIR"] = str(tmp_path / "tools")
    return subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)


def test_a_suitable_pulumi_on_path_is_linked_and_nothing_is_built(tmp_path: Path) -> None:
    major, minor, _patch = PINNED.split(".")
    newer = f"v{major}.{int(minor) + 1}.0"
    existing = fake_pulumi(tmp_path / "existing", newer)

    result = run_script(tmp_path, [existing])

    assert result.returncode == 0, result.stderr
    assert f"using the Pulumi {newer}" in result.stderr
    assert "building" not in result.stderr
    bin_dir = tmp_path / "tools" / "bin"
    assert result.stdout.strip() == str(bin_dir)
    for name in ("pulumi", *SHIMS):
        assert (bin_dir / name).resolve() == (existing / name).resolve()


def test_an_older_or_other_major_pulumi_is_ignored_and_without_go_the_script_says_what_to_install(
    tmp_path: Path,
) -> None:
    major, minor, _ = PINNED.split(".")
    for version in (f"v{major}.{int(minor) - 1}.0", f"v{int(major) - 1}.99.0"):
        folder = tmp_path / version
        fake_pulumi(folder, version)
        result = run_script(tmp_path, [folder])  # no Go on this PATH
        assert result.returncode == 1
        assert f"ignoring the pulumi at {folder}/pulumi ({version})" in result.stderr
        assert "Go is required" in result.stderr
        assert "Install Go" in result.stderr
        assert not (tmp_path / "tools" / "bin" / "pulumi").exists()


@pytest.mark.pulumi_cli
def test_second_run_with_the_tools_present_builds_nothing() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PULUMI_TOOLS_DIR"}
    result = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert f"Pulumi v{PINNED} is already installed" in result.stderr
    assert result.stdout.strip() == str(tools_bin())
    version = subprocess.run([str(tools_bin() / "pulumi"), "version"], capture_output=True, text=True)
    assert version.stdout.strip() == f"v{PINNED}"
