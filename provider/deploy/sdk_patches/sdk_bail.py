"""The program's expected failures shown once, as the one message they are.

Behaviour patched (Pulumi Python SDK 3.x, seen in 3.260.0): the SDK's program runner
(`sdk/python/cmd/pulumi-language-python-exec`) logs a `pulumi.RunError` and exits with status 1; the
language host then reports "Program exited with non-zero exit code: 1" and the engine adds "an
unhandled error occurred" (and counts the stack itself as errored) after our message. The runner's
own convention for "an error message was already shown to the user" is exit status 32
(`PYTHON_PROCESS_EXITED_AFTER_SHOWING_USER_ACTIONABLE_MESSAGE_CODE`): the host then bails quietly.

`fail(message)` logs the message as the program's one error and exits with 32 (`SystemExit` passes
through `run_pulumi_func`, which re-raises it after waiting for the outstanding RPCs, so the log
reaches the engine first). On an SDK release outside the range checked here, or outside a Pulumi run,
it raises `pulumi.RunError` as before. `GENESYS_FLOWS_DEBUG=1` keeps the RunError path.
"""

from __future__ import annotations

from typing import NoReturn

import pulumi

from provider.deploy.sdk_patches import host_errors

#: The runner's "message already shown" exit status.
EXIT_SHOWN = 32
#: SDK releases whose runner was read and seen to honour it: 3.260 (the pinned release) only; on
#: any other, the plain RunError (read the runner again before widening the range).
KNOWN = ((3, 260), (3, 261))


def _sdk_version() -> tuple[int, int]:
    from importlib.metadata import PackageNotFoundError, version

    try:
        parts = version("pulumi").split(".")
        return int(parts[0]), int(parts[1])
    except (PackageNotFoundError, ValueError, IndexError):
        return (0, 0)


def applies() -> bool:
    """Whether `fail` exits quietly: a known SDK release, inside a Pulumi run, not debugging."""
    from pulumi.runtime import settings

    if host_errors.debug() or not (KNOWN[0] <= _sdk_version() < KNOWN[1]):
        return False
    return settings.get_monitor() is not None


def fail(message: str) -> NoReturn:
    """End the program with `message` as its only error (see the module docstring)."""
    if applies():
        pulumi.log.error(message)
        raise SystemExit(EXIT_SHOWN)
    raise pulumi.RunError(message)
