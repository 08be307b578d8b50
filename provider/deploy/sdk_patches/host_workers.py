"""More calls at once in the dynamic-provider host.

The SDK's host (`python -m pulumi.dynamic`, sdk/python/lib/pulumi/dynamic/__main__.py `main`:
`grpc.server(futures.ThreadPoolExecutor(max_workers=4), ...)`, 3.260.0 and 3.272.0) serves four
calls at a time, whatever `pulumi up --parallel` says. With Archy jobs that take seconds that is
four flows in flight: measured (issue 22, `bench/pulumi_up.py --platform genesys-cloud --flows 100
--job-seconds 2:6`) 145 s for ten layers of ten flows, a layer in three waves of four, where each
layer's jobs take ~6.5 s. In the provider process, the host's executor is found (the one
`ThreadPoolExecutor` with exactly four workers alive when the host's `main` still reads as above)
and its bound raised to `workers()` (`GENESYS_FLOWS_PROVIDER_WORKERS`, default 32; at least 4, at
most the HTTP connection pool's `POOL_SIZE`, 32, provider/platforms/http/transport.py: more calls at
once than pooled connections would only wait for a connection): CPython's executor starts a new
thread per submitted call while below its bound, so the raise takes effect for the next calls. The
engine's own bound (`--parallel`, default 4 × CPUs) then decides. In the host, a release or a `main`
that does not read as above is logged once at warning level: the host stays at four calls at a time.
"""

from __future__ import annotations

import gc
import logging
import os
from concurrent.futures import ThreadPoolExecutor

from provider.deploy.sdk_patches import _host
from provider.platforms.http.pool import POOL_SIZE

log = logging.getLogger(__name__)

#: SDK releases whose host was read to create its gRPC executor with four workers.
KNOWN_FOUR = ("3.260.0", "3.272.0")
HOST_SNIPPET = "futures.ThreadPoolExecutor(max_workers=4)"
WORKERS_ENV = "GENESYS_FLOWS_PROVIDER_WORKERS"
DEFAULT_WORKERS = 32

_installed = False
_warned = False


def workers() -> int:
    """Calls at once in the host: `GENESYS_FLOWS_PROVIDER_WORKERS`, between 4 and `POOL_SIZE`."""
    try:
        wanted = int(os.environ.get(WORKERS_ENV, "") or DEFAULT_WORKERS)
    except ValueError:
        wanted = DEFAULT_WORKERS
    return min(max(4, wanted), POOL_SIZE)


def _missed(what: str) -> bool:
    """The guard missed in the host: said once, at warning level (False, for `install`)."""
    global _warned
    if not _warned:
        _warned = True
        log.warning(
            "provider host: %s; the host stays at 4 calls at a time (%s not applied)", what, WORKERS_ENV
        )
    return False


def widen(executor: ThreadPoolExecutor, bound: int) -> None:
    """Let `executor` run up to `bound` calls at once (threads start as calls arrive)."""
    executor._max_workers = max(executor._max_workers, bound)


def install() -> bool:
    """In the dynamic-provider host of a known SDK release: raise its gRPC executor's bound."""
    global _installed
    host = _host.dynamic_host()
    if _installed or host is None:
        return False
    try:
        sdk_version, source = _host.read(host, "main", KNOWN_FOUR)
    except _host.Unreadable as exc:
        return _missed(str(exc))
    if HOST_SNIPPET not in source:
        return _missed(f"pulumi SDK {sdk_version}: the host's main has no {HOST_SNIPPET!r}")
    pools = [o for o in gc.get_objects() if isinstance(o, ThreadPoolExecutor) and o._max_workers == 4]
    if len(pools) != 1:
        return _missed(f"pulumi SDK {sdk_version}: {len(pools)} four-worker executors found, not one")
    widen(pools[0], workers())
    _installed = True
    return True
