"""A linear replacement for the Python SDK's `wait_for_rpcs` output loop (issue 14).

After the program body, `pulumi.runtime.stack.wait_for_rpcs` waits for every tracked Output
(`SETTINGS.outputs`, ~17 per Flow) with `asyncio.wait(pending, return_when=FIRST_COMPLETED)` in a
loop: each call arms and disarms a callback on every pending future, and the outputs of a create
complete one registration at a time, so the program burns O(N^2) CPU (26 % of a create's CPU at 800
flows). Still so in SDK 3.272.0, the newest on PyPI on 2026-12-01.

`linear_wait_for_rpcs` keeps the contract (every output, including ones created while waiting; the
first real failure re-raised as soon as it happens; `ResourceRegistrationFailed` ignored where the
SDK has it) with one callback per output: O(N). `install()` patches only SDK releases checked to
have the quadratic loop (`KNOWN_QUADRATIC`) and only while the original still names
`FIRST_COMPLETED`: a fixed SDK is left alone. `GENESYS_FLOWS_LINWAIT=0` turns it off, `=1` forces it.
`bench/linwait.py` measures it against the SDK's loop.
"""

from __future__ import annotations

import asyncio
import os
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
