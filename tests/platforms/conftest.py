"""Fixtures of the client tests: clients of the real emulator process (the `emulator` fixture of
tests/conftest.py), a recording recorder, one client pool per test (its clients share tokens and
pacers, as the provider's do), call counting."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from provider.platforms.architecture_api.client import ArchitectClient
from provider.platforms.http.pool import ClientPool
from provider.platforms.http.recorder import ListRecorder
from provider.platforms.http.retry import RetryPolicy
from provider.platforms.http.settings import ConnectionSettings
from tests.support.client import fast_policy


@pytest.fixture
def pool() -> ClientPool:
    """The test's clients share it: no token or pacer state from another test (the emulator is
    reset per test)."""
    return ClientPool()


def demo_secret(client_id: str) -> str:
    from emulator.testing import DEMO_CLIENTS

    return DEMO_CLIENTS[client_id]


@pytest.fixture
def make_settings(emulator: Any) -> Callable[..., ConnectionSettings]:
    def make(client_id: str = "dev-rw", secret: str | None = None) -> ConnectionSettings:
        return ConnectionSettings.resolve(
            api_url=emulator.url,
            client_id=client_id,
            client_secret=secret if secret is not None else demo_secret(client_id),
            env={},
            read_timeout=10.0,
        )

    return make


@pytest.fixture
def recorder() -> ListRecorder:
    return ListRecorder()


@pytest.fixture
def make_client(make_settings, recorder, pool) -> Callable[..., ArchitectClient]:
    def make(client_id: str = "dev-rw", *, retry: RetryPolicy | None = None, **kw: Any) -> ArchitectClient:
        kw.setdefault("pool", pool)
        return ArchitectClient(
            make_settings(client_id), retry=retry or fast_policy(), recorder=recorder, **kw
        )

    return make


@pytest.fixture
def client(make_client) -> ArchitectClient:
    return make_client()
