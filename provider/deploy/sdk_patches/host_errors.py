"""Provider errors read as one clear message first.

The SDK's dynamic-provider host (`python -m pulumi.dynamic`, sdk/python/lib/pulumi/dynamic/__main__.py:
`_abort_with_traceback` → `context.abort(grpc.StatusCode.UNKNOWN, traceback.format_exc())`, every
3.x release up to at least 3.260.0) aborts a failed call with the traceback as the message, so the
engine printed "Traceback (most recent call last):" and our message came last. In the provider
process, the host's `traceback` is replaced by a proxy whose `format_exc` gives an expected error
(`FlowProviderError`: a lock, a conflict, credentials, the network) as its message alone, and a bug
as its message followed by the traceback. `GENESYS_FLOWS_DEBUG=1` adds the traceback to expected
errors too. A host without a module-level `traceback` (another layout) is left alone.
"""

from __future__ import annotations

import os
import sys
import traceback
import types
from typing import Any

from provider.deploy.inputs import FlowProviderError
from provider.deploy.sdk_patches import _host

_installed = False


#: `1`: tracebacks with expected errors too (the provider's and the program's).
DEBUG_ENV = "GENESYS_FLOWS_DEBUG"


def debug() -> bool:
    return os.environ.get(DEBUG_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def format_exc(*args: Any, **kwargs: Any) -> str:
    exc = sys.exc_info()[1]
    trace = traceback.format_exc(*args, **kwargs)
    if exc is None:
        return trace
    if isinstance(exc, FlowProviderError):
        if debug():
            return f"{exc}\n\n(provider traceback, GENESYS_FLOWS_DEBUG=1)\n{trace}"
        return str(exc)
    return f"{type(exc).__name__}: {exc}\n\n{trace}"


def install() -> bool:
    """Installs the proxy in the host module, when this process is the dynamic-provider host."""
    global _installed
    host = _host.dynamic_host()
    if _installed or host is None:
        return False
    if getattr(host, "traceback", None) is not traceback:
        return False
    proxy = types.ModuleType("traceback")
    proxy.__dict__.update(traceback.__dict__)
    proxy.format_exc = format_exc  # type: ignore[attr-defined]
    host.traceback = proxy  # type: ignore[attr-defined]
    _installed = True
    return True
