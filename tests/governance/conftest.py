"""Fixtures of these tests come from the test-support package."""

from tests.support.state import tel

__all__ = ["tel"]
