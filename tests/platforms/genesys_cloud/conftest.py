"""Fixtures of the genesys-cloud platform tests: an in-process fake API (`fake`), platforms bound
to it (through the test's `pool`) with a virtual clock (no real sleeping), and Archy documents."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from provider.domain.document import FlowDocument
from provider.platforms.genesys_cloud import GenesysCloudPlatform
from provider.platforms.http.pool import ClientPool
from provider.platforms.http.recorder import ListRecorder
from provider.platforms.http.retry import RetryPolicy
from provider.platforms.http.settings import ConnectionSettings
from tests.platforms.genesys_cloud.fake_gc import FakeGenesysCloud


class VirtualClock:
    """time.monotonic/time.sleep stand-ins: sleeping advances the clock, nothing waits."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def pool() -> ClientPool:
    """The sessions and tokens the test's platforms share (the fake is mounted on its session)."""
    return ClientPool()


@pytest.fixture
def fake(pool: ClientPool) -> FakeGenesysCloud:
    return FakeGenesysCloud(f"http://gc-{uuid.uuid4().hex[:12]}.test", pool)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def make_platform(
    fake: FakeGenesysCloud, clock: VirtualClock, pool: ClientPool
) -> Callable[..., tuple[GenesysCloudPlatform, ListRecorder]]:
    def make(client: str = "rw", **kwargs: Any) -> tuple[GenesysCloudPlatform, ListRecorder]:
        settings = ConnectionSettings.resolve(
            api_url=fake.base_url, client_id=client, client_secret=f"{client}-secret", env={}
        )
        recorder = ListRecorder()
        retry = RetryPolicy(max_attempts=4, base_delay=0.01, sleep=clock.sleep, random=lambda: 0.5)
        platform = GenesysCloudPlatform(
            settings,
            recorder=recorder,
            retry=retry,
            pacing=False,
            clock=clock,
            sleep=clock.sleep,
            stack="dev",
            pool=pool,
            **kwargs,
        )
        return platform, recorder

    return make


@pytest.fixture
def platform(make_platform: Callable[..., tuple[GenesysCloudPlatform, ListRecorder]]) -> GenesysCloudPlatform:
    return make_platform()[0]


def archy_text(name: str, *, kind: str = "inboundCall", uses: tuple[str, ...] = (), note: str = "") -> str:
    """A small Archy document; `uses` names common modules it calls."""
    actions = [{"callCommonModule": {"commonModule": {m: {"ver_latestPublished": {}}}}} for m in uses]
    body: dict[str, Any] = {"name": name, "description": note or "sample", "startUpRef": "./tasks/task[Main]"}
    body["tasks"] = [{"task": {"name": "Main", "actions": [*actions, {"disconnect": {"name": "Bye"}}]}}]
    return yaml.safe_dump({kind: body}, sort_keys=False)


def document(
    name: str,
    *,
    kind: str = "inboundCall",
    type: str = "INBOUNDCALL",
    state: str = "published",
    uses: tuple[str, ...] = (),
    note: str = "",
    key: str | None = None,
) -> FlowDocument:
    return FlowDocument(
        key=key or name.lower().replace(" ", "-"),
        name=name,
        type=type,  # type: ignore[arg-type]
        lifecycle_state=state,  # type: ignore[arg-type]
        archy=archy_text(name, kind=kind, uses=uses, note=note),
    )
