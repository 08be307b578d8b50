"""The org-objects gate: the queues, schedule groups, prompts, data actions, ... the flows name, checked
read-only in the stack's org before anything is written (the program at preview and up, `archctl
validate --stack`, `archctl promote`'s target). The platform derives and lists them
(`PlatformKind.check_org_objects`); this module decides what the stack's `orgObjects` setting makes of
the answer and words it once.

- `fail` (default): any problem fails the run, every problem listed (flow, Archy path, object type,
  name, stack); `warn`: the problems are printed and the run proceeds; `off`: no check.
- `GENESYS_FLOWS_OFFLINE=1`: no call at all (reviewing without the org); said once.
- An org that cannot be reached, refuses the credentials or the flow view permission fails the run
  with one message, whatever the mode but `off`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from provider import platforms
from provider.deploy.config import StackConfig
from provider.domain.loading import PreparedSet, render_problems
from provider.errors import ArchitectError
from provider.platforms.base import OrgCheck, Platform
from provider.platforms.http.pool import ClientPool

OFFLINE_ENV = "GENESYS_FLOWS_OFFLINE"


def offline(env: Mapping[str, str] | None = None) -> bool:
    value = (os.environ if env is None else env).get(OFFLINE_ENV, "")
    return value.strip().lower() in ("1", "true", "yes")


@dataclass(frozen=True)
class Verdict:
    """What the gate says: `error` fails the run (one message), `warning` is printed and the run goes
    on, `note` is information (names not checked, offline); `result` is the check (None: skipped);
    `cause`: why the org could not be checked at all (unreachable, refused credentials, ...), so a
    caller can tell a connection error from problems."""

    error: str | None = None
    warning: str | None = None
    note: str | None = None
    result: OrgCheck | None = None
    cause: ArchitectError | None = None


def gate(
    config: StackConfig,
    prepared: PreparedSet,
    *,
    secret: str | None = None,
    env: Mapping[str, str] | None = None,
    pool: ClientPool | None = None,
) -> Verdict:
    """Check the prepared definitions' org objects in the stack's org as `config.org_objects` says;
    `secret` is the plain client secret when the config holds it as an Output (the program); `pool`
    the sessions and tokens to share (default: the platform's own)."""
    if config.org_objects == "off":
        return Verdict()
    if offline(env):
        return Verdict(note=f"{OFFLINE_ENV} is set: the org of stack {config.stack} was not checked")
    if secret is not None:
        config = config.model_copy(update={"client_secret": secret})

    def connect() -> Platform:
        return platforms.get_platform(config, pool=pool)

    try:
        result = platforms.kind(config.platform).check_org_objects(connect, prepared, org=config.stack)
    except ArchitectError as exc:
        return Verdict(error=unreachable(config, exc), cause=exc)
    note = _unchecked(config, result)
    if not result.problems:
        return Verdict(note=note, result=result)
    message = render_problems(
        result.problems,
        f"{len(result.problems)} org object(s) the flows name are missing or ambiguous in the org of "
        f"stack {config.stack} ({result.calls} read-only call(s))",
    )
    if config.org_objects == "warn":
        return Verdict(warning=message + "\n(orgObjects: warn: proceeding)", note=note, result=result)
    return Verdict(error=message + "; nothing was changed", note=note, result=result)


def unreachable(config: StackConfig, exc: ArchitectError) -> str:
    return (
        f"stack {config.stack}: the org could not be checked before any change: {exc}. "
        f"Check the stack's apiUrl/region, clientId and clientSecret and the client's permissions "
        f"(or set {OFFLINE_ENV}=1 to preview without the org)"
    )


def _unchecked(config: StackConfig, result: OrgCheck) -> str | None:
    if not result.unchecked:
        return None
    lines = "\n".join(f"  - {line}" for line in result.unchecked)
    return f"not checked in the org of stack {config.stack} (names computed at run time):\n{lines}"
