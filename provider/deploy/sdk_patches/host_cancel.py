"""Last words of the dynamic provider, said when the engine asks for them.

The engine stops a resource provider in two steps (pkg/host/host.go `ReleaseContext` and `Close`,
v3.260.0): a `Cancel` RPC whose answer it waits for (5 s at most), then SIGINT to the plugin's
process group and SIGKILL 5 s later (sdk/go/common/resource/plugin/plugin.go `kill`). The SDK's
host answers `Cancel` with nothing (`DynamicResourceProviderServicer.Cancel` returns `Empty()`,
3.260.0 and 3.272.0), so what the provider must leave behind (its metrics files, written at most
once a second during the run) was complete only after `atexit`: not at all when the exit took
longer than the engine's 5 s or the watchdog ended the process. Here the host's registered
`Cancel` handler is wrapped to run `on_cancel` hooks first: `pulumi up` does not return before the
hooks are done (when they take less than the engine's 5 s), and the watchdog runs them before it
exits. Hooks may run more than once (a Ctrl-C's Cancel, the engine's, then `atexit`'s flush).

Guarded like `host_workers`: in the provider process only, on the releases read, while the host's
`Cancel` still only answers `Empty()`, the SDK registers it through a generic handler table only
(a table that `add_registered_method_handlers` fills would be served first), and exactly one such
table serves it; a miss is logged once at warning level (the metrics are then complete only at
exit, as before).
"""

from __future__ import annotations

import gc
import inspect
import logging
import threading
from collections.abc import Callable
from typing import Any

from provider.deploy.sdk_patches import _host

log = logging.getLogger(__name__)

#: SDK releases whose host was read to answer `Cancel` with `Empty()` and nothing else.
KNOWN_EMPTY = ("3.260.0", "3.272.0")
CANCEL_METHOD = "/pulumirpc.ResourceProvider/Cancel"
CANCEL_SNIPPET = "return empty_pb2.Empty()"
#: grpc serves a method added this way before any generic handler table: the wrap would not be seen.
REGISTERED_METHODS = "add_registered_method_handlers"

_hooks: list[Callable[[], None]] = []
_hooks_lock = threading.Lock()
_installed = False
_warned = False


def on_cancel(hook: Callable[[], None]) -> None:
    """Run `hook` when the engine cancels this provider and before the watchdog exits (a hook
    registered twice runs once per occasion)."""
    with _hooks_lock:
        if hook not in _hooks:
            _hooks.append(hook)


def run_hooks() -> None:
    """Every hook, in registration order; a failing hook is logged and does not stop the others."""
    with _hooks_lock:
        hooks = list(_hooks)
    for hook in hooks:
        try:
            hook()
        except Exception:
            log.exception("provider host: a cancel hook failed")


def wrap(handler: Any) -> Any:
    """`handler` (a grpc `RpcMethodHandler` for `Cancel`) whose behaviour runs the hooks first."""
    original = handler.unary_unary

    def cancel(request: Any, context: Any) -> Any:
        run_hooks()
        return original(request, context)

    return handler._replace(unary_unary=cancel)


def _missed(what: str) -> bool:
    global _warned
    if not _warned:
        _warned = True
        log.warning("provider host: %s; metrics are complete only at exit (cancel hook not applied)", what)
    return False


def _registration() -> str:
    """The source of the SDK's generated registration of the provider's gRPC methods."""
    from pulumi.runtime.proto import provider_pb2_grpc

    return inspect.getsource(provider_pb2_grpc.add_ResourceProviderServicer_to_server)


def _cancel_tables() -> list[dict[str, Any]]:
    """The grpc handler tables (a `DictionaryGenericHandler`'s) that serve the provider's Cancel."""
    from grpc import _utilities  # the class `grpc.method_handlers_generic_handler` returns

    return [
        o._method_handlers
        for o in gc.get_objects()
        if isinstance(o, _utilities.DictionaryGenericHandler) and CANCEL_METHOD in o._method_handlers
    ]


def install() -> bool:
    """In the dynamic-provider host of a known SDK release: run the hooks on the engine's Cancel."""
    global _installed
    host = _host.dynamic_host()
    if _installed or host is None:
        return False
    try:
        sdk_version, source = _host.read(host, "DynamicResourceProviderServicer.Cancel", KNOWN_EMPTY)
    except _host.Unreadable as exc:
        return _missed(str(exc))
    body = [line.strip() for line in source.splitlines()[1:] if line.strip()]
    if body != [CANCEL_SNIPPET]:
        return _missed(f"pulumi SDK {sdk_version}: the host's Cancel does more than {CANCEL_SNIPPET!r}")
    if REGISTERED_METHODS in _registration():
        return _missed(f"pulumi SDK {sdk_version}: the provider's methods are also {REGISTERED_METHODS}")
    tables = _cancel_tables()
    if len(tables) != 1:
        return _missed(f"pulumi SDK {sdk_version}: {len(tables)} handler tables serve Cancel, not one")
    tables[0][CANCEL_METHOD] = wrap(tables[0][CANCEL_METHOD])
    _installed = True
    return True
