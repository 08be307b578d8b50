"""Concurrent writers: the `_version` check and the write are one transaction."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import requests

from emulator.testing import EmulatorProcess, get_token

from ._api import FLOWS, Api

THREADS = 16


def _race(url: str, token: str, calls: list[tuple[str, str, dict]]) -> list[requests.Response]:
    barrier = threading.Barrier(len(calls))

    def one(call: tuple[str, str, dict]) -> requests.Response:
        method, path, body = call
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        session.get(url + "/healthz", timeout=30)  # open the connection before the race
        barrier.wait()
        return session.request(method, url + path, json=body, timeout=60)

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(one, calls))


def test_same_version_patches_exactly_one_wins(emulator: EmulatorProcess) -> None:
    emulator.admin.set_rate_limit(100000)
    api = Api(emulator.url)
    token = get_token(emulator.url, "dev-rw")
    flow = api.create_ok("contended")
    successes = 0
    version = 1
    for round_number in range(4):
        calls = [
            (
                "PATCH",
                f"{FLOWS}/{flow['id']}",
                {"_version": version, "description": f"round {round_number} writer {i}"},
            )
            for i in range(THREADS)
        ]
        statuses = sorted(r.status_code for r in _race(emulator.url, token, calls))
        assert statuses == [200] + [409] * (THREADS - 1), statuses
        successes += 1
        version += 1
    final = api.flow(flow["id"]).json()
    assert final["_version"] == 1 + successes == 5
    history = api.get(f"{FLOWS}/{flow['id']}/versions").json()
    assert [e["version"] for e in history["entities"]] == [5, 4, 3, 2, 1]
    assert emulator.admin.stats()["writes"] == 1 + successes


def test_concurrent_creates_with_one_name_exactly_one_wins(emulator: EmulatorProcess) -> None:
    emulator.admin.set_rate_limit(100000)
    token = get_token(emulator.url, "dev-rw")
    calls = [
        ("POST", FLOWS, {"name": f"Same {'NAME' if i % 2 else 'name'}", "lifecycle_state": "draft"})
        for i in range(THREADS)
    ]
    responses = _race(emulator.url, token, calls)
    assert sorted(r.status_code for r in responses) == [201] + [409] * (THREADS - 1)
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"architect.flow.name.duplicate"}
    assert Api(emulator.url).get(FLOWS).json()["total"] == 1


def test_concurrent_deletes_and_references(emulator: EmulatorProcess) -> None:
    """A flow being deleted while another flow starts referencing it: never both."""
    emulator.admin.set_rate_limit(100000)
    api = Api(emulator.url)
    token = get_token(emulator.url, "dev-rw")
    for i in range(6):
        target = api.create_ok(f"target {i}")
        user = api.create_ok(f"user {i}")
        calls = [
            ("DELETE", f"{FLOWS}/{target['id']}", {}),
            ("PATCH", f"{FLOWS}/{user['id']}", {"_version": 1, "references": [target["id"]]}),
        ]
        deleted, patched = _race(emulator.url, token, calls)
        assert (deleted.status_code, patched.status_code) in [(204, 422), (409, 200)], (
            deleted.text,
            patched.text,
        )
        refs = api.flow(user["id"]).json()["references"]
        target_now = api.flow(target["id"]).status_code
        assert (refs, target_now) in [([], 410), ([target["id"]], 200)]
