"""`python -m emulator serve`: output lines, clean exit on SIGTERM/SIGINT, configuration."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
import yaml

from emulator.config import DEFAULT_CONFIG_PATH, load_config
from emulator.testing import ADMIN_KEY, DEMO_CLIENTS, EmulatorProcess, get_token

from ._api import FLOWS, Api

REPO = Path(__file__).resolve().parents[2]


def test_default_config_matches_the_documented_demo_values() -> None:
    config = load_config(DEFAULT_CONFIG_PATH, environ={})
    assert config.organizations == ("dev", "staging", "prod")
    assert {c: v.secret for c, v in config.clients.items()} == DEMO_CLIENTS
    for client_id, client in config.clients.items():
        assert client.org == client_id.rsplit("-", 1)[0]
        expected = (
            {"architect:flow:read", "architect:flow:write"}
            if client_id.endswith(("-rw", "-admin"))
            else {"architect:flow:read"}
        )
        assert client.scopes == expected
    assert config.admin_key == ADMIN_KEY
    assert (config.token_lifetime_seconds, config.rate_limit, config.rate_limit_window_seconds) == (
        86400,
        300,
        60,
    )
    assert load_config(DEFAULT_CONFIG_PATH, environ={"EMULATOR_ADMIN_KEY": "k"}).admin_key == "k"


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_prints_url_and_ready_and_stops_cleanly(tmp_path: Path, sig: signal.Signals) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulator",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--data",
            str(tmp_path / "a.db"),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("Architecture API emulator listening on http://127.0.0.1:")
        url = first.rsplit(" ", 1)[1].strip()
        assert int(url.rsplit(":", 1)[1]) > 0
        assert proc.stdout.readline().strip() == "ready"
        assert requests.get(url + "/healthz", timeout=5).json() == {"status": "ok"}
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Traceback" not in err


@pytest.mark.slow
def test_custom_config_and_admin_key_env(tmp_path: Path) -> None:
    config = {
        "admin_key": "config-admin-key",
        "token_lifetime_seconds": 120,
        "rate_limit": {"limit": 3, "window_seconds": 60},
        "organizations": {
            "solo": {"clients": {"solo-app": {"secret": "s3cret-demo", "scopes": ["architect:flow:read"]}}}
        },
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    with EmulatorProcess(
        tmp_path / "c.db", config_path=path, env={"EMULATOR_ADMIN_KEY": "env-admin-key"}
    ) as emu:
        assert emu.admin_key == "env-admin-key"
        emu.admin.stats()
        r = requests.get(
            emu.url + "/_emulator/stats", headers={"X-Emulator-Admin-Key": "config-admin-key"}, timeout=5
        )
        assert r.status_code == 401
        token = get_token(emu.url, "solo-app", "s3cret-demo")
        headers = {"Authorization": f"Bearer {token}"}
        r = requests.get(emu.url + FLOWS, headers=headers, timeout=5)
        assert r.status_code == 200 and r.headers["inin-ratelimit-allowed"] == "3"
        r = requests.post(
            emu.url + FLOWS, json={"name": "x", "lifecycle_state": "draft"}, headers=headers, timeout=5
        )
        assert r.status_code == 403
        with pytest.raises(requests.HTTPError):
            get_token(emu.url, "dev-rw")


@pytest.mark.slow
def test_bad_config_fails_fast(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "organizations: {dev: {clients: {x: {secret: s, scopes: [architect:everything]}}}}\nadmin_key: k\n"
    )
    emu = EmulatorProcess(tmp_path / "b.db", config_path=path)
    with pytest.raises(RuntimeError, match="scopes"):
        emu.start()
    assert not emu.is_running()


@pytest.mark.slow
def test_port_in_use_fails_fast(emulator: EmulatorProcess, tmp_path: Path) -> None:
    port = int(emulator.url.rsplit(":", 1)[1])
    with pytest.raises(RuntimeError, match="cannot listen"):
        EmulatorProcess(tmp_path / "p.db", port=port).start()
    assert Api(emulator.url).get(FLOWS).status_code == 200
