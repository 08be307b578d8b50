"""Ends the dynamic provider's process when the engine that started it is gone.

The engine starts the Python dynamic provider (through the SDK's `pulumi-resource-pulumi-python`
shell script, so python's parent is a shell whose parent is the engine) and stops it when it
finishes; after a kill -9 of the CLI nobody does, and the provider would live on (serving nothing).
A daemon thread polls the chain: when python or the shell is re-parented (the engine died), it
runs the provider's last words (`host_cancel.run_hooks`: the metrics files, at most `LAST_WORDS_S`)
and exits without the interpreter's shutdown.
Started on import of `provider.deploy.resource` in the provider process only (the engine's dynamic
provider host is `python -m pulumi.dynamic`).
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from provider.deploy.sdk_patches import host_cancel

#: How often the parent is checked: the provider is gone within this (plus its last words, at most
#: LAST_WORDS_S) of the engine's death.
POLL_S = 1.0
#: How long the last words may take before the process exits anyway.
LAST_WORDS_S = 5.0
_started = False


def _in_provider_process() -> bool:
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    return getattr(spec, "name", "") in ("pulumi.dynamic.__main__", "pulumi.dynamic")


SHELLS = frozenset({"sh", "dash", "bash"})


def _stat(pid: int) -> tuple[str, int] | None:
    """(command name, parent pid) of `pid` from /proc, None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    name = text[text.index("(") + 1 : text.rindex(")")]
    return name, int(text[text.rindex(")") + 2 :].split()[1])


def _is_shell(pid: int) -> bool:
    # Not /proc/<pid>/stat's name: for a script run by its #! line that is the script's name.
    try:
        argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0", 1)[0]
    except OSError:
        return False
    return os.path.basename(argv0.decode(errors="replace")) in SHELLS


def _chain() -> tuple[int, int | None]:
    """The parent, and the engine above it when the parent is the launcher shell."""
    parent = os.getppid()
    info = _stat(parent)
    return parent, (info[1] if info is not None and _is_shell(parent) else None)


def _engine_gone(parent: int, engine: int | None) -> bool:
    if os.getppid() != parent:
        return True
    if engine is None:
        return False
    info = _stat(parent)
    return info is None or info[1] != engine


def _watch(parent: int, engine: int | None) -> None:
    stop = threading.Event()
    while not stop.wait(POLL_S):
        if _engine_gone(parent, engine):
            try:  # in a thread of its own: a hook stuck on a lock or a disk cannot keep us alive
                last = threading.Thread(target=host_cancel.run_hooks, name="last-words", daemon=True)
                last.start()
                last.join(LAST_WORDS_S)
            finally:  # even when no thread can be started
                os._exit(1)  # no interpreter shutdown: the engine that would receive anything is gone


def start(force: bool = False) -> bool:
    """Starts the watchdog once, in the provider process (or anywhere with `force`)."""
    global _started
    if _started or not (force or _in_provider_process()):
        return False
    _started = True
    threading.Thread(target=_watch, args=_chain(), name="parent-watchdog", daemon=True).start()
    return True
