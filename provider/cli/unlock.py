"""`archctl unlock --stack S`: remove the Pulumi lock a dead runner left, on purpose and audited.

It names every lock of the stack (host, process, age), refuses a lock whose process runs on this
host, and removes the others only after a confirmation (`--yes`, or `y` on a terminal). Each removal
is an `unlock` entry in the stack's audit trail (in the bucket with an s3:// backend).
"""

from __future__ import annotations

import argparse
import os
import sys

from provider.cli.common import EXIT_DIFF, EXIT_OK, CliError, Output
from provider.governance.s3_trail import StoreError
from provider.governance.telemetry import Telemetry
from provider.governance.trail import Trail
from provider.ops import locks


def _backend_url() -> str:
    from provider.ops.workspace import engine_env

    return engine_env()["PULUMI_BACKEND_URL"]


def cmd_unlock(args: argparse.Namespace, out: Output) -> int:
    url = _backend_url()
    try:
        found = locks.stack_locks(url, args.stack)
    except (StoreError, OSError) as exc:
        raise CliError(
            f"the locks of stack {args.stack} could not be read: {exc.strerror or exc}", "connection"
        ) from None
    doc: dict[str, object] = {
        "stack": args.stack,
        "locks": [
            {"host": lk.hostname, "pid": lk.pid, "user": lk.username, "age_s": lk.age_s(), "key": lk.key}
            for lk in found
        ],
        "removed": [],
    }
    if not found:
        out.emit(doc, f"stack {args.stack} is not locked")
        return EXIT_OK
    lines = [f"stack {args.stack} is locked by:"] + [f"  {lk.describe()}" for lk in found]
    alive = [lk for lk in found if lk.alive_here()]
    if alive:
        lines.append("refused: that process still runs on this host; let it finish (or stop it) first")
        out.emit(doc, "\n".join(lines))
        return EXIT_DIFF
    if not args.yes:
        if not sys.stdin.isatty() or out.json_mode:
            lines.append("not removed: confirm with --yes (no terminal to ask on)")
            out.emit(doc, "\n".join(lines))
            return EXIT_DIFF
        out.err.write("\n".join(lines) + "\nremove, after making sure that run is dead? [y/N] ")
        out.err.flush()
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            out.emit(doc, "not removed")
            return EXIT_DIFF
    trail = Telemetry(flush_at_exit=False).recorder(args.stack).audit
    removed = []
    for lk in found:
        try:
            _remove_audited(trail, url, lk)
        except OSError as exc:
            raise CliError(f"the lock was not removed: {exc.strerror or exc}", "connection") from None
        removed.append(lk.key)
        lines.append(f"removed the lock of {lk.hostname} (pid {lk.pid})")
    doc["removed"] = removed
    out.emit(doc, "\n".join(lines))
    return EXIT_OK


def _remove_audited(trail: Trail, url: str, lk: locks.StackLock) -> None:
    """Remove one lock, audited first (a removal nobody can trace is what this command exists to
    prevent), then its outcome: the trail never says removed for a lock that is still there."""
    entry = {
        "event": "unlock",
        "action": "unlock",
        "lock_host": lk.hostname,
        "lock_pid": lk.pid,
        "lock_user": lk.username,
        "lock_age_s": round(lk.age_s() or 0.0, 1),
        "by_user": os.environ.get("USER") or os.environ.get("GITLAB_USER_LOGIN") or "",
    }
    trail.append({**entry, "outcome": "intent"})
    try:
        locks.remove(url, lk)
    except OSError:
        trail.append({**entry, "outcome": "failure"})
        raise
    trail.append({**entry, "outcome": "success"})
