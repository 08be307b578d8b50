"""sdk_patches.host_workers: the dynamic-provider host's four-call executor, widened, runs more calls
at once (the host itself: bench/pulumi_up.py --platform genesys-cloud --job-seconds 2:6)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from provider.deploy.sdk_patches import host_workers


def test_a_widened_four_worker_executor_runs_ten_calls_at_once() -> None:
    """Ten calls that each wait for all ten: with four workers they could never meet (the barrier
    breaks after its bound); widened, all ten run together."""
    executor = ThreadPoolExecutor(max_workers=4)
    host_workers.widen(executor, 10)
    barrier = threading.Barrier(10)
    try:
        results = [executor.submit(barrier.wait, 30) for _ in range(10)]
        assert sorted(f.result() for f in results) == list(range(10))
    finally:
        executor.shutdown(wait=False, cancel_futures=True)


def test_outside_the_host_nothing_is_installed() -> None:
    assert host_workers.install() is False  # this process's __main__ is pytest, not the host
