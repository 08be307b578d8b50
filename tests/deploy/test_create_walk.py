"""A create's walk (issue 21: "a create's walk from `FlowProvider.create` to the HTTP call crosses
packages at most 4 times"), measured on every platform against the emulator's app in this process.

`FlowProvider.create` runs for real (its stack config from `configure`, the process's platform cache
and client pool, a real journal), on a fresh client pool so each create also fetches its token. At
every request the transport (the in-process `ASGIAdapter`) is handed, the Python call stack is taken
and each frame between the `FlowProvider.create` frame and the transport is mapped to its package:

- a platform package (`provider.platforms.<name>`, e.g. `provider.platforms.genesys_cloud`), the
  shared HTTP layer `provider.platforms.http`, and `provider.platforms` itself (its own modules:
  the registry, `base`, `kind` ...);
- elsewhere, the top-level package or module under `provider/` (`provider.deploy`,
  `provider.governance`, `provider.domain`, `provider.errors` ...).

Frames outside `provider/` (requests, contextlib, the emulator) are passed over. A crossing is a
change of package from one provider frame to the next; a package left and re-entered counts twice.
A request sent from a thread whose stack does not reach the create frame fails the test (its walk
could not be measured).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
import requests
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config as DynamicConfig

from emulator.testing import DEMO_CLIENTS, InProcessEmulator
from provider import platforms
from provider.deploy import resource as fr
from provider.governance import intents, telemetry
from provider.platforms.http.pool import ClientPool
from tests.platforms.genesys_cloud.conftest import archy_text
from tests.platforms.genesys_cloud.test_cycles import billing_props, main_props

#: The issue's bound.
MAX_CROSSINGS = 4
URL = "http://walk.emulator.test"
CREATE = fr.FlowProvider.create.__code__


def package(module: str) -> str | None:
    """The package a frame's module belongs to (see the module docstring); None outside provider/."""
    parts = module.split(".")
    if parts[0] != "provider" or len(parts) < 2:
        return None
    if parts[1] == "platforms" and len(parts) > 3:
        return ".".join(parts[:3])
    return ".".join(parts[:2])


@dataclass(frozen=True)
class Walk:
    """One request's walk: its method and path, and the packages from the create to the transport."""

    request: str
    chain: tuple[str, ...]

    @property
    def crossings(self) -> int:
        return len(self.chain) - 1


def walk_of(frame: FrameType | None, request: str) -> Walk:
    frames: list[FrameType] = []
    while frame is not None and frame.f_code is not CREATE:
        frames.append(frame)
        frame = frame.f_back
    assert frame is not None, f"{request}: sent outside FlowProvider.create's stack (another thread?)"
    chain: list[str] = []
    for current in [frame, *reversed(frames)]:
        found = package(str(current.f_globals.get("__name__", "")))
        if found is not None and (not chain or chain[-1] != found):
            chain.append(found)
    return Walk(request, tuple(chain))


@pytest.fixture(scope="module")
def _emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessEmulator]:
    folder = Path(tmp_path_factory.mktemp("create-walk"))
    with InProcessEmulator(folder / "walk.db", url=URL) as emulator:
        yield emulator


@pytest.fixture
def walks(_emulator: InProcessEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Walk]]:
    """The walk of every request the transport sends; the provider's process caches fresh (a new
    client pool mounted on the emulator, no platform built yet)."""
    _emulator.admin.reset()
    _emulator.admin.gc_set_async_delay(0)  # jobs complete at once: no polling wait
    pool = ClientPool()
    _emulator.mount(pool.session(URL))
    monkeypatch.setattr(fr, "_pool", pool)
    monkeypatch.setattr(fr, "_platforms", {})
    monkeypatch.setattr(fr, "_telemetry", telemetry.Telemetry())
    found: list[Walk] = []
    send = _emulator.adapter.send

    def measured(request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        path = (request.url or "").removeprefix(URL).split("?", 1)[0]
        found.append(walk_of(inspect.currentframe(), f"{request.method} {path}"))
        return send(request, *args, **kwargs)

    monkeypatch.setattr(_emulator.adapter, "send", measured)
    intents._indexes.clear()
    yield found
    intents._indexes.clear()
    fr._stack_connection.clear()


def configured(platform: str, folder: Path) -> fr.FlowProvider:
    provider = fr.FlowProvider("walk")
    values = {
        "platform": platform,
        "apiUrl": URL,
        "trustApiUrl": "true",
        "clientId": "dev-rw",
        "clientSecret": DEMO_CLIENTS["dev-rw"],
        "auditLog": str(folder / "audit.jsonl"),
        "metricsDir": str(folder / "metrics"),
    }
    raw = {f"genesys-flows:{key}": value for key, value in values.items()}
    provider.configure(ConfigureRequest(DynamicConfig(raw_config=raw, project_name="genesys-flows")))
    return provider


def _plain(name: str, *, archy: bool) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": name,
        "description": "walked",
        "type": "INBOUNDCALL",
        "lifecycle_state": "published",
        "references": [],
        "blocks": [] if archy else [{"id": "start", "type": "disconnect"}],
        "referenceIds": {},
        "flowKey": name.lower().replace(" ", "-"),
    }
    if archy:
        props["archy"] = archy_text(name)
    return props


def _cycle(provider: fr.FlowProvider) -> None:
    """main-ivr closes a cycle by name (its create makes a stub of billing first), then billing's
    create adopts that stub: the deepest creates the provider has."""
    main = provider.create(main_props())
    provider.create(billing_props(main.id))


#: Per platform: the creates whose walks are measured.
CASES: dict[str, Callable[[fr.FlowProvider], Any]] = {
    "architecture-api": lambda p: p.create(_plain("Walk Blocks", archy=False)),
    "genesys-cloud": lambda p: p.create(_plain("Walk Archy", archy=True)),
}
DEEPER: dict[str, Callable[[fr.FlowProvider], Any]] = {"genesys-cloud": _cycle}


def test_every_platform_has_a_measured_create() -> None:
    assert set(CASES) == set(platforms.NAMES)


@pytest.mark.parametrize(
    ("platform", "case"),
    [*((name, "plain") for name in CASES), *((name, "cycle") for name in DEEPER)],
)
def test_a_creates_walk_to_the_transport_crosses_packages_at_most_four_times(
    platform: str, case: str, walks: list[Walk], tmp_path: Path
) -> None:
    provider = configured(platform, tmp_path)
    (CASES if case == "plain" else DEEPER)[platform](provider)
    assert walks, "the create sent no request"
    assert {w.request.split(" ", 1)[0] for w in walks} >= {"POST"}  # it wrote
    platform_package = type(fr.get_platform({})).__module__.rsplit(".", 1)[0]
    for walk in walks:
        assert walk.chain[0] == "provider.deploy", walk
        assert walk.chain[-1] == "provider.platforms.http", walk
        assert platform_package in walk.chain, walk
    deepest = max(walks, key=lambda w: w.crossings)
    print(f"{platform} {case}: {len(walks)} requests; deepest {deepest.request}: {' > '.join(deepest.chain)}")
    too_deep = [w for w in walks if w.crossings > MAX_CROSSINGS]
    assert too_deep == []


def test_frames_map_to_top_level_packages_and_platform_packages() -> None:
    assert package("provider.deploy.resource") == package("provider.deploy.cycles") == "provider.deploy"
    assert package("provider.errors") == "provider.errors"
    assert package("provider.platforms.genesys_cloud._create") == "provider.platforms.genesys_cloud"
    assert package("provider.platforms.http.requestor") == "provider.platforms.http"
    assert package("provider.platforms.base") == "provider.platforms"
    assert package("requests.adapters") is package("provider") is None
