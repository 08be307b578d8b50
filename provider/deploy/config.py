"""THE stack-config model: a stack's `genesys-flows:*` settings, validated once.

The program (`pulumi.Config`), the dynamic provider (`configure`, the engine's copy of the config) and
the CLI (the Automation API's `get_all_config`) all hand their raw values to `parse`; every problem is
reported at once, each naming the key and the stack. Values missing from the config fall back to the
GENESYSCLOUD_* environment variables when the connection is resolved (`connection`).

Keys: platform (genesys-cloud, the default, | architecture-api: only explicit, for an emulator
URL or one vouched for with trustApiUrl: provider/deploy/stack_org.py), apiUrl or region, clientId,
clientSecret (a secret), conflictPolicy (architecture-api: merge|overwrite|fail, default merge; genesys-cloud:
fail|overwrite, default fail), forceUnlock (genesys-cloud only, default false; the client needs the
permission architect:flow:unlock), protectPublished (default false: true refuses to delete or
unpublish a published flow, provider/deploy/protection.py), substitutions (name → string),
metricsDir, auditLog, flowsDir, orgObjects (fail|warn|off, default fail: the org objects the flows
name, checked in the org at preview: provider/deploy/org_objects.py).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from provider import platforms
from provider.deploy import stack_org
from provider.domain.loading import render_scalar
from provider.errors import ConfigurationError
from provider.platforms.base import ConflictPolicy
from provider.platforms.http.settings import (
    ENV_API_URL,
    ENV_CLIENT_ID,
    ENV_CLIENT_SECRET,
    ENV_REGION,
    REGIONS,
    ConnectionSettings,
)

NAMESPACE = "genesys-flows"
DEFAULT_PLATFORM = platforms.DEFAULT
#: Per platform: the conflict policies it supports, the default first (from the registry).
CONFLICT_POLICIES: dict[str, tuple[str, ...]] = {
    name: tuple(kind.conflict_policies) for name, kind in platforms.PLATFORMS.items()
}
#: The keys the provider's platforms are built from (its `configure` keys).
CONNECTION_KEYS: tuple[str, ...] = (
    "platform",
    "apiUrl",
    "region",
    "clientId",
    "clientSecret",
    "conflictPolicy",
    "forceUnlock",
    "metricsDir",
    "auditLog",
    "trustApiUrl",
    "protectPublished",
)
#: Every key the model reads (without the namespace).
KEYS: tuple[str, ...] = (
    "platform",
    "apiUrl",
    "region",
    "clientId",
    "clientSecret",
    "conflictPolicy",
    "forceUnlock",
    "substitutions",
    "metricsDir",
    "auditLog",
    "flowsDir",
    "trustApiUrl",
    "protectPublished",
    "orgObjects",
)
#: `orgObjects`: what a missing org object does at preview (the first is the default).
ORG_OBJECT_MODES: tuple[str, ...] = ("fail", "warn", "off")


#: How the connection's settings are named to the user: stack keys (their environment variables
#: are named by ConnectionSettings itself).
SETTING_NAMES: dict[str, str] = {
    "client_id": f"{NAMESPACE}:clientId",
    "client_secret": f"{NAMESPACE}:clientSecret",
    "region": f"{NAMESPACE}:region",
    "api_url": f"{NAMESPACE}:apiUrl",
}


class StackConfigError(ConfigurationError):
    """One or more stack settings are wrong; `problems` names each key."""

    def __init__(self, stack: str, problems: list[str]) -> None:
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"stack {stack!r} is not configured correctly:\n{lines}")
        self.stack = stack
        self.problems = problems


class StackConfig(BaseModel):
    """One stack's validated settings. `client_secret` is whatever the caller read (a plain string,
    or the program's secret Output): never printed, never dumped."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    stack: str
    platform: str = DEFAULT_PLATFORM
    api_url: str | None = None
    region: str | None = None
    client_id: str | None = None
    client_secret: Any = Field(default=None, repr=False, exclude=True)
    conflict_policy: ConflictPolicy = "merge"
    force_unlock: bool = False
    substitutions: dict[str, str] = Field(default_factory=dict)
    metrics_dir: str | None = None
    audit_log: str | None = None
    flows_dir: str | None = None
    trust_api_url: bool = False
    protect_published: bool = False
    org_objects: str = ORG_OBJECT_MODES[0]

    def key(self, name: str) -> str:
        return f"{NAMESPACE}:{name}"

    def missing_connection(self, env: Mapping[str, str] | None = None) -> list[str]:
        """What the connection lacks in the config and the environment (each naming key and variable)."""
        environ = os.environ if env is None else env
        where = f"stacks/Pulumi.{self.stack}.yaml"
        out = []
        if not (self.api_url or self.region or environ.get(ENV_API_URL) or environ.get(ENV_REGION)):
            out.append(
                f"where the API is: set {NAMESPACE}:apiUrl or {NAMESPACE}:region in {where} "
                f"(or {ENV_API_URL} / {ENV_REGION})"
            )
        if not (self.client_id or environ.get(ENV_CLIENT_ID)):
            out.append(f"the OAuth client id: set {NAMESPACE}:clientId (or {ENV_CLIENT_ID})")
        if self.client_secret is None and not environ.get(ENV_CLIENT_SECRET):
            out.append(
                f"the OAuth client secret: `pulumi config set --secret {NAMESPACE}:clientSecret ...` "
                f"(or {ENV_CLIENT_SECRET})"
            )
        return out

    def require_connection(self, env: Mapping[str, str] | None = None) -> None:
        missing = self.missing_connection(env)
        if missing:
            raise StackConfigError(self.stack, missing)

    def connection(self, env: Mapping[str, str] | None = None) -> ConnectionSettings:
        """The resolved connection (config first, then the environment); needs a plain secret. The
        emulator's default address is this checkout's emulator (`stack_org.effective_api_url`)."""
        secret = self.client_secret
        environ = os.environ if env is None else env
        try:
            return ConnectionSettings.resolve(
                region=self.region,
                api_url=stack_org.effective_api_url(self.api_url, env=environ),
                client_id=self.client_id,
                client_secret=None if secret is None else str(secret),
                env=environ,
                names=SETTING_NAMES,
            )
        except ConfigurationError as exc:
            raise StackConfigError(self.stack, [exc.message]) from None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _bool(value: Any) -> bool | None:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    return {"true": True, "false": False, "": False}.get(text)


def _secret(value: Any) -> Any:
    """A plain string, or the program's secret Output kept as it is (never converted to text)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value


Complain = Callable[[str, str], None]


def parse(stack: str, values: Mapping[str, Any]) -> StackConfig:
    """Validate a stack's raw config values (keys without the namespace). Raises `StackConfigError`
    listing every problem, each naming the key."""
    problems: list[str] = []

    def bad(key: str, message: str) -> None:
        problems.append(f"{NAMESPACE}:{key} {message}")

    platform, api_url, region, trust_api_url = _where(values, bad)
    allowed = CONFLICT_POLICIES[platform]
    policy = _text(values.get("conflictPolicy")) or allowed[0]
    if policy not in allowed:
        bad("conflictPolicy", f"is {policy!r}; on platform {platform} use one of {', '.join(allowed)}")
        policy = allowed[0]
    force_unlock = _force_unlock(values, platform, bad)
    raw_subs = _raw_substitutions(values, bad)
    protect_published = _bool(values.get("protectPublished"))
    if protect_published is None:
        bad("protectPublished", f"is {values.get('protectPublished')!r}; use true or false")
    org_objects = (_text(values.get("orgObjects")) or ORG_OBJECT_MODES[0]).lower()
    if org_objects not in ORG_OBJECT_MODES:
        bad("orgObjects", f"is {values.get('orgObjects')!r}; use one of {', '.join(ORG_OBJECT_MODES)}")
    if problems:
        raise StackConfigError(stack, problems)
    return StackConfig(
        stack=stack,
        platform=platform,
        api_url=api_url,
        region=region,
        client_id=_text(values.get("clientId")),
        client_secret=_secret(values.get("clientSecret")),
        conflict_policy=policy,  # checked against CONFLICT_POLICIES above
        force_unlock=force_unlock,
        # Values as YAML writes them (`true`, not Python's `True`), as the flows' own substitutions.
        substitutions={str(k): render_scalar(v) for k, v in raw_subs.items()},
        metrics_dir=_text(values.get("metricsDir")),
        audit_log=_text(values.get("auditLog")),
        flows_dir=_text(values.get("flowsDir")),
        trust_api_url=trust_api_url,
        protect_published=bool(protect_published),
        org_objects=org_objects,
    )


def _where(values: Mapping[str, Any], complain: Complain) -> tuple[str, str | None, str | None, bool]:
    """The platform, API URL, region and trustApiUrl, each checked; then, when all are sound, whether
    the tutorial's Architecture API may be used there (stack_org)."""
    found: list[str] = []

    def bad(key: str, message: str) -> None:
        found.append(key)
        complain(key, message)

    platform = stack_org.default_platform(_text(values.get("platform")))
    if platform not in platforms.PLATFORMS:
        bad("platform", f"is {platform!r}; use one of {', '.join(platforms.NAMES)}")
        platform = DEFAULT_PLATFORM
    trust_api_url = _bool(values.get("trustApiUrl"))
    if trust_api_url is None:
        bad("trustApiUrl", f"is {values.get('trustApiUrl')!r}; use true or false")
        trust_api_url = False
    api_url = _text(values.get("apiUrl"))
    if api_url is not None:
        parts = urlsplit(api_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            bad("apiUrl", f"is {api_url!r}; expected http(s)://host[:port], e.g. http://127.0.0.1:8099")
    region = _text(values.get("region"))
    if region is not None and region.lower() not in REGIONS:
        bad("region", f"is {region!r}, an unknown region; use one of {', '.join(REGIONS)}")
    if platform == stack_org.TUTORIAL_PLATFORM and not found:
        url = api_url or _text(os.environ.get(ENV_API_URL))
        why = stack_org.architecture_api_problem(
            url, region or _text(os.environ.get(ENV_REGION)), trusted=trust_api_url
        )
        if why:
            bad("platform", why)
    return platform, api_url, region, trust_api_url


def _force_unlock(values: Mapping[str, Any], platform: str, bad: Complain) -> bool:
    force_unlock = _bool(values.get("forceUnlock"))
    if force_unlock is None:
        bad("forceUnlock", f"is {values.get('forceUnlock')!r}; use true or false")
        return False
    if force_unlock and not platforms.PLATFORMS[platform].locks:
        with_locks = ", ".join(name for name, kind in platforms.PLATFORMS.items() if kind.locks)
        bad("forceUnlock", f"is true, but platform {platform} has no locks ({with_locks} only)")
    return force_unlock


def _raw_substitutions(values: Mapping[str, Any], bad: Complain) -> Mapping[str, Any]:
    raw_subs = values.get("substitutions") or {}
    if isinstance(raw_subs, str):
        try:
            raw_subs = json.loads(raw_subs)
        except ValueError:
            raw_subs = None
    if not isinstance(raw_subs, Mapping):
        bad("substitutions", "must be an object of name: value")
        return {}
    return raw_subs


def refresh_by_default_file(path: Path) -> bool:
    """Whether `up` refreshes the stack whose file is `path`: its platform's refresh keeps the base
    of the next update (a stack without a file: the default platform's). The file's plain values
    (`stack_org.file_values`), validated by `parse`: a wrong value raises `StackConfigError`."""
    name = Path(path).name.removeprefix("Pulumi.").removesuffix(".yaml")
    values = stack_org.file_values(path)
    return platforms.kind(parse(name, values or {}).platform).refresh_by_default


def main(argv: list[str]) -> int:
    """`python -m provider.deploy.config refresh STACK_FILE` (scripts/up, scripts/ci-deploy): print `true`
    when `up` refreshes the stack by default, else `false`; a stack file that is not valid: exit 2."""
    if len(argv) != 2 or argv[0] != "refresh":
        print("usage: python -m provider.deploy.config refresh STACK_FILE", file=sys.stderr)
        return 2
    import yaml

    try:
        print("true" if refresh_by_default_file(Path(argv[1])) else "false")
    except (OSError, ValueError, yaml.YAMLError, ConfigurationError) as exc:
        print(f"error: {argv[1]}: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
