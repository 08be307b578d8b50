"""sdk_patches.host_workers: the dynamic-provider host's four-call executor, widened, runs more calls
at once (the host itself: bench/pulumi_up.py --platform genesys-cloud --job-seconds 2:6)."""

from __future__ import annotations

import importlib.machinery
import logging
import sys
import threading
import types
from concurrent.futures import ThreadPoolExecutor

import pytest

from provider.deploy.sdk_patches import host_workers
from provider.platforms.http.pool import POOL_SIZE


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


def test_workers_are_capped_at_the_http_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    """More calls at once than pooled connections would only wait for a connection."""
    monkeypatch.setenv(host_workers.WORKERS_ENV, str(POOL_SIZE * 4))
    assert host_workers.workers() == POOL_SIZE
    monkeypatch.setenv(host_workers.WORKERS_ENV, "2")
    assert host_workers.workers() == 4
    monkeypatch.setenv(host_workers.WORKERS_ENV, "12")
    assert host_workers.workers() == 12


def test_in_a_host_that_does_not_read_as_known_the_miss_is_logged_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def main() -> None:  # a host whose executor is made otherwise
        """grpc.server(futures.ThreadPoolExecutor(max_workers=8))"""

    host = types.ModuleType("__main__")
    host.__spec__ = importlib.machinery.ModuleSpec("pulumi.dynamic.__main__", None)
    host.main = main  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "__main__", host)
    monkeypatch.setattr(host_workers, "_warned", False)
    with caplog.at_level(logging.WARNING, logger=host_workers.__name__):
        assert host_workers.install() is False
        assert host_workers.install() is False
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert "stays at 4 calls at a time" in record.getMessage()
    assert "pulumi SDK" in record.getMessage()
