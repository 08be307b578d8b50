"""The official SDK (the fidelity oracle) without its configuration watcher: import this module before
the SDK (tests/emulator/genesys_cloud/conftest.py and _gc.py do; a test elsewhere may import _gc first).

Importing PureCloudPlatformClientV2 builds its `Configuration` singleton, which (live reload on by
default) watches the parent of `~/.genesyscloudpython/config` recursively; when that folder does not
exist it climbs to the home directory itself. On a developer machine or CI runner the home holds Go
module and pip caches (11 GB here): scheduling the watch took 14 s of the test collection, and the
watcher thread then handles every file event under the home for the whole session. The SDK reads
`live_reload_config = false` from that config file before it starts the watcher, so the singleton is
built once here with HOME pointing at a temporary folder holding just that file (SDK 269; the
setting exists since the SDK's live reload did).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _build_sdk_configuration_without_watcher() -> None:
    with tempfile.TemporaryDirectory(prefix="gc-sdk-home-") as home:
        config = Path(home) / ".genesyscloudpython" / "config"
        config.parent.mkdir()
        config.write_text("[general]\nlive_reload_config = false\n", encoding="utf-8")
        saved = os.environ.get("HOME")
        os.environ["HOME"] = home
        try:
            from PureCloudPlatformClientV2.configuration import Configuration

            assert Configuration().live_reload_config is False
        finally:
            if saved is None:
                del os.environ["HOME"]
            else:
                os.environ["HOME"] = saved


_build_sdk_configuration_without_watcher()
