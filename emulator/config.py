"""The emulator's configuration: organizations, their OAuth clients, and the tunable limits.

The shipped default (`default_config.yaml`) holds DEMO VALUES ONLY: three organizations `dev`,
`staging`, `prod`, each with a read-write client `<org>-rw`, a read-only client `<org>-ro` and an
Architect admin client `<org>-admin` whose secret is `<client id>-demo-secret`, and the admin key
`emulator-admin-demo-key`. Scopes gate the Architecture API; permissions gate the real Genesys Cloud
flows API (`<org>-admin` all, `<org>-rw` all but `architect:flow:unlock`, `<org>-ro` view only).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SCOPE_READ = "architect:flow:read"
SCOPE_WRITE = "architect:flow:write"
KNOWN_SCOPES = frozenset({SCOPE_READ, SCOPE_WRITE})

# Permissions of the real Genesys Cloud flows API (contract section 6); they gate only those routes.
PERM_UNLOCK = "architect:flow:unlock"
VIEW_PERMISSIONS = frozenset(
    {
        "architect:flow:view",
        "architect:job:view",
        "architect:jobExport:view",
        "architect:dependencyTracking:view",
        # the org objects flows name (emulator/genesys/objects.py)
        "routing:queue:view",
        "architect:scheduleGroup:view",
        "architect:schedule:view",
        "architect:userPrompt:view",
        "architect:systemPrompt:view",
        "integrations:action:view",
        "routing:skill:view",
        "architect:emergencyGroup:view",
        "routing:wrapupCode:view",
    }
)
ALL_PERMISSIONS = VIEW_PERMISSIONS | {
    "architect:flow:add",
    "architect:flow:edit",
    "architect:flow:publish",
    "architect:flow:delete",
    PERM_UNLOCK,
    "architect:job:create",
    "architect:jobExport:create",
}


def default_permissions(scopes: frozenset[str]) -> frozenset[str]:
    """A client configured without `permissions`: write scope -> all but unlock, else view only."""
    return ALL_PERMISSIONS - {PERM_UNLOCK} if SCOPE_WRITE in scopes else VIEW_PERMISSIONS


DEFAULT_CONFIG_PATH = Path(__file__).with_name("default_config.yaml")
ADMIN_KEY_ENV = "EMULATOR_ADMIN_KEY"


class ConfigError(ValueError):
    """The configuration file is not valid."""


@dataclass(frozen=True)
class ClientConfig:
    client_id: str
    secret: str
    org: str
    scopes: frozenset[str]
    permissions: frozenset[str] = frozenset()


@dataclass(frozen=True)
class EmulatorConfig:
    organizations: tuple[str, ...]
    clients: Mapping[str, ClientConfig]
    admin_key: str
    token_lifetime_seconds: int
    rate_limit: int
    rate_limit_window_seconds: int
    max_body_bytes: int


def _positive_int(raw: Mapping[str, Any], key: str, default: int) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{key} must be a positive integer, got {value!r}")
    return value


def parse_config(raw: Any, *, environ: Mapping[str, str] | None = None) -> EmulatorConfig:
    """Validate a configuration document (as loaded from YAML) and build the configuration."""
    env = os.environ if environ is None else environ
    if not isinstance(raw, dict):
        raise ConfigError("the configuration must be a mapping")
    unknown = set(raw) - {
        "admin_key",
        "token_lifetime_seconds",
        "rate_limit",
        "max_body_bytes",
        "organizations",
    }
    if unknown:
        raise ConfigError(f"unknown configuration keys: {sorted(unknown)}")
    admin_key = env.get(ADMIN_KEY_ENV) or raw.get("admin_key")
    if not isinstance(admin_key, str) or not admin_key:
        raise ConfigError("admin_key must be a non-empty string (or set EMULATOR_ADMIN_KEY)")
    rate = raw.get("rate_limit", {}) or {}
    if not isinstance(rate, dict) or set(rate) - {"limit", "window_seconds"}:
        raise ConfigError("rate_limit must be a mapping with `limit` and `window_seconds`")
    orgs_raw = raw.get("organizations")
    if not isinstance(orgs_raw, dict) or not orgs_raw:
        raise ConfigError("organizations must be a non-empty mapping of organization name to its clients")
    clients: dict[str, ClientConfig] = {}
    for org, org_raw in orgs_raw.items():
        if not isinstance(org, str) or not org:
            raise ConfigError(f"invalid organization name {org!r}")
        if not isinstance(org_raw, dict) or not isinstance(org_raw.get("clients"), dict):
            raise ConfigError(f"organization {org!r} needs a `clients` mapping")
        for client_id, client_raw in org_raw["clients"].items():
            if not isinstance(client_id, str) or not client_id or ":" in client_id:
                raise ConfigError(f"invalid client id {client_id!r} (non-empty, no ':')")
            if client_id in clients:
                raise ConfigError(f"client id {client_id!r} is configured twice")
            if not isinstance(client_raw, dict):
                raise ConfigError(f"client {client_id!r} must be a mapping")
            secret = client_raw.get("secret")
            scopes = client_raw.get("scopes", [])
            if not isinstance(secret, str) or not secret:
                raise ConfigError(f"client {client_id!r} needs a non-empty secret")
            if not isinstance(scopes, list) or not set(scopes) <= KNOWN_SCOPES:
                raise ConfigError(f"client {client_id!r}: scopes must be a list from {sorted(KNOWN_SCOPES)}")
            permissions = client_raw.get("permissions")
            if permissions is None:
                granted = default_permissions(frozenset(scopes))
            elif isinstance(permissions, list) and set(permissions) <= ALL_PERMISSIONS:
                granted = frozenset(permissions)
            else:
                raise ConfigError(
                    f"client {client_id!r}: permissions must be a list from {sorted(ALL_PERMISSIONS)}"
                )
            clients[client_id] = ClientConfig(client_id, secret, org, frozenset(scopes), granted)
    return EmulatorConfig(
        organizations=tuple(orgs_raw),
        clients=clients,
        admin_key=admin_key,
        token_lifetime_seconds=_positive_int(raw, "token_lifetime_seconds", 86400),
        rate_limit=_positive_int(rate, "limit", 300),
        rate_limit_window_seconds=_positive_int(rate, "window_seconds", 60),
        max_body_bytes=_positive_int(raw, "max_body_bytes", 1024 * 1024),
    )


def load_config(
    path: str | Path | None = None, *, environ: Mapping[str, str] | None = None
) -> EmulatorConfig:
    """Load the configuration file at `path` (the shipped default when None)."""
    config_path = Path(path) if path is not None else DEFAULT_CONFIG_PATH
    try:
        raw = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read the configuration {config_path}: {exc}") from exc
    return parse_config(raw, environ=environ)
