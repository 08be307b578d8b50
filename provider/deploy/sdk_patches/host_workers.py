"""More calls at once in the dynamic-provider host.

The SDK's host (`python -m pulumi.dynamic`, sdk/python/lib/pulumi/dynamic/__main__.py `main`:
`grpc.server(futures.ThreadPoolExecutor(max_workers=4), ...)`, 3.260.0 and 3.272.0) serves four
calls at a time, whatever `pulumi up --parallel` says. With Archy jobs that take seconds that is
four flows in flight: measured (issue 22, `bench/pulumi_up.py --platform genesys-cloud --flows 100
--job-seconds 2:6`) 145 s for ten layers of ten flows, a layer in three waves of four, where each
layer's jobs take ~6.5 s. In the provider process, the host's executor is found (the one
`ThreadPoolExecutor` with exactly four workers alive when the host's `main` still reads as above)
and its bound raised to `WORKERS` (`GENESYS_FLOWS_PROVIDER_WORKERS`): CPython's executor starts a
new thread per submitted call while below its bound, so the raise takes effect for the next calls.
The engine's own bound (`--parallel`, default 4 × CPUs) then decides.
"""

from __future__ import annotations

import gc
import inspect
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import PackageNotFoundError, version

#: SDK releases whose host was read to create its gRPC executor with four workers.
KNOWN_FOUR = ("3.260.0", "3.272.0")
HOST_SNIPPET = "futures.ThreadPoolExecutor(max_workers=4)"
WORKERS_ENV = "GENESYS_FLOWS_PROVIDER_WORKERS"
DEFAULT_WORKERS = 32

_installed = False


def workers() -> int:
    try:
        return max(4, int(os.environ.get(WORKERS_ENV, "") or DEFAULT_WORKERS))
    except ValueError:
        return DEFAULT_WORKERS


def widen(executor: ThreadPoolExecutor, bound: int) -> None:
    """Let `executor` run up to `bound` calls at once (threads start as calls arrive)."""
    executor._max_workers = max(executor._max_workers, bound)


def install() -> bool:
    """In the dynamic-provider host of a known SDK release: raise its gRPC executor's bound."""
    global _installed
    host = sys.modules.get("__main__")
    if _installed or getattr(getattr(host, "__spec__", None), "name", "") != "pulumi.dynamic.__main__":
        return False
    try:
        sdk_version = version("pulumi")
        source = inspect.getsource(host.main)  # type: ignore[union-attr]
    except (PackageNotFoundError, AttributeError, OSError, TypeError):
        return False
    if sdk_version not in KNOWN_FOUR or HOST_SNIPPET not in source:
        return False
    pools = [o for o in gc.get_objects() if isinstance(o, ThreadPoolExecutor) and o._max_workers == 4]
    if len(pools) != 1:
        return False
    widen(pools[0], workers())
    _installed = True
    return True
