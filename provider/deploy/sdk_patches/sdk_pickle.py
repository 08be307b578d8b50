"""Cleanup after the Python SDK's `serialize_provider`, which otherwise fails past ~950 flows.

Every dynamic resource serializes its provider (`pulumi.dynamic.dynamic.serialize_provider`). To
sort dictionaries, that function sets `pickle.Pickler = pickle._Pickler`, wraps
`_Pickler._batch_setitems` in a sorting function and replaces `_Pickler.save_dict`; afterwards it
restores `pickle.Pickler` only. The next call wraps the wrapper, so the k-th resource pickles
through k nested wrappers: O(N^2) work, and `RecursionError` once k passes the recursion limit
(measured: the 1,600-flow create of bench/scaling.py failed at flow 962). Still so in SDK 3.272.0,
the newest on PyPI on 2026-12-01.

`install()` wraps the SDK's function so that the two `_Pickler` attributes it replaces are put back
after each call: every call then sorts through exactly one wrapper, as intended, and the pickled
bytes are the SDK's own. Only SDK releases read to have the leak (`KNOWN_LEAKING`), and only while
the function still names `_batch_setitems`, are wrapped: a fixed SDK is left alone.
"""

from __future__ import annotations

import functools
import pickle
from typing import Any

#: SDK releases read to leave `_Pickler._batch_setitems` wrapped (pulumi/dynamic/dynamic.py).
KNOWN_LEAKING: frozenset[str] = frozenset({"3.260.0", "3.272.0"})

_PATCHED_ATTRIBUTES = ("_batch_setitems", "save_dict")


@functools.cache  # install() runs for every Flow: read the version once
def sdk_version() -> str:
    from importlib.metadata import version

    return version("pulumi")


def leaks(func: Any, version: str) -> bool:
    """Whether `func` is the SDK's serializer that leaves its pickler patches behind."""
    code = getattr(func, "__code__", None)
    return version in KNOWN_LEAKING and code is not None and "_batch_setitems" in code.co_names


def restoring(func: Any) -> Any:
    """`func`, putting `pickle._Pickler`'s patched attributes back as they were after each call."""

    @functools.wraps(func)
    def serialize_provider(provider: Any) -> Any:
        saved = {name: pickle._Pickler.__dict__.get(name) for name in _PATCHED_ATTRIBUTES}
        try:
            return func(provider)
        finally:
            for name, value in saved.items():
                if value is None:
                    if name in pickle._Pickler.__dict__:
                        delattr(pickle._Pickler, name)
                else:
                    setattr(pickle._Pickler, name, value)

    serialize_provider.__wrapped_by_genesys_flows__ = True  # type: ignore[attr-defined]
    return serialize_provider


def install(version: str | None = None) -> bool:
    """Wrap `pulumi.dynamic.dynamic.serialize_provider` (looked up when each dynamic resource is
    created) when the SDK leaks; returns whether the wrapper is active. Idempotent."""
    import pulumi.dynamic.dynamic as dynamic

    current = dynamic.serialize_provider
    if getattr(current, "__wrapped_by_genesys_flows__", False):
        return True
    if not leaks(current, version or sdk_version()):
        return False
    dynamic.serialize_provider = restoring(current)
    return True


def uninstall() -> None:
    import pulumi.dynamic.dynamic as dynamic

    current = dynamic.serialize_provider
    if getattr(current, "__wrapped_by_genesys_flows__", False):
        dynamic.serialize_provider = current.__wrapped__
