"""Fixtures of these tests come from the test-support package."""

from tests.support.state import fresh_state

__all__ = ["fresh_state"]
