"""Shared pytest fixtures. Each component keeps its fixtures in its own clearly marked section."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.testing import EmulatorProcess

# ==================================================================================================
# Architecture API emulator (owner: emulator). `emulator_server`: one emulator process per test
# session on a temporary database; `emulator`: the same process, reset (flows, statistics, faults,
# rate limit, token lifetime) before each test. Tokens issued earlier stay valid across resets.
# ==================================================================================================


@pytest.fixture(scope="session")
def emulator_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    data = Path(tmp_path_factory.mktemp("emulator")) / "arch.db"
    with EmulatorProcess(data) as process:
        yield process


@pytest.fixture
def emulator(emulator_server: EmulatorProcess) -> Iterator[EmulatorProcess]:
    if not emulator_server.is_running():
        emulator_server.start()
    emulator_server.admin.reset()
    yield emulator_server


# ==================================================================================================
# (end of the emulator section)
# ==================================================================================================
