"""Micro-benchmark: the SDK's `wait_for_rpcs` output loop against `provider.deploy.sdk_patches.sdk_wait`'s
linear one. N tracked Outputs complete one at a time (as engine responses do); prints CPU seconds.
No engine needed:

    .venv/bin/python bench/linwait.py [--sizes 1000,4000,16000]
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from provider.deploy.sdk_patches.sdk_wait import linear_wait_for_rpcs, sdk_version, should_install


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
