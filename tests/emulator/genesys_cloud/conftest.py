"""The emulator's real-platform routes, checked with the official SDK's models: its configuration
is built without the live-reload watcher first (tests/support/sdk_oracle.py)."""

from tests.support import sdk_oracle  # noqa: F401  (before any import of the SDK)
