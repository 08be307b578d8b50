"""Repairs what an interrupted engine leaves in the local file backend, before the next run.

`python -m provider.deploy.sdk_patches.backend_repair STACK` (scripts/up runs it before `pulumi up`)
prints one line per repair and exits 0; it exits 1 with an explanation when the checkpoint cannot be repaired.

- a stale lock (`.pulumi/locks/<org>/<project>/<stack>/*.json`) whose process, on this host, is dead:
  removed (what `pulumi cancel` does for this backend), so the next run is not "stack locked";
- a damaged blob-attributes file (`<stack>.json.attrs`, e.g. 0 bytes after a kill -9 during the file
  backend's non-atomic write): removed (the backend reads a missing one as "no attributes"), instead of
  `error: failed to load checkpoint: EOF`;
- a truncated or empty checkpoint (`<stack>.json`): restored from the `<stack>.json.bak` the backend
  keeps of the previous checkpoint, when that one is whole.

Pending operations in the checkpoint need nothing here: `pulumi up` drops them, and the provider
adopts the flows this stack's interrupted creates made (provider/deploy/adoption.py).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

from provider.paths import PROJECT_DIR
from provider.procs import pid_alive

PROJECT = "genesys-flows"


def backend_root(url: str | None = None) -> Path | None:
    """The folder of a `file://` backend (None for any other backend)."""
    url = url or os.environ.get("PULUMI_BACKEND_URL") or (PROJECT_DIR / ".pulumi" / "backend").as_uri()
    parsed = urlparse(url)
    if parsed.scheme != "file":
        return None
    return Path(unquote(parsed.path)).expanduser() / ".pulumi"

    return True


def _whole_json(path: Path) -> bool:
    try:
        json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    return True


def stale_locks(root: Path, stack: str, project: str = PROJECT) -> list[Path]:
    """The stack's lock files whose process (on this host) is gone."""
    stale = []
    for lock in sorted(root.glob(f"locks/*/{project}/{stack}/*.json")):
        try:
            info = json.loads(lock.read_text())
            pid, host = int(info.get("pid")), str(info.get("hostname") or "")
        except (OSError, ValueError, TypeError):
            continue  # not readable: leave it to `pulumi cancel`
        if host == socket.gethostname() and not pid_alive(pid):
            stale.append(lock)
    return stale


def repair(stack: str, root: Path, project: str = PROJECT) -> list[str]:
    """Repairs the stack's files under `root`; returns what was done. `RuntimeError` when the
    checkpoint is damaged and no whole backup exists."""
    done: list[str] = []
    stale = stale_locks(root, stack, project)
    for lock in stale:
        lock.unlink(missing_ok=True)
        done.append(f"removed the lock of an interrupted run (process gone): {lock.name}")
    if any(lock not in stale for lock in root.glob(f"locks/*/{project}/{stack}/*.json")):
        # Another run holds the stack (or a lock we cannot read): its writes are in flight, and a
        # "damaged" file may be one it is writing. Leave everything to it (or to `pulumi cancel`).
        return done
    stacks = root / "stacks" / project
    checkpoint = stacks / f"{stack}.json"
    for attrs in (stacks / f"{stack}.json.attrs", stacks / f"{stack}.json.bak.attrs"):
        if attrs.exists() and not _whole_json(attrs):
            attrs.unlink()
            done.append(f"removed a damaged backend attributes file ({attrs.name}; an interrupted write)")
    if checkpoint.exists() and not _whole_json(checkpoint):
        backup = checkpoint.with_name(checkpoint.name + ".bak")
        if not _whole_json(backup):
            raise RuntimeError(
                f"the checkpoint of stack {stack} ({checkpoint}) is damaged and its backup ({backup.name}) "
                f"is missing or damaged too: restore it with `pulumi stack import --file <a saved export>`, "
                f"or remove the stack and adopt the org's flows with `archctl import --stack {stack}`"
            )
        shutil.copyfile(backup, checkpoint)
        checkpoint.with_name(checkpoint.name + ".attrs").unlink(missing_ok=True)
        done.append(
            f"the checkpoint of stack {stack} was damaged (an interrupted write): restored the previous "
            f"one from {backup.name}; the next run reconciles what changed since"
        )
    return done


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m provider.deploy.sdk_patches.backend_repair STACK", file=sys.stderr)
        return 2
    root = backend_root()
    if root is None or not root.exists():
        return 0
    try:
        for line in repair(argv[0], root):
            print(f"[repair] {line}")
    except RuntimeError as exc:
        print(f"[repair] error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
