"""Prototype (issue 14): a linear replacement for the Python SDK's `wait_for_rpcs` output loop.

The problem. After the program body, `pulumi.runtime.stack.wait_for_rpcs` waits for every tracked
Output (`SETTINGS.outputs`, ~17 per Flow) with

    while SETTINGS.outputs:
        pending = list(SETTINGS.outputs); SETTINGS.outputs.clear()
        done, not_done = await asyncio.wait(pending, return_when=FIRST_COMPLETED)
        ...; SETTINGS.outputs.update(not_done)

Each `asyncio.wait` call adds a done-callback to every pending future and removes them all when
it returns: O(pending) per call. The outputs of a create complete one registration at a time (at
the engine's checkpoint pace), so the loop runs ~N times over ~N pending futures: O(N^2) CPU in the
program process. Present in SDK 3.260.0 (stack.py:213) and still in 3.272.0 (stack.py:205), the
newest on PyPI on 2026-12-01.

The replacement keeps the same contract and is O(N) in total: one done-callback per pending
output, armed once, a counter, and a single waiter that fires when all of them are done or the
first one fails (so an error still surfaces as soon as it happens, not after the others). Outputs
created while waiting are picked up by the next round, as before. On SDKs that have
`ResourceRegistrationFailed` (continue-on-error: 3.260.0 has it, 3.272.0 does not) those failures
are ignored exactly like the original does.

Guard. `install()` patches only when (a) the SDK version is one checked to have the quadratic loop
(`KNOWN_QUADRATIC`) and (b) the original function still calls `asyncio.wait(..., FIRST_COMPLETED)`
(its code object names `FIRST_COMPLETED`). A newer SDK is left alone until someone checks it and
adds it to the set. `GENESYS_FLOWS_LINWAIT=0` turns it off, `=1` forces it on (the structural
check (b) still applies).

Usage, first thing in the Pulumi program (`__main__.py`):

    from bench.linwait_prototype import install; install()

`python bench/linwait_prototype.py [--sizes 1000,4000,16000]` runs the micro-benchmark: N tracked
Outputs whose futures complete one at a time (as engine responses do), waited for by the SDK's
own `wait_for_rpcs` and by this one; prints CPU seconds. No engine needed.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable
from typing import Any

#: SDK releases read and measured to have the FIRST_COMPLETED loop (pulumi/runtime/stack.py).
KNOWN_QUADRATIC: frozenset[str] = frozenset({"3.260.0", "3.272.0"})
ENV_SWITCH = "GENESYS_FLOWS_LINWAIT"

_original: Any = None


def sdk_version() -> str:
    from importlib.metadata import version

    return version("pulumi")


def _has_quadratic_loop(func: Any) -> bool:
    code = getattr(func, "__code__", None)
    return code is not None and "FIRST_COMPLETED" in code.co_names


def should_install(version: str | None = None, func: Any = None) -> bool:
    import pulumi.runtime.stack as stack

    switch = os.environ.get(ENV_SWITCH, "").strip().lower()
    if switch in ("0", "false", "no", "off"):
        return False
    func = stack.wait_for_rpcs if func is None else func
    if not _has_quadratic_loop(func):
        return False
    if switch in ("1", "true", "yes", "on"):
        return True
    return (version or sdk_version()) in KNOWN_QUADRATIC


async def _await_all(tasks: list[asyncio.Future[Any]], ignored: tuple[type[BaseException], ...]) -> None:
    """Wait until every task is done, or until the first one fails (cancelled, or an exception not
    in `ignored`), then re-raise that failure. One callback per task: O(len(tasks))."""
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[asyncio.Future[Any] | None] = loop.create_future()
    remaining = len(tasks)

    def on_done(task: asyncio.Future[Any]) -> None:
        nonlocal remaining
        remaining -= 1
        if waiter.done():
            return
        if task.cancelled():
            waiter.set_result(task)
            return
        exc = task.exception()
        if exc is not None and not isinstance(exc, ignored):
            waiter.set_result(task)
        elif remaining == 0:
            waiter.set_result(None)

    for task in tasks:
        task.add_done_callback(on_done)
    try:
        failed = await waiter
    finally:
        if not waiter.done():  # we were cancelled: disarm
            for task in tasks:
                task.remove_done_callback(on_done)
    if failed is not None:
        await failed  # re-raises its exception (or CancelledError), as the original's `await task`
    for task in tasks:  # retrieve ignored exceptions so asyncio does not log them
        if task.done() and not task.cancelled():
            task.exception()


async def linear_wait_for_rpcs(await_all_outstanding_tasks: bool = True) -> None:
    """`pulumi.runtime.stack.wait_for_rpcs` with the output loop made linear (see the module doc).
    The RPC part is the SDK's own, line for line."""
    import pulumi.runtime.stack as stack

    log = stack.log
    settings_mod = stack.settings
    SETTINGS = stack.SETTINGS
    ignored: tuple[type[BaseException], ...] = tuple(
        t for t in (getattr(stack, "ResourceRegistrationFailed", None),) if t is not None
    )

    log.debug("Waiting for outstanding RPCs to complete")
    rpc_manager = stack._get_rpc_manager()
    while True:
        while len(rpc_manager.rpcs) > 0:
            await asyncio.sleep(0)
            if settings_mod.excessive_debug_output:
                log.debug(f"waiting for quiescence; {len(rpc_manager.rpcs)} RPCs outstanding")
            try:
                await rpc_manager.rpcs.pop()
            except Exception as exn:
                if rpc_manager.unhandled_exception is not None:
                    cause = rpc_manager.unhandled_exception.with_traceback(rpc_manager.exception_traceback)
                    raise exn from cause
                raise

        if rpc_manager.unhandled_exception is not None:
            raise rpc_manager.unhandled_exception.with_traceback(rpc_manager.exception_traceback)

        log.debug("RPCs successfully completed")

        if await_all_outstanding_tasks:
            while True:
                with SETTINGS.lock:
                    if len(SETTINGS.outputs) == 0:
                        break
                    pending: list[asyncio.Future[Any]] = list(SETTINGS.outputs)
                    SETTINGS.outputs.clear()
                await _await_all(pending, ignored)
            log.debug("All outstanding outputs completed.")

        if len(rpc_manager.rpcs) == 0:
            break


def install(force: bool | None = None) -> bool:
    """Replace `pulumi.runtime.stack.wait_for_rpcs` if the guard allows it (or `force`); returns
    whether the replacement is active. Idempotent."""
    global _original
    import pulumi.runtime.stack as stack

    if stack.wait_for_rpcs is linear_wait_for_rpcs:
        return True
    if not (should_install() if force is None else force):
        return False
    _original = stack.wait_for_rpcs
    stack.wait_for_rpcs = linear_wait_for_rpcs  # run_pulumi_func looks it up at call time
    return True


def uninstall() -> None:
    global _original
    import pulumi.runtime.stack as stack

    if _original is not None:
        stack.wait_for_rpcs = _original
        _original = None


# ------------------------------------------------------------------------------ micro-benchmark


async def _trickle(futures: Iterable[asyncio.Future[Any]]) -> None:
    """Resolve the futures one per event-loop turn, as engine responses arrive."""
    for fut in futures:
        await asyncio.sleep(0)
        fut.set_result("x")


def _bench_once(n: int, wait: Any) -> tuple[float, float]:
    """CPU and wall seconds for `wait()` to drain N tracked Outputs completing one at a time."""
    import time

    import pulumi
    from pulumi.runtime.settings import SETTINGS

    async def run() -> tuple[float, float]:
        SETTINGS.outputs.clear()
        loop = asyncio.get_running_loop()
        futures = [loop.create_future() for _ in range(n)]
        for fut in futures:
            known: asyncio.Future[bool] = loop.create_future()
            known.set_result(True)
            pulumi.Output(set(), fut, known)  # tracked in SETTINGS.outputs
        assert len(SETTINGS.outputs) >= n, len(SETTINGS.outputs)
        producer = asyncio.ensure_future(_trickle(futures))
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await wait()
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        await producer
        assert not SETTINGS.outputs
        return cpu, wall

    return asyncio.run(run())


def main() -> None:
    import argparse

    import pulumi.runtime.stack as stack

    parser = argparse.ArgumentParser(description="wait_for_rpcs: SDK loop vs linear loop, CPU seconds")
    parser.add_argument("--sizes", default="1000,2000,4000,8000")
    args = parser.parse_args()
    original = stack.wait_for_rpcs
    print(f"pulumi SDK {sdk_version()}; guard would install: {should_install(func=original)}")
    print(f"{'outputs':>8} {'~flows':>7} {'SDK cpu s':>10} {'linear cpu s':>13} {'ratio':>7}")
    for n in (int(s) for s in args.sizes.split(",")):
        sdk_cpu, _ = _bench_once(n, original)
        lin_cpu, _ = _bench_once(n, linear_wait_for_rpcs)
        print(f"{n:>8} {n // 17:>7} {sdk_cpu:>10.3f} {lin_cpu:>13.3f} {sdk_cpu / max(lin_cpu, 1e-9):>6.1f}x")


if __name__ == "__main__":
    main()
