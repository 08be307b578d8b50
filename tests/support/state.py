"""Fixtures and helpers shared by the tests that talk to the emulator: fresh process state and demo
connections."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulator.testing import DEMO_CLIENTS
from provider.governance import telemetry
from provider.platforms.http import auth, pacing
from provider.platforms.http.settings import (
    ENV_API_URL,
    ENV_CLIENT_ID,
    ENV_CLIENT_SECRET,
    ENV_REGION,
    ConnectionSettings,
)


@pytest.fixture
def fresh_state() -> Iterator[None]:
    """No token, pacer or telemetry recorder left over from another test, before or after this one."""
    auth.clear_cache()
    pacing.reset_pacers()
    yield
    telemetry.reset_for_tests()
    auth.clear_cache()
    pacing.reset_pacers()


def demo_settings(url: str, client_id: str = "dev-rw") -> ConnectionSettings:
    """The connection of one of the emulator's demo clients (nothing from the environment)."""
    return ConnectionSettings.resolve(
        api_url=url, client_id=client_id, client_secret=DEMO_CLIENTS[client_id], env={}
    )


def clear_genesys_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No GENESYSCLOUD_* connection setting from the environment of the test run."""
    for var in (ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_REGION, ENV_API_URL):
        monkeypatch.delenv(var, raising=False)
