"""Test helpers: run the emulator as a separate process, and drive its admin API.

    with EmulatorProcess(tmp_path / "arch.db") as emu:
        token = get_token(emu.url, "dev-rw")
        emu.admin.set_faults(error_rate=1.0, statuses=[503], methods=["POST"], max_faults=2)

The credentials below are the DEMO VALUES of the emulator's default configuration, not secrets.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import requests
import yaml

# Demo values of emulator/default_config.yaml (client id -> secret). Not secrets.
DEMO_CLIENTS: dict[str, str] = {
    f"{org}-{kind}": f"{org}-{kind}-demo-secret"
    for org in ("dev", "staging", "prod")
    for kind in ("admin", "rw", "ro")
}
# Demo admin key of the default configuration (EMULATOR_ADMIN_KEY overrides it).
ADMIN_KEY = "emulator-admin-demo-key"
ADMIN_HEADER = "X-Emulator-Admin-Key"

_REPO_ROOT = Path(__file__).resolve().parent.parent
_LISTENING = re.compile(r"listening on (http://\S+)")


def get_token(base_url: str, client_id: str, secret: str | None = None, *, timeout: float = 10.0) -> str:
    """A bearer token for a client (the demo secret of a default client when `secret` is None)."""
    response = requests.post(
        f"{base_url}/oauth/token",
        auth=(client_id, secret if secret is not None else DEMO_CLIENTS[client_id]),
        data={"grant_type": "client_credentials"},
        timeout=timeout,
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


class AdminError(RuntimeError):
    pass


class AdminClient:
    """A thin wrapper over the emulator's admin API (`/_emulator/...`)."""

    def __init__(self, base_url: str, admin_key: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers[ADMIN_HEADER] = admin_key

    def _call(self, method: str, path: str, json: Any = None, expect: int = 200) -> requests.Response:
        response = self.session.request(method, f"{self.base_url}/_emulator/{path}", json=json, timeout=30)
        if response.status_code != expect:
            raise AdminError(f"{method} /_emulator/{path}: {response.status_code} {response.text[:500]}")
        return response

    def reset(self) -> None:
        self._call("POST", "reset", expect=204)

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "stats").json()
        return result

    def set_faults(self, **kwargs: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._call("PUT", "faults", json=kwargs).json()
        return result

    def clear_faults(self) -> None:
        self._call("DELETE", "faults", expect=204)

    def set_rate_limit(self, limit: int, window_seconds: int = 60) -> None:
        self._call("PUT", "rate-limit", json={"limit": limit, "window_seconds": window_seconds})

    def set_token_lifetime(self, seconds: int) -> None:
        self._call("PUT", "token-lifetime", json={"seconds": seconds})

    def revoke_tokens(self, client_id: str | None = None) -> int:
        return int(self._call("POST", "revoke-tokens", json={"client_id": client_id}).json()["revoked"])

    # -- the real Genesys Cloud flows API ----------------------------------------------------------

    def gc_set_async_delay(self, seconds: float) -> None:
        """How long check-in, publish and jobs take to complete (default 0.2 s)."""
        self._call("PUT", "genesys/async-delay", json={"seconds": float(seconds)})

    def gc_set_job_duration(self, low: float, high: float | None = None, seed: int | None = None) -> None:
        """How long import jobs take: `low` seconds, or uniform between `low` and `high`."""
        body = {"min_seconds": float(low), "max_seconds": None if high is None else float(high), "seed": seed}
        self._call("PUT", "genesys/job-duration", json=body)

    def gc_set_upload_ttl(self, seconds: float) -> None:
        """How long a job's presigned upload URL stays valid (default 900 s)."""
        self._call("PUT", "genesys/upload-ttl", json={"seconds": float(seconds)})

    def gc_lock_as_user(self, org: str, flow_id: str, user_name: str) -> dict[str, Any]:
        """Lock the flow as a UI user (`lockedUser`); returns the flow."""
        body = {"org": org, "flow_id": flow_id, "user_name": user_name}
        result: dict[str, Any] = self._call("POST", "genesys/lock", json=body).json()
        return result

    def gc_unlock(self, org: str, flow_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call(
            "POST", "genesys/unlock", json={"org": org, "flow_id": flow_id}
        ).json()
        return result

    def gc_publish_as_user(
        self, org: str, flow_id: str, yaml_text: str, user_name: str = "Alice Architect"
    ) -> dict[str, Any]:
        """An out-of-band edit: `yaml_text` becomes a new published version by that UI user."""
        body = {"org": org, "flow_id": flow_id, "user_name": user_name, "yaml": yaml_text}
        result: dict[str, Any] = self._call("POST", "genesys/publish-as-user", json=body).json()
        return result

    def gc_seed_flow(self, org: str, yaml_text: str, user_name: str = "Bea Botbuilder") -> dict[str, Any]:
        """A flow someone else built in the org (e.g. a bot flow of another team): created from
        the Archy YAML with one published version by that UI user; returns the flow."""
        body = {"org": org, "user_name": user_name, "yaml": yaml_text}
        result: dict[str, Any] = self._call("POST", "genesys/seed-flow", json=body).json()
        return result

    def gc_dependency_rebuilding(self, on: bool) -> None:
        """While on, both dependency-tracking routes answer 206 ("being rebuilt")."""
        self._call("PUT", "genesys/dependency-tracking", json={"rebuilding": on})

    def gc_job_faults(self, fail_next: int, text: str) -> None:
        """The next `fail_next` import jobs end in Failure with `text` and change nothing."""
        self._call("PUT", "genesys/job-faults", json={"fail_next": fail_next, "text": text})


class EmulatorProcess:
    """The emulator as a separate process on 127.0.0.1 (a context manager)."""

    def __init__(
        self,
        data_path: str | Path,
        *,
        port: int | None = None,
        config_path: str | Path | None = None,
        env: Mapping[str, str] | None = None,
        startup_timeout: float = 30.0,
    ) -> None:
        self.data_path = Path(data_path)
        self.port = port
        self.config_path = Path(config_path) if config_path is not None else None
        self.env = dict(env or {})
        self.startup_timeout = startup_timeout
        self.url = ""
        self.pid = 0
        self.admin: AdminClient
        self.returncode: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self.stdout_path = self.data_path.with_name(self.data_path.name + ".stdout.log")
        self.stderr_path = self.data_path.with_name(self.data_path.name + ".stderr.log")

    @property
    def admin_key(self) -> str:
        merged = {**os.environ, **self.env}
        if merged.get("EMULATOR_ADMIN_KEY"):
            return merged["EMULATOR_ADMIN_KEY"]
        if self.config_path is not None:
            raw = yaml.safe_load(self.config_path.read_text(encoding="utf-8"))
            if isinstance(raw, dict) and isinstance(raw.get("admin_key"), str):
                return raw["admin_key"]
        return ADMIN_KEY

    def stdout(self) -> str:
        return (
            self.stdout_path.read_text(encoding="utf-8", errors="replace")
            if self.stdout_path.exists()
            else ""
        )

    def stderr(self) -> str:
        return (
            self.stderr_path.read_text(encoding="utf-8", errors="replace")
            if self.stderr_path.exists()
            else ""
        )

    def start(self) -> EmulatorProcess:
        if self._proc is not None and self._proc.poll() is None:
            raise RuntimeError("the emulator is already running")
        self.data_path.parent.mkdir(parents=True, exist_ok=True)
        self.url = ""
        cmd = [
            sys.executable,
            "-m",
            "emulator",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port if self.port is not None else 0),
            "--data",
            str(self.data_path),
        ]
        if self.config_path is not None:
            cmd += ["--config", str(self.config_path)]
        env = {**os.environ, **self.env}
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_REPO_ROOT), env.get("PYTHONPATH", "")) if p)
        env["PYTHONUNBUFFERED"] = "1"
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self._proc = subprocess.Popen(
                cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=_REPO_ROOT, env=env
            )
        self.pid = self._proc.pid
        self.returncode = None
        try:
            self._wait_ready()
        except BaseException:
            self.kill()
            raise
        self.admin = AdminClient(self.url, self.admin_key)
        return self

    def _wait_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self.startup_timeout
        delay = 0.01
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(
                    f"the emulator exited with status {self._proc.returncode} before it was ready:\n"
                    + self.stderr()
                )
            if not self.url:
                match = _LISTENING.search(self.stdout())
                if match is not None:
                    self.url = match.group(1)
            if self.url:
                try:
                    if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                        return
                except requests.RequestException:
                    pass
            time.sleep(delay)
            delay = min(delay * 2, 0.2)
        raise RuntimeError(f"the emulator was not ready within {self.startup_timeout} s:\n{self.stderr()}")

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, wait, SIGKILL as the fallback."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=timeout)
        self.returncode = proc.returncode
        self._proc = None

    def kill(self) -> None:
        """SIGKILL, as a crash would (for durability tests)."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=15)
        self.returncode = proc.returncode
        self._proc = None

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
