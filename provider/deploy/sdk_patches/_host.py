"""The SDK's dynamic-provider host (`python -m pulumi.dynamic`) as the patches inside it see it."""

from __future__ import annotations

import inspect
import operator
import sys
from importlib.metadata import PackageNotFoundError, version
from types import ModuleType

HOST_MODULE = "pulumi.dynamic.__main__"


class Unreadable(Exception):
    """The SDK's release or the host's source could not be read, or is not a release read."""


def dynamic_host() -> ModuleType | None:
    """This process's `__main__` when it is the SDK's dynamic-provider host, else None."""
    host = sys.modules.get("__main__")
    return host if getattr(getattr(host, "__spec__", None), "name", "") == HOST_MODULE else None


def read(host: ModuleType, attribute: str, releases: tuple[str, ...]) -> tuple[str, str]:
    """(the pulumi SDK's release, one of `releases`, and the source of `host.<attribute>`, which may
    be dotted); `Unreadable` for another release, or when either cannot be read."""
    try:
        sdk_version = version("pulumi")
        source = inspect.getsource(operator.attrgetter(attribute)(host))
    except (PackageNotFoundError, AttributeError, OSError, TypeError) as exc:
        raise Unreadable(f"the pulumi SDK's release or host source could not be read ({exc})") from exc
    if sdk_version not in releases:
        raise Unreadable(f"pulumi SDK {sdk_version} is not a release read for this patch {releases}")
    return sdk_version, source
