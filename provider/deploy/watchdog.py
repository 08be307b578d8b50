"""Ends the dynamic provider's process when the engine that started it is gone.

The engine starts the Python dynamic provider as a child and stops it when it finishes; after a
kill -9 of the CLI nobody does, and the provider would live on (serving nothing). A daemon thread
polls the parent pid: when the process is re-parented (the engine died), it exits at once.
Started on import of `provider.deploy.resource` in the provider process only (the engine's dynamic
provider host is `python -m pulumi.dynamic`).
"""

from __future__ import annotations

import os
import sys
import threading

#: How often the parent is checked: the provider is gone within this of the engine's death.
POLL_S = 1.0
_started = False


def _in_provider_process() -> bool:
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    return getattr(spec, "name", "") in ("pulumi.dynamic.__main__", "pulumi.dynamic")


def _watch(parent: int) -> None:
    stop = threading.Event()
    while not stop.wait(POLL_S):
        if os.getppid() != parent:
            os._exit(1)  # no cleanup: the engine that would receive anything is gone


def start(force: bool = False) -> bool:
    """Starts the watchdog once, in the provider process (or anywhere with `force`)."""
    global _started
    if _started or not (force or _in_provider_process()):
        return False
    _started = True
    threading.Thread(target=_watch, args=(os.getppid(),), name="parent-watchdog", daemon=True).start()
    return True
