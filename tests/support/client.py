"""Helpers of the client tests (importable: `from tests.support.client import ...`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from provider.platforms.architecture_api.models import FlowFields
from provider.platforms.http.retry import RetryPolicy


def in_threads(
    work: Callable[..., object], args: Sequence[tuple[Any, ...]], *, together: bool = False
) -> list[BaseException]:
    """Runs `work(*a)` for each `a` in a thread of its own (released at once when `together`) and
    returns what they raised."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(args))

    def run(*a: Any) -> None:
        if together:
            barrier.wait()
        try:
            work(*a)
        except BaseException as exc:  # reported to the caller
            errors.append(exc)

    threads = [threading.Thread(target=run, args=a) for a in args]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


class SleepSpy:
    """A RetryPolicy.sleep that really sleeps (the server's window must pass) and remembers."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        time.sleep(seconds)


def fast_policy(**kw: Any) -> RetryPolicy:
    defaults: dict[str, Any] = {"base_delay": 0.02, "max_delay": 0.2, "deadline_seconds": 60.0}
    defaults.update(kw)
    return RetryPolicy(**defaults)


def calls(
    stats: dict[str, Any], method: str | None = None, path: str | None = None, status: int | None = None
) -> int:
    """How many API requests the emulator counted matching method / path template / status."""
    return sum(
        r["count"]
        for r in stats["requests"]
        if (method is None or r["method"] == method)
        and (path is None or r["path"] == path)
        and (status is None or r["status"] == status)
        and r["path"] != "/oauth/token"
    )


def api_calls(stats: dict[str, Any]) -> dict[tuple[str, str, int], int]:
    """Every API request (no token requests) as {(method, template, status): count}."""
    return {
        (r["method"], r["path"], r["status"]): r["count"]
        for r in stats["requests"]
        if r["path"] != "/oauth/token"
    }


FLOWS = "/api/v2/architect/flows"
FLOW = "/api/v2/architect/flows/{flowId}"
VERSION = "/api/v2/architect/flows/{flowId}/versions/{versionId}"
VERSIONS = "/api/v2/architect/flows/{flowId}/versions"
DEPENDENCIES = "/api/v2/architect/dependencytracking/object"


def simple(name: str, **kw: Any) -> FlowFields:
    data: dict[str, Any] = {"name": name, "lifecycle_state": "draft"}
    data.update(kw)
    return FlowFields.model_validate(data)
