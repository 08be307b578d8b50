"""Fixtures of these tests come from the test-support package (tests/support)."""
