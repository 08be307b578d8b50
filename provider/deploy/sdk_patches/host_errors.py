"""Provider errors read as one clear message first.

The SDK's dynamic-provider host (`python -m pulumi.dynamic`) aborts a failed call with
`traceback.format_exc()` as the message, so the engine printed "Traceback (most recent call last):"
and our message came last. In the provider process, the host's `traceback` is replaced by a proxy
whose `format_exc` puts the exception's own message first; the traceback follows, for bugs.
"""

from __future__ import annotations

import sys
import traceback
import types
from typing import Any

from provider.deploy.inputs import FlowProviderError

_installed = False


def format_exc(*args: Any, **kwargs: Any) -> str:
    exc = sys.exc_info()[1]
    trace = traceback.format_exc(*args, **kwargs)
    if exc is None:
        return trace
    if isinstance(exc, FlowProviderError):
        return f"{exc}\n\n(provider traceback)\n{trace}"
    return f"{type(exc).__name__}: {exc}\n\n{trace}"


def install() -> bool:
    """Installs the proxy in the host module, when this process is the dynamic-provider host."""
    global _installed
    host = sys.modules.get("__main__")
    if _installed or getattr(getattr(host, "__spec__", None), "name", "") != "pulumi.dynamic.__main__":
        return False
    if getattr(host, "traceback", None) is not traceback:
        return False
    proxy = types.ModuleType("traceback")
    proxy.__dict__.update(traceback.__dict__)
    proxy.format_exc = format_exc  # type: ignore[attr-defined]
    host.traceback = proxy  # type: ignore[union-attr]
    _installed = True
    return True
