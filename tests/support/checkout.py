"""A second (third, …) checkout of the project in a temp folder, for the tests of what a checkout
owns: its emulator (.emulator/), its backend (.pulumi/) and the commands run from it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from provider.ops.engine import tools_bin
from provider.paths import PROJECT_DIR


def checkout(root: Path) -> Path:
    """A copy of what `scripts/up` and `archctl` need of this checkout, with its own .emulator/ and
    .pulumi/ (the virtualenv is this interpreter's)."""
    root.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("provider", "emulator", "scripts", "stacks", "flows"):
        shutil.copytree(PROJECT_DIR / name, root / name, ignore=ignore)
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(PROJECT_DIR / name, root / name)
    (root / ".venv").symlink_to(sys.prefix)
    return root


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell in a checkout: none of the test run's engine settings."""
    prefixes = ("PULUMI_", "GENESYSCLOUD_", "EMULATOR_", "GENESYS_FLOWS_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env["PULUMI_TOOLS_DIR"] = str(tools_bin().parent)
    env.update(extra)
    return env


def run(root: Path, *argv: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
    """A command run in the checkout `root` (stdout and stderr together, as a terminal shows them)."""
    return subprocess.run(
        list(argv),
        cwd=root,
        env=clean_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )


def stop_emulator(root: Path) -> None:
    pid_file = root / ".emulator" / "emulator.pid"
    if pid_file.exists():
        subprocess.run(["kill", pid_file.read_text().strip()], check=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
