"""provider/deploy/sdk_patches/sdk_pickle.py: the SDK's provider serializer, called once per dynamic resource,
no longer nests a pickler wrapper per call (RecursionError past ~950 resources)."""

from __future__ import annotations

import pickle
import sys
from collections.abc import Iterator

import pulumi.dynamic.dynamic as dynamic
import pytest

from provider.deploy.resource import FlowProvider
from provider.deploy.sdk_patches import sdk_pickle

CALLS = sys.getrecursionlimit() + 200  # more resources than the recursion limit allows nested


@pytest.fixture
def pristine() -> Iterator[dict[str, object]]:
    """The `_Pickler` attributes the SDK patches, restored after the test whatever it did."""
    saved = {n: pickle._Pickler.__dict__.get(n) for n in ("_batch_setitems", "save_dict")}  # type: ignore[attr-defined]
    sdk_pickle.uninstall()
    yield saved
    sdk_pickle.uninstall()
    for name, value in saved.items():
        setattr(pickle._Pickler, name, value)  # type: ignore[attr-defined]


def test_the_sdk_serializer_alone_nests_a_wrapper_per_call(pristine: dict[str, object]) -> None:
    if not sdk_pickle.leaks(dynamic.serialize_provider, sdk_pickle.sdk_version()):
        pytest.skip("this SDK release does not leak its pickler patches")  # a fixed SDK: nothing to show
    with pytest.raises(RecursionError):
        for _ in range(CALLS):
            dynamic.serialize_provider(FlowProvider("dev"))


def test_installed_every_call_leaves_the_pickler_as_it_was_and_pickles_the_same(
    pristine: dict[str, object],
) -> None:
    expected = dynamic.serialize_provider(FlowProvider("dev"))  # the SDK's own bytes (one wrapper)
    for name, value in pristine.items():
        setattr(pickle._Pickler, name, value)  # type: ignore[attr-defined]
    assert sdk_pickle.sdk_version() in sdk_pickle.KNOWN_LEAKING  # the pinned SDK has the leak
    assert sdk_pickle.install() and sdk_pickle.install()  # installed, then idempotent
    assert not hasattr(dynamic.serialize_provider.__wrapped__, "__wrapped__")  # wrapped once
    for _ in range(CALLS):
        assert dynamic.serialize_provider(FlowProvider("dev")) == expected
    for name, value in pristine.items():
        assert pickle._Pickler.__dict__.get(name) is value  # type: ignore[attr-defined]


def test_a_fixed_sdk_is_left_alone() -> None:
    def fixed(provider: object) -> str:  # no `_batch_setitems`: nothing leaks
        return pickle.dumps(provider).hex()

    assert not sdk_pickle.leaks(fixed, "3.260.0")
    assert not sdk_pickle.leaks(dynamic.serialize_provider, "3.999.0")  # an unread release
