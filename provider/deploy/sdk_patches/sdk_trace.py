"""One-frame stack traces in the state (issue 14, "State"; installed by `__main__.py`).

With every resource registration the Python SDK sends the whole Python stack of the call
(`pulumi.runtime.resource._get_stack_trace`: ~15 frames, down to the asyncio loop and the language
host's exec script), and the engine stores it in the resource's state entry (`stackTrace`): ~1.2 KB
per Flow, the largest item of a flow's entry, rewritten with the whole state on every checkpoint.
Nothing reads it on a local file backend. `install()` keeps the first frame (the engine derives the
resource's `sourcePosition` from it, so that stays). `GENESYS_FLOWS_FULL_TRACES=1` keeps the whole
trace. An SDK without the function is left alone.
"""

from __future__ import annotations

import os
from typing import Any

ENV_SWITCH = "GENESYS_FLOWS_FULL_TRACES"

_original: Any = None


def _first_frame(get: Any) -> Any:
    def short_stack_trace() -> Any:
        trace = get()
        frames = getattr(trace, "frames", None)
        if frames is not None and len(frames) > 1:
            del frames[1:]
        return trace

    short_stack_trace.__wrapped__ = get  # type: ignore[attr-defined]
    return short_stack_trace


def install() -> bool:
    """Keep one frame of each registration's stack trace; returns whether that is active. Idempotent."""
    global _original
    import pulumi.runtime.resource as resource

    if os.environ.get(ENV_SWITCH, "").strip().lower() in ("1", "true", "yes", "on"):
        return False
    current = getattr(resource, "_get_stack_trace", None)
    if current is None:
        return False
    if getattr(current, "__wrapped__", None) is not None and current.__name__ == "short_stack_trace":
        return True
    _original = current
    resource._get_stack_trace = _first_frame(current)  # register_resource looks it up at call time
    return True


def uninstall() -> None:
    global _original
    import pulumi.runtime.resource as resource

    if _original is not None:
        resource._get_stack_trace = _original
        _original = None
