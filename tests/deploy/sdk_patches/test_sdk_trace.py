"""provider.deploy.sdk_patches.sdk_trace: each registration's stack trace keeps its first frame only (the
source position the engine derives from it stays), idempotently, unless GENESYS_FLOWS_FULL_TRACES is set."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pulumi.runtime.resource as resource
import pytest

from provider.deploy.sdk_patches import sdk_trace


class _Base:  # like Resource → CustomResource → Flow: the SDK skips three __init__ frames
    def __init__(self) -> None:
        self.trace = resource._get_stack_trace()


class _Custom(_Base):
    def __init__(self) -> None:
        super().__init__()


class _Flow(_Custom):
    def __init__(self) -> None:
        super().__init__()


def _trace() -> Any:
    return _Flow().trace


@pytest.fixture(autouse=True)
def _restore(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(sdk_trace.ENV_SWITCH, raising=False)
    yield
    sdk_trace.uninstall()


def test_only_the_first_frame_is_kept() -> None:
    full = _trace()
    assert len(full.frames) > 1
    assert sdk_trace.install()
    short = _trace()
    assert len(short.frames) == 1
    assert short.frames[0].pc.uri == full.frames[0].pc.uri
    assert resource._get_source_position(short) is not None


def test_install_is_idempotent_and_uninstall_restores() -> None:
    original = resource._get_stack_trace
    assert sdk_trace.install() and sdk_trace.install()
    assert len(_trace().frames) == 1
    sdk_trace.uninstall()
    assert resource._get_stack_trace is original
    assert len(_trace().frames) > 1


def test_the_switch_keeps_the_whole_trace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sdk_trace.ENV_SWITCH, "1")
    assert not sdk_trace.install()
    assert len(_trace().frames) > 1
