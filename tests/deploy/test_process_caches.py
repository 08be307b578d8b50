"""The provider process's caches (provider/deploy/resource.py): its platforms share one client pool,
so every platform of one OAuth client uses one token and one pacer, whatever stack or folders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from provider.deploy import resource as fr
from provider.platforms.architecture_api.platform import ArchitectureApiPlatform


def _props(stack: str, folder: Path) -> dict[str, Any]:
    connection = {"apiUrl": "http://127.0.0.1:1", "clientId": "dev-rw", "clientSecret": "s", "stack": stack}
    connection |= {"metricsDir": str(folder / "m"), "auditLog": str(folder / "a.jsonl")}
    return {"__connection": connection}


def test_platforms_of_one_client_share_the_process_pool(tmp_path: Path) -> None:
    first = fr.get_platform(_props("cache-a", tmp_path))
    second = fr.get_platform(_props("cache-b", tmp_path))
    assert isinstance(first, ArchitectureApiPlatform) and isinstance(second, ArchitectureApiPlatform)
    assert first is not second  # one per stack: each has its own recorder
    assert first.client._requestor.pool is second.client._requestor.pool is fr._pool
    assert first.client._pacer is second.client._pacer is not None
    assert fr.get_platform(_props("cache-a", tmp_path)) is first
