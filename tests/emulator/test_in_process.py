"""The emulator's app in this process (`emulator.testing.InProcessEmulator` behind `ASGIAdapter`):
what a client sees through the adapter is what it sees over a socket — statuses, headers, bodies,
dropped connections (before or after the request is applied), read timeouts — and the fault
controls' path scope and canned bodies."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from emulator.testing import DEMO_CLIENTS, AdminError, InProcessEmulator

FLOWS = "/api/v2/flows"


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessEmulator]:
    with InProcessEmulator(Path(tmp_path_factory.mktemp("in-process")) / "arch.db") as emulator:
        yield emulator


@pytest.fixture
def session(emu: InProcessEmulator) -> requests.Session:
    emu.admin.reset()
    emu.adapter.log.clear()
    session = requests.Session()
    emu.mount(session)
    token = session.post(
        f"{emu.url}/oauth/token",
        auth=("dev-admin", DEMO_CLIENTS["dev-admin"]),
        data={"grant_type": "client_credentials"},
        timeout=5,
    ).json()["access_token"]
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def create(emu: InProcessEmulator, session: requests.Session, name: str) -> requests.Response:
    return session.post(f"{emu.url}{FLOWS}", json={"name": name, "type": "INBOUNDCALL"}, timeout=(1, 5))


def names(emu: InProcessEmulator, session: requests.Session) -> list[str]:
    body = session.get(f"{emu.url}{FLOWS}", params={"pageSize": 100}, timeout=5).json()
    return sorted(f["name"] for f in body["entities"])


def test_answers_carry_status_headers_body_and_query(
    emu: InProcessEmulator, session: requests.Session
) -> None:
    made = create(emu, session, "Main IVR")
    assert made.status_code == 200 and made.json()["name"] == "Main IVR"
    assert made.headers["ININ-Correlation-Id"] and made.headers["Content-Type"].startswith("application/json")
    listed = session.get(f"{emu.url}{FLOWS}", params={"name": "main", "pageSize": 1}, timeout=5)
    assert listed.json()["pageSize"] == 1 and [f["name"] for f in listed.json()["entities"]] == ["Main IVR"]
    missing = session.get(f"{emu.url}{FLOWS}/no-such-flow", timeout=5)
    assert missing.status_code == 404 and missing.json()["status"] == 404
    assert emu.log[-3:] == [
        ("POST", FLOWS, 200),
        ("GET", FLOWS, 200),
        ("GET", f"{FLOWS}/no-such-flow", 404),
    ]


@pytest.mark.parametrize(("mode", "applied"), [("after", True), ("before", False)])
def test_a_dropped_connection_is_a_connection_error(
    emu: InProcessEmulator, session: requests.Session, mode: str, applied: bool
) -> None:
    emu.admin.set_faults(drop_rate=1.0, drop_mode=mode, methods=["POST"], paths=[FLOWS], max_faults=1)
    with pytest.raises(requests.ConnectionError):
        create(emu, session, "Dropped")
    assert emu.log[-1] == ("POST", FLOWS, None)
    assert names(emu, session) == (["Dropped"] if applied else [])
    assert create(emu, session, "Next").status_code == 200  # max_faults: one drop only


def test_faults_touch_only_their_paths_and_answer_the_canned_body(
    emu: InProcessEmulator, session: requests.Session
) -> None:
    body = {"message": "in use", "code": "architect.flow.cannot.delete.used.in.flows", "status": 409}
    emu.admin.set_faults(error_rate=1.0, statuses=[409], paths=[f"{FLOWS}/actions/"], body=body)
    assert create(emu, session, "Untouched").status_code == 200
    refused = session.post(f"{emu.url}{FLOWS}/actions/checkout", params={"flow": "x"}, timeout=5)
    assert refused.status_code == 409 and refused.json() == body
    with pytest.raises(AdminError, match="admin API"):
        emu.admin.set_faults(error_rate=1.0, paths=["/_emulator/"])


def test_the_read_timeout_is_honoured(emu: InProcessEmulator, session: requests.Session) -> None:
    emu.admin.set_faults(latency_ms=[3000, 3000], methods=["GET"], paths=[FLOWS])
    with pytest.raises(requests.ReadTimeout):
        session.get(f"{emu.url}{FLOWS}", timeout=(1, 0.2))
    emu.admin.clear_faults()
    assert names(emu, session) == []
