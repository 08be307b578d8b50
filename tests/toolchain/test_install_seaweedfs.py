"""scripts/install-seaweedfs: the no-op second run, and the message without Go. The real build is
exercised by `make test` itself (`make tools` runs the script before pytest) and by the team tests,
which start the built `weed`."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from provider.ops.engine import PROJECT_DIR
from provider.ops.s3_server import weed_binary

SCRIPT = PROJECT_DIR / "scripts" / "install-seaweedfs"
PINNED = re.search(r"^SEAWEEDFS_VERSION=(\S+)$", SCRIPT.read_text(), re.M).group(1)  # type: ignore[union-attr]


@pytest.mark.tools  # weed must be built already: `make test-fast` does not build the tools
def test_second_run_with_weed_present_builds_nothing() -> None:
    env = {k: v for k, v in os.environ.items() if k != "SEAWEEDFS_TOOLS_DIR"}
    result = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert f"SeaweedFS {PINNED} is already installed" in result.stderr
    assert result.stdout.strip() == str(weed_binary().parent)
    version = subprocess.run([str(weed_binary()), "version"], capture_output=True, text=True, timeout=30)
    assert version.returncode == 0 and "version" in version.stdout.lower()


def test_without_go_the_script_says_what_to_install(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PATH"}
    env["PATH"] = "/usr/bin:/bin"
    env["SEAWEEDFS_TOOLS_DIR"] = str(tmp_path / "tools")
    result = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "Go is required to build SeaweedFS" in result.stderr
    assert not (tmp_path / "tools" / "bin" / "weed").exists()
