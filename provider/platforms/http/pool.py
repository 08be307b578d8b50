"""What the Requestors built on one `ClientPool` share: HTTP sessions, tokens and pacers.

A `Requestor` without a pool gets a private one, so nothing leaks between clients (or tests) by
accident. Clients meant to share pass the same pool: the dynamic provider keeps one for its process
(provider/deploy/resource.py), so its clients of one OAuth client share one token and one pacer, as
the API's per-token rate limit requires.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

import requests

from provider.platforms.http.auth import TokenCache
from provider.platforms.http.pacing import Pacer
from provider.platforms.http.transport import POOL_SIZE as POOL_SIZE  # connections per session
from provider.platforms.http.transport import new_session


class ClientPool:
    """Sessions per base URL, one token per OAuth client, one pacer per client id and API
    (thread-safe). `clock` (monotonic seconds) is the token cache's."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.tokens = TokenCache(clock=clock)
        self._sessions: dict[tuple[int, str], requests.Session] = {}
        self._pacers: dict[tuple[str, str], Pacer] = {}
        self._lock = threading.Lock()

    def session(self, base_url: str) -> requests.Session:
        """The session for `base_url` (a forked child gets its own: sockets are not shared)."""
        key = (os.getpid(), base_url)
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                session = self._sessions[key] = new_session()
            return session

    def pacer(self, client_id: str, api_base_url: str) -> Pacer:
        """The pacer of one OAuth client at one API (the server limits per token)."""
        key = (client_id, api_base_url)
        with self._lock:
            pacer = self._pacers.get(key)
            if pacer is None:
                pacer = self._pacers[key] = Pacer()
            return pacer
