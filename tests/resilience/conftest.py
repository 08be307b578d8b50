"""Fixtures of the resilience tests: fresh process-wide token and pacer caches per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from provider.platforms.http import auth, pacing


@pytest.fixture(autouse=True)
def _fresh_process_state() -> Iterator[None]:
    auth.clear_cache()
    pacing.reset_pacers()
    yield
    auth.clear_cache()
    pacing.reset_pacers()
