"""OAuth client credentials, bearer tokens and the per-token rate limit.

Tokens are opaque random strings; only their SHA-256 is stored (in SQLite, so issued tokens survive a
restart) and nothing here ever logs a secret or a token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import secrets
import threading
import time
from dataclasses import dataclass

from .config import ClientConfig, EmulatorConfig
from .errors import ApiError, detail
from .store import Store


class TokenError(Exception):
    """An OAuth error of the token endpoint: `{"error", "description", "error_description"}`."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


@dataclass
class TokenInfo:
    token_hash: str
    client_id: str
    org: str
    scopes: frozenset[str]
    expires_at: float
    revoked: bool


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class Auth:
    def __init__(self, config: EmulatorConfig, store: Store) -> None:
        self.config = config
        self.store = store
        self.token_lifetime = config.token_lifetime_seconds
        self._cache: dict[str, TokenInfo] = {}
        self._lock = threading.Lock()

    # -- the token endpoint -------------------------------------------------------------------------

    def client_from_basic(self, header: str | None) -> ClientConfig:
        if not header:
            raise TokenError(401, "invalid_client", "Client authentication is required (HTTP Basic).")
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() != "basic" or not value.strip():
            raise TokenError(401, "invalid_client", "Client authentication must use HTTP Basic.")
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise TokenError(
                401, "invalid_client", "The Basic credentials are not valid base64 of id:secret."
            ) from None
        client_id, sep, secret = decoded.partition(":")
        client = self.config.clients.get(client_id)
        if not sep or client is None or not hmac.compare_digest(client.secret.encode(), secret.encode()):
            raise TokenError(401, "invalid_client", "Unknown client or wrong client secret.")
        return client

    async def issue(self, client: ClientConfig) -> tuple[str, int]:
        token = secrets.token_urlsafe(32)
        lifetime = self.token_lifetime
        issued = time.time()
        info = TokenInfo(
            hash_token(token), client.client_id, client.org, client.scopes, issued + lifetime, False
        )
        await self.store.write(
            self.store.insert_token,
            info.token_hash,
            info.client_id,
            info.org,
            info.scopes,
            issued,
            info.expires_at,
        )
        with self._lock:
            self._cache[info.token_hash] = info
        return token, lifetime

    # -- bearer tokens on API calls -----------------------------------------------------------------

    def authenticate(self, header: str | None) -> TokenInfo:
        if not header or not header.strip():
            raise ApiError(
                401,
                "authentication.required",
                "Authentication is required: send Authorization: Bearer <token>.",
            )
        scheme, _, value = header.strip().partition(" ")
        token = value.strip()
        if scheme.lower() != "bearer" or not token:
            raise ApiError(
                401,
                "authentication.required",
                "Authentication is required: the Authorization header must be Bearer <token>.",
            )
        token_hash = hash_token(token)
        with self._lock:
            info = self._cache.get(token_hash)
        if info is None:
            row = self.store.find_token(token_hash)
            if row is not None:
                info = TokenInfo(token_hash, row.client_id, row.org, row.scopes, row.expires_at, row.revoked)
                with self._lock:
                    self._cache[token_hash] = info
        if info is None or info.revoked or info.client_id not in self.config.clients:
            raise ApiError(401, "bad.credentials", "The access token is unknown or has been revoked.")
        if time.time() >= info.expires_at:
            raise ApiError(401, "credentials.expired", "The access token has expired; request a new one.")
        return info

    async def revoke(self, client_id: str | None) -> int:
        hashes = await self.store.write(self.store.revoke_tokens, client_id, time.time())
        with self._lock:
            for info in self._cache.values():
                if client_id is None or info.client_id == client_id:
                    info.revoked = True
        return len(hashes)


def missing_scope(client_id: str, scope: str) -> ApiError:
    return ApiError(
        403,
        "missing.permissions",
        f"The OAuth client '{client_id}' is missing the required scope '{scope}'.",
        [detail("missing.permissions", "", "", scope)],
    )


class RateLimiter:
    """A fixed window per access token: at most `limit` requests per `window` seconds."""

    def __init__(self, limit: int, window: int) -> None:
        self.limit = limit
        self.window = window
        self._windows: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def configure(self, limit: int, window: int) -> None:
        with self._lock:
            self.limit = limit
            self.window = window
            self._windows.clear()

    def hit(self, key: str) -> tuple[bool, int, int, int]:
        """Count one request; returns (allowed, count, limit, seconds until the window resets)."""
        now = time.monotonic()
        with self._lock:
            entry = self._windows.get(key)
            if entry is None or now >= entry[0] + self.window:
                if len(self._windows) > 10000:
                    self._windows = {k: v for k, v in self._windows.items() if now < v[0] + self.window}
                entry = [now, 0.0]
                self._windows[key] = entry
            reset = min(self.window, max(1, math.ceil(entry[0] + self.window - now)))
            if entry[1] >= self.limit:
                return False, int(entry[1]), self.limit, reset
            entry[1] += 1
            return True, int(entry[1]), self.limit, reset
