"""provider.deploy.sdk_patches.sdk_wait: the linear replacement for the SDK's `wait_for_rpcs` output loop
keeps the original's contract (waits for every tracked Output, including ones created while waiting;
re-raises the first failure; ignores `ResourceRegistrationFailed` where the SDK has it) and its
guard only patches SDK versions known to have the quadratic loop."""

from __future__ import annotations

import asyncio
from typing import Any

import pulumi
import pulumi.runtime.stack as stack
import pytest
from pulumi.runtime.settings import SETTINGS

from provider.deploy.sdk_patches import sdk_wait as linwait


def _tracked(loop: asyncio.AbstractEventLoop) -> tuple[asyncio.Future[Any], pulumi.Output[Any]]:
    fut: asyncio.Future[Any] = loop.create_future()
    known: asyncio.Future[bool] = loop.create_future()
    known.set_result(True)
    return fut, pulumi.Output(set(), fut, known)


def _run(body: Any) -> Any:
    async def main() -> Any:
        SETTINGS.outputs.clear()
        try:
            return await body(asyncio.get_running_loop())
        finally:
            SETTINGS.outputs.clear()

    return asyncio.run(main())


def test_waits_for_every_output_including_ones_created_while_waiting() -> None:
    async def body(loop: asyncio.AbstractEventLoop) -> list[str]:
        done: list[str] = []
        futures = [_tracked(loop)[0] for _ in range(50)]

        async def producer() -> None:
            for i, fut in enumerate(futures):
                await asyncio.sleep(0)
                fut.set_result(i)
                if i == 25:  # an Output created while waiting (an apply, say)
                    late, _ = _tracked(loop)
                    loop.call_later(0.01, late.set_result, "late")
                    late.add_done_callback(lambda _f: done.append("late"))

        task = asyncio.ensure_future(producer())
        await linwait.linear_wait_for_rpcs()
        await task
        assert all(f.done() for f in futures)
        assert not SETTINGS.outputs
        return done

    assert _run(body) == ["late"]


def test_reraises_the_first_failure_without_waiting_for_the_rest() -> None:
    async def body(loop: asyncio.AbstractEventLoop) -> None:
        never, _ = _tracked(loop)  # never completes
        failing, _ = _tracked(loop)
        loop.call_soon(failing.set_exception, RuntimeError("boom"))
        with pytest.raises(RuntimeError, match="boom"):
            await asyncio.wait_for(linwait.linear_wait_for_rpcs(), timeout=5)
        never.cancel()

    _run(body)


@pytest.mark.skipif(
    not hasattr(stack, "ResourceRegistrationFailed"), reason="this SDK has no continue-on-error marker"
)
def test_ignores_registration_failures_like_the_sdk() -> None:
    async def body(loop: asyncio.AbstractEventLoop) -> None:
        failed, _ = _tracked(loop)
        ok, _ = _tracked(loop)
        loop.call_soon(failed.set_exception, stack.ResourceRegistrationFailed("r failed"))
        loop.call_soon(ok.set_result, 1)
        await asyncio.wait_for(linwait.linear_wait_for_rpcs(), timeout=5)

    _run(body)


def test_guard_patches_only_known_quadratic_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(linwait.ENV_SWITCH, raising=False)
    original = stack.wait_for_rpcs
    assert linwait.should_install("3.260.0", original) is linwait._has_quadratic_loop(original)
    assert not linwait.should_install("9.999.0", original)  # a newer SDK: left alone until checked

    async def fixed(await_all_outstanding_tasks: bool = True) -> None:  # no FIRST_COMPLETED loop
        return None

    assert not linwait.should_install("3.260.0", fixed)
    monkeypatch.setenv(linwait.ENV_SWITCH, "0")
    assert not linwait.should_install("3.260.0", original)
    monkeypatch.setenv(linwait.ENV_SWITCH, "1")
    assert linwait.should_install("9.999.0", original) is linwait._has_quadratic_loop(original)


def test_install_and_uninstall(monkeypatch: pytest.MonkeyPatch) -> None:
    original = stack.wait_for_rpcs
    try:
        assert linwait.install(force=True)
        assert stack.wait_for_rpcs is linwait.linear_wait_for_rpcs
        assert linwait.install(force=True)  # idempotent
    finally:
        linwait.uninstall()
    assert stack.wait_for_rpcs is original
