"""Fixtures and helpers shared by the tests that talk to the emulator: a telemetry of the test's own
and demo connections."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulator.testing import DEMO_CLIENTS
from provider.governance.telemetry import Telemetry
from provider.platforms.http.settings import (
    ENV_API_URL,
    ENV_CLIENT_ID,
    ENV_CLIENT_SECRET,
    ENV_REGION,
    ConnectionSettings,
)


@pytest.fixture
def tel() -> Iterator[Telemetry]:
    """A telemetry of the test's own (its audit files closed after the test; no flush at exit)."""
    telemetry = Telemetry(flush_at_exit=False)
    yield telemetry
    telemetry.close()


def demo_settings(url: str, client_id: str = "dev-rw") -> ConnectionSettings:
    """The connection of one of the emulator's demo clients (nothing from the environment)."""
    return ConnectionSettings.resolve(
        api_url=url, client_id=client_id, client_secret=DEMO_CLIENTS[client_id], env={}
    )


def clear_genesys_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No GENESYSCLOUD_* connection setting from the environment of the test run."""
    for var in (ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_REGION, ENV_API_URL):
        monkeypatch.delenv(var, raising=False)
