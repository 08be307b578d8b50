"""Fixtures of the genesys-cloud platform tests: the emulator's app in this process (`emu`, an
`InProcessEmulator` per module, reset before each test: the real routes, store and fault injection
with no process and no socket), platforms bound to it (through the test's `pool`) with a virtual
clock (no real sleeping), an observer of the org's state (`org`), and Archy documents."""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from emulator.genesys import flows as emu_flows
from emulator.genesys import store as emu_store
from emulator.genesys.render import user_actor
from emulator.genesys.store import IMPORT
from emulator.routes import genesys_cloud as emu_routes
from emulator.testing import DEMO_CLIENTS, InProcessEmulator
from provider.domain.document import FlowDocument
from provider.platforms.genesys_cloud import GenesysCloudPlatform
from provider.platforms.http.pool import ClientPool
from provider.platforms.http.recorder import ListRecorder
from provider.platforms.http.retry import RetryPolicy
from provider.platforms.http.settings import ConnectionSettings

ORG = "dev"


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
    """The sessions and tokens the test's platforms share (the emulator is mounted on its session)."""
    return ClientPool()


@pytest.fixture(scope="module")
def _in_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessEmulator]:
    folder = Path(tmp_path_factory.mktemp("gc-in-process"))
    with InProcessEmulator(folder / "gc.db", url="http://gc.emulator.test") as emulator:
        yield emulator


@pytest.fixture
def emu(_in_process: InProcessEmulator, pool: ClientPool) -> Iterator[InProcessEmulator]:
    """Reset; jobs and operations complete at once (the platform's clock is virtual, the emulator's
    is not); the wire log starts empty."""
    _in_process.admin.reset()
    _in_process.admin.gc_set_async_delay(0)
    _in_process.adapter.log.clear()
    _in_process.mount(pool.session(_in_process.url))
    yield _in_process
    _in_process.adapter.before.clear()


class Org:
    """What the org holds, read straight from the emulator's store (no HTTP: nothing in the wire
    log), and the out-of-band actors of the tests (a UI user seeding, locking, publishing)."""

    def __init__(self, emu: InProcessEmulator) -> None:
        self.emu = emu
        self.gc = emu.runtime.genesys

    def by_name(self, name: str) -> list[dict[str, Any]]:
        _, docs = self.gc.list_flows(
            ORG, types=[], name=name, include_deleted=False, sort_by="name", descending=False,
            offset=0, limit=500,
        )  # fmt: skip
        return [d for d in docs if d["name"].casefold() == name.casefold()]

    def live(self) -> list[dict[str, Any]]:
        _, docs = self.gc.list_flows(
            ORG, types=[], name=None, include_deleted=False, sort_by="name", descending=False,
            offset=0, limit=500,
        )  # fmt: skip
        return docs

    def flow(self, flow_id: str) -> dict[str, Any]:
        return self.gc.get_flow(ORG, flow_id, include_deleted=True)

    def locked(self, flow_id: str) -> bool:
        flow = self.flow(flow_id)
        return bool(flow.get("lockedUser") or flow.get("lockedClient"))

    def versions(self, flow_id: str) -> list[dict[str, Any]]:
        return self.gc.list_versions(ORG, flow_id, True, 0, 500)[1]

    def config(self, flow_id: str, version: str | None = None) -> str:
        """The flow's current (checked-in) configuration, or that of `version`."""
        return self.gc.get_configuration(ORG, flow_id, version, True)

    def job_status(self, job_id: str) -> str | None:
        job = self.gc.get_job(ORG, job_id, IMPORT)
        return None if job is None else job[0]

    def seed(self, yaml_text: str, *, user: str = "Ann Architect") -> dict[str, Any]:
        """A flow made and published in Architect by a UI user."""
        doc = yaml.safe_load(yaml_text)
        (kind,) = doc
        flow_type = {"inboundCall": "INBOUNDCALL", "workflow": "WORKFLOW", "commonModule": "COMMONMODULE"}[
            kind
        ]
        actor = user_actor(ORG, user)
        flow = self.emu.write(self.gc.create_flow, ORG, actor, flow_type, doc[kind]["name"], None)
        return dict(self.emu.write(self.gc.publish_as, ORG, flow["id"], actor, yaml_text))

    def delete(self, flow_id: str, *, user: str = "Ann Architect") -> None:
        self.emu.write(self.gc.delete_flow, ORG, user_actor(ORG, user), flow_id)

    def lock_as_user(self, flow_id: str, user: str, saved_seconds_ago: float | None = None) -> None:
        self.emu.admin.gc_lock_as_user(ORG, flow_id, user, saved_seconds_ago)

    def publish_as_user(self, flow_id: str, yaml_text: str, user: str) -> None:
        self.emu.admin.gc_publish_as_user(ORG, flow_id, yaml_text, user)


@pytest.fixture
def org(emu: InProcessEmulator) -> Org:
    return Org(emu)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


#: Seconds an import job takes under `slow_jobs` (real Archy publishes take seconds).
JOB_S = 3.0


@pytest.fixture
def slow_jobs(emu: InProcessEmulator, clock: VirtualClock) -> Iterator[None]:
    """The emulator's genesys side on the test's virtual clock (its routes and store read `time.time`
    from it), import jobs taking JOB_S seconds of it: jobs that take real time, and nothing waits."""
    start = 1_800_000_000.0 - clock.now
    virtual = types.SimpleNamespace(time=lambda: start + clock.now)
    with pytest.MonkeyPatch.context() as mp:
        for module in (emu_flows, emu_store, emu_routes):
            mp.setattr(module, "time", virtual)
        emu.admin.gc_set_job_duration(JOB_S)
        yield


@pytest.fixture
def make_platform(
    emu: InProcessEmulator, clock: VirtualClock, pool: ClientPool
) -> Callable[..., tuple[GenesysCloudPlatform, ListRecorder]]:
    def make(client: str = "rw", **kwargs: Any) -> tuple[GenesysCloudPlatform, ListRecorder]:
        client_id = f"{ORG}-{client}"
        settings = ConnectionSettings.resolve(
            api_url=emu.url, client_id=client_id, client_secret=DEMO_CLIENTS[client_id], env={}
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
