"""Acknowledged writes survive `kill -9` of the server and restarts (each test runs its own
emulator process on its own database)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from emulator.testing import EmulatorProcess, get_token

from ._api import FLOWS, Api


@pytest.mark.slow
def test_kill_9_keeps_every_acknowledged_write(tmp_path: Path) -> None:
    data = tmp_path / "arch.db"
    emu = EmulatorProcess(data).start()
    try:
        api = Api(emu.url)
        flows = {}
        for i in range(5):
            flow = api.create_ok(f"durable {i}", blocks=[{"id": "root", "type": "t"}])
            flows[flow["id"]] = flow
        first = next(iter(flows))
        for v in range(1, 4):
            flows[first] = api.update_ok(first, v, description=f"v{v + 1}")
        doomed = list(flows)[-1]
        assert api.remove(doomed).status_code == 204
        history = [api.get(f"{FLOWS}/{first}/versions/{v}").json() for v in range(1, 5)]
        old_token = api.token
        emu.kill()
        assert emu.returncode == -9

        emu.start()
        again = Api(emu.url)
        for flow_id, flow in flows.items():
            r = again.flow(flow_id)
            if flow_id == doomed:
                assert r.status_code == 410
            else:
                assert r.status_code == 200 and r.json() == flow
        assert [again.get(f"{FLOWS}/{first}/versions/{v}").json() for v in range(1, 5)] == history
        assert again.get(FLOWS).json()["total"] == 4
        # Tokens are persisted too: the token issued before the crash still works.
        r = requests.get(emu.url + FLOWS, headers={"Authorization": f"Bearer {old_token}"}, timeout=10)
        assert r.status_code == 200
        # And a write after the restart continues the version sequence.
        assert again.update_ok(first, 4, description="after restart")["_version"] == 5
    finally:
        emu.stop()
    # A clean stop keeps the data as well.
    with EmulatorProcess(data) as emu2:
        assert Api(emu2.url).flow(first).json()["_version"] == 5


@pytest.mark.slow
def test_kill_9_during_concurrent_writes(tmp_path: Path) -> None:
    data = tmp_path / "arch.db"
    emu = EmulatorProcess(data).start()
    acknowledged: dict[str, dict[str, Any]] = {}
    lock = threading.Lock()
    stop = threading.Event()
    token = get_token(emu.url, "dev-rw")
    url = emu.url

    def writer(worker: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        n = 0
        while not stop.is_set():
            try:
                r = session.post(
                    url + FLOWS, json={"name": f"w{worker}-{n}", "lifecycle_state": "draft"}, timeout=10
                )
                if r.status_code != 201:
                    continue
                flow = r.json()
                with lock:
                    acknowledged[flow["id"]] = flow
                for v in range(1, 4):
                    r = session.patch(
                        f"{url}{FLOWS}/{flow['id']}", json={"_version": v, "description": f"d{v}"}, timeout=10
                    )
                    if r.status_code != 200:
                        break
                    with lock:
                        acknowledged[flow["id"]] = r.json()
            except requests.RequestException:
                return
            n += 1

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with lock:
            if len(acknowledged) >= 20:
                break
        time.sleep(0.02)
    emu.kill()
    stop.set()
    for t in threads:
        t.join(timeout=30)
    snapshot = dict(acknowledged)
    assert len(snapshot) >= 20

    with EmulatorProcess(data) as emu2:
        emu2.admin.set_rate_limit(100000)
        api = Api(emu2.url)
        for flow_id, flow in snapshot.items():
            current = api.flow(flow_id)
            assert current.status_code == 200, flow_id
            # The server may hold a newer version (a write committed but not acknowledged before the
            # kill), never an older one; the acknowledged version is in the history exactly as acknowledged.
            assert current.json()["_version"] >= flow["_version"]
            at = api.get(f"{FLOWS}/{flow_id}/versions/{flow['_version']}")
            assert at.status_code == 200 and at.json() == flow
