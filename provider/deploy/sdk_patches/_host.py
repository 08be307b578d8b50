"""The SDK's dynamic-provider host (`python -m pulumi.dynamic`) as the patches inside it see it."""

from __future__ import annotations

import inspect
import operator
import sys
from importlib.metadata import PackageNotFoundError, version
from types import ModuleType

HOST_MODULE = "pulumi.dynamic.__main__"


class Unreadable(Exception):
    """The SDK's release or the host's source could not be read."""


def dynamic_host() -> ModuleType | None:
    """This process's `__main__` when it is the SDK's dynamic-provider host, else None."""
    host = sys.modules.get("__main__")
    return host if getattr(getattr(host, "__spec__", None), "name", "") == HOST_MODULE else None


def read(host: ModuleType, attribute: str) -> tuple[str, str]:
    """(the pulumi SDK's release, the source of `host.<attribute>`); `attribute` may be dotted."""
    try:
        return version("pulumi"), inspect.getsource(operator.attrgetter(attribute)(host))
    except (PackageNotFoundError, AttributeError, OSError, TypeError) as exc:
        raise Unreadable(f"the pulumi SDK's release or host source could not be read ({exc})") from exc
