"""Checks before a team deploy or preview touches anything: one clear sentence per problem, before
any API write and before the engine starts.

    python -m provider.ops.preflight STACK      exit 0, or 2 with `error: …` lines on stderr

- in CI (`CI` set), the state's passphrase must come from the CI's secret store
  (PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE): the demo passphrase the local entry
  points default to would encrypt a team's secrets with a published value;
- with an `s3://` backend: the endpoint answers, the keys are accepted, the bucket exists;
- the stack is not locked by a run whose process is gone or on another machine (named, with the way
  out: `archctl unlock --stack S`). A lock of a live process on this host is reported as such.

Run it with the caller's environment (before the engine settings add their defaults).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from provider.governance.s3_trail import StoreError, check
from provider.governance.trail import remote_backend
from provider.ops.locks import stack_locks


def problems(stack: str, env: Mapping[str, str] | None = None) -> list[str]:
    env = os.environ if env is None else env
    found: list[str] = []
    if env.get("CI") and not (
        env.get("PULUMI_CONFIG_PASSPHRASE") or env.get("PULUMI_CONFIG_PASSPHRASE_FILE")
    ):
        found.append(
            "PULUMI_CONFIG_PASSPHRASE is not set: in CI the state's passphrase must come from the CI's "
            "secret store (the local demo passphrase is never used there)"
        )
    url = remote_backend(env)
    if url is None:
        return found
    try:
        check(url, env)
    except StoreError as exc:
        found.append(str(exc.strerror))
        return found
    except ValueError as exc:
        found.append(f"PULUMI_BACKEND_URL: {exc}")
        return found
    try:
        held = stack_locks(url, stack, env=env)
    except StoreError as exc:
        found.append(str(exc.strerror))
        return found
    for lock in held:
        if lock.alive_here():
            found.append(f"stack {stack} is being deployed by {lock.describe()}: wait for it to finish")
        else:
            found.append(
                f"stack {stack} is locked by {lock.describe()}; if that run is dead (a killed runner), "
                f"remove the lock with `archctl unlock --stack {stack}`"
            )
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m provider.ops.preflight STACK", file=sys.stderr)
        return 2
    found = problems(argv[0])
    for problem in found:
        print(f"error: {problem}", file=sys.stderr)
    return 2 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
