"""Test helpers: run the emulator as a separate process, or its app in this process, and drive its
admin API.

    with EmulatorProcess(tmp_path / "arch.db") as emu:
        token = get_token(emu.url, "dev-rw")
        emu.admin.set_faults(error_rate=1.0, statuses=[503], methods=["POST"], max_faults=2)

    with InProcessEmulator(tmp_path / "arch.db") as emu:   # no process, no socket
        emu.mount(session)   # `session` now reaches emu.url through the ASGI app

The credentials below are the DEMO VALUES of the emulator's default configuration, not secrets.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, MutableMapping
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
import yaml
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

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

    def gc_set_job_duration(
        self, low: float, high: float | None = None, seed: int | None = None, export: float | None = None
    ) -> None:
        """How long import jobs take: `low` seconds, or uniform between `low` and `high`; export
        jobs `export` seconds each (None: the async delay)."""
        body = {
            "min_seconds": float(low),
            "max_seconds": None if high is None else float(high),
            "seed": seed,
            "export_seconds": None if export is None else float(export),
        }
        self._call("PUT", "genesys/job-duration", json=body)

    def gc_set_upload_ttl(self, seconds: float) -> None:
        """How long a job's presigned upload URL stays valid (default 900 s)."""
        self._call("PUT", "genesys/upload-ttl", json={"seconds": float(seconds)})

    def gc_lock_as_user(
        self, org: str, flow_id: str, user_name: str, saved_seconds_ago: float | None = None
    ) -> dict[str, Any]:
        """Lock the flow as a UI user (`lockedUser`); with `saved_seconds_ago`, the user also saved a
        working copy that long ago (`savedVersion`). Returns the flow."""
        body = {
            "org": org,
            "flow_id": flow_id,
            "user_name": user_name,
            "saved_seconds_ago": saved_seconds_ago,
        }
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

    def gc_add_org_object(self, org: str, object_type: str, name: str) -> dict[str, Any]:
        """One more org object a flow may name (`queue`, `dataAction` as `category/name`, ...)."""
        body = {"org": org, "type": object_type, "name": name}
        result: dict[str, Any] = self._call("POST", "genesys/org-objects", json=body).json()
        return result

    def gc_remove_org_object(self, org: str, object_type: str, name: str) -> int:
        body = {"org": org, "type": object_type, "name": name}
        removed: int = self._call("POST", "genesys/org-objects/remove", json=body).json()["removed"]
        return removed

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


# ==================================================================================================
# The emulator's app in this process: a requests transport adapter over the ASGI app
# ==================================================================================================

Exchange = tuple[str, str, int | None]  # (method, path, status; None when the connection dropped)


class ASGIAdapter(BaseAdapter):
    """A requests transport adapter that answers with an ASGI app in this process, as httpx's
    `ASGITransport` does for httpx: everything above the socket (sessions, auth, retries, the
    requestor) runs for real, the app runs for real, only the network is left out.

    The app runs on one event loop in a daemon thread (as under uvicorn: one loop, any number of
    calling threads). A response the app abandons half-way (the emulator's dropped-connection faults
    break the connection that way when the server gives no transport to abort) is a
    `requests.ConnectionError`, as the broken socket is for `HTTPAdapter`; the read timeout is
    honoured. `log` keeps every exchange in order; `before` hooks run on the calling thread before a
    request is served (a test makes a race happen at an exact point with them).
    """

    def __init__(self, app: Callable[..., Any], *, client: tuple[str, int] = ("127.0.0.1", 50000)) -> None:
        super().__init__()
        self.app = app
        self.client = client
        self.log: list[Exchange] = []
        self.before: list[Callable[[str, str], None]] = []
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="asgi-adapter", daemon=True)
        self._thread.start()

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float | None, float | None] | None = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        method = request.method or "GET"
        parts = urlsplit(request.url or "")
        for hook in list(self.before):
            hook(method, parts.path)
        read_timeout = timeout[1] if isinstance(timeout, tuple) else timeout
        future = asyncio.run_coroutine_threadsafe(self._exchange(request), self._loop)
        try:
            status, headers, body, complete = future.result(timeout=read_timeout)
        except FutureTimeout:
            future.cancel()
            self._record(method, parts.path, None)
            raise requests.exceptions.ReadTimeout(
                f"no answer within {read_timeout} s", request=request
            ) from None
        if not complete:
            self._record(method, parts.path, None)
            raise requests.exceptions.ConnectionError(
                "Connection aborted: the server closed the connection before the response was complete",
                request=request,
            )
        self._record(method, parts.path, status)
        return self._response(request, status, headers, body)

    def run(self, coro: Any, timeout: float = 30.0) -> Any:
        """Run a coroutine on the app's event loop and return its result (from any thread)."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=timeout)

    def close(self) -> None:
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        if not self._loop.is_running():
            self._loop.close()

    def _record(self, method: str, path: str, status: int | None) -> None:
        with self._lock:
            self.log.append((method, path, status))

    async def _exchange(self, request: requests.PreparedRequest) -> tuple[int, list[Any], bytes, bool]:
        parts = urlsplit(request.url or "")
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        elif not isinstance(body, bytes):  # an iterable or file-like body
            data = body.read() if hasattr(body, "read") else b"".join(body)
            body = data.encode("utf-8") if isinstance(data, str) else data
        headers = [
            (k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in request.headers.items()
        ]
        if not any(k == b"host" for k, _ in headers):
            headers.insert(0, (b"host", parts.netloc.encode("latin-1")))
        port = parts.port or (443 if parts.scheme == "https" else 80)
        raw_path = (parts.path or "/").encode("latin-1")
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": (request.method or "GET").upper(),
            "scheme": parts.scheme or "http",
            "path": unquote(parts.path or "/"),
            "raw_path": raw_path,
            "query_string": parts.query.encode("latin-1"),
            "root_path": "",
            "headers": headers,
            "server": (parts.hostname or "localhost", port),
            "client": self.client,
            "state": {},
        }
        sent_body = False
        start: MutableMapping[str, Any] = {}
        chunks: list[bytes] = []
        complete = False

        async def receive() -> dict[str, Any]:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # the client stays connected until the answer is read
            return {"type": "http.disconnect"}  # pragma: no cover

        async def send(message: MutableMapping[str, Any]) -> None:
            nonlocal complete
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body" and start:
                chunks.append(bytes(message.get("body", b"")))
                if not message.get("more_body", False):
                    complete = True

        try:
            await self.app(scope, receive, send)
        except Exception:
            # A server logs the error; the client sees what was sent before it (uvicorn answers 500
            # when nothing was, as the app's own error handler already does here).
            if not start:
                return 500, [(b"content-type", b"text/plain")], b"Internal Server Error", True
        return int(start.get("status", 500)), list(start.get("headers", [])), b"".join(chunks), complete

    @staticmethod
    def _response(
        request: requests.PreparedRequest, status: int, raw_headers: list[Any], body: bytes
    ) -> requests.Response:
        headers: CaseInsensitiveDict[str] = CaseInsensitiveDict()
        for key, value in raw_headers:
            name, text = bytes(key).decode("latin-1"), bytes(value).decode("latin-1")
            headers[name] = f"{headers[name]}, {text}" if name in headers else text
        response = requests.Response()
        response.status_code = status
        response.headers = headers
        response._content = body
        response._content_consumed = True  # type: ignore[attr-defined]
        response.encoding = get_encoding_from_headers(headers)
        response.url = request.url or ""
        response.request = request
        response.reason = ""
        return response


class InProcessEmulator:
    """The emulator's app (the same `create_app` the process serves) in this process behind an
    `ASGIAdapter`, on its own database: for tests that drive a client against the emulator many
    times, without a process or a socket. `mount(session)` routes `url` through the app; `admin`
    is the usual admin client (mounted already); `runtime` gives read access to the state.
    """

    def __init__(
        self,
        data_path: str | Path,
        *,
        url: str = "http://emulator.test",
        config_path: str | Path | None = None,
    ) -> None:
        from .app import create_app
        from .config import load_config

        config = load_config(config_path)
        self.url = url.rstrip("/")
        self.app, self.runtime = create_app(config, Path(data_path))
        self.adapter = ASGIAdapter(self.app)
        self.admin = AdminClient(self.url, config.admin_key)
        self.mount(self.admin.session)

    @property
    def log(self) -> list[Exchange]:
        """Every exchange but the admin API's, in order."""
        return [e for e in self.adapter.log if not e[1].startswith("/_emulator/")]

    def mount(self, session: requests.Session) -> None:
        session.mount(self.url, self.adapter)

    def write(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run a store write on the emulator's writer thread, as its handlers do."""
        return self.adapter.run(self.runtime.store.write(fn, *args))

    def close(self) -> None:
        self.adapter.close()
        self.runtime.store.close()

    def __enter__(self) -> InProcessEmulator:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
