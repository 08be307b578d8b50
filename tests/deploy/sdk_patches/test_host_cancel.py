"""sdk_patches.host_cancel: the engine's Cancel runs the provider's last words before the SDK's answer
(through a real gRPC server and stub, with the SDK's generated registration); the watchdog runs them
before it ends a provider whose engine is gone (a real re-parented process)."""

from __future__ import annotations

import importlib.machinery
import logging
import os
import select
import subprocess
import sys
import time
import types
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2_grpc

from provider.deploy.sdk_patches import host_cancel
from provider.paths import PROJECT_DIR


class DynamicResourceProviderServicer(provider_pb2_grpc.ResourceProviderServicer):
    """The SDK host's servicer as far as Cancel goes (pulumi/dynamic/__main__.py, 3.260.0)."""

    def Cancel(self, request, context):
        return empty_pb2.Empty()


class BusyServicer(provider_pb2_grpc.ResourceProviderServicer):
    """A host whose Cancel does something of its own: the patch must leave it alone."""

    def Cancel(self, request, context):
        self.cancelled = True
        return empty_pb2.Empty()


@pytest.fixture
def host(monkeypatch: pytest.MonkeyPatch):
    """A `__main__` that reads as the SDK's dynamic-provider host, and fresh patch state."""
    module = types.ModuleType("__main__")
    module.__spec__ = importlib.machinery.ModuleSpec("pulumi.dynamic.__main__", None)
    module.DynamicResourceProviderServicer = DynamicResourceProviderServicer  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "__main__", module)
    monkeypatch.setattr(host_cancel, "_installed", False)
    monkeypatch.setattr(host_cancel, "_warned", False)
    monkeypatch.setattr(host_cancel, "_hooks", [])
    return module


def _serve(servicer):
    server = grpc.server(ThreadPoolExecutor(max_workers=2))
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, grpc.insecure_channel(f"127.0.0.1:{port}")


def test_the_engines_cancel_runs_every_hook_once_then_answers_as_the_sdk(host) -> None:
    said: list[str] = []

    def failing() -> None:
        said.append("failing")
        raise OSError("disk full")

    host_cancel.on_cancel(lambda: said.append("metrics"))
    host_cancel.on_cancel(failing)
    server, channel = _serve(DynamicResourceProviderServicer())
    try:
        assert said == []
        assert host_cancel.install() is True
        assert host_cancel.install() is False  # once per process
        answer = provider_pb2_grpc.ResourceProviderStub(channel).Cancel(empty_pb2.Empty(), timeout=10)
        assert isinstance(answer, empty_pb2.Empty)
        assert said == ["metrics", "failing"]  # a failing hook neither stops the others nor the answer
    finally:
        channel.close()
        server.stop(None)


def test_a_host_whose_cancel_does_more_is_left_alone_and_the_miss_is_logged_once(
    host, caplog: pytest.LogCaptureFixture
) -> None:
    host.DynamicResourceProviderServicer = BusyServicer
    said: list[str] = []
    host_cancel.on_cancel(lambda: said.append("metrics"))
    servicer = BusyServicer()
    server, channel = _serve(servicer)
    try:
        with caplog.at_level(logging.WARNING, logger=host_cancel.__name__):
            assert host_cancel.install() is False
        (record,) = caplog.records
        assert "does more than" in record.getMessage() and "complete only at exit" in record.getMessage()
        provider_pb2_grpc.ResourceProviderStub(channel).Cancel(empty_pb2.Empty(), timeout=10)
        assert servicer.cancelled and said == []
    finally:
        channel.close()
        server.stop(None)


def test_a_registration_grpc_would_serve_before_the_table_is_a_miss(
    host, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Newer grpc code generators also call `add_registered_method_handlers`, served first."""
    real = host_cancel._registration()
    assert host_cancel.REGISTERED_METHODS not in real  # the SDK pinned in requirements.txt
    monkeypatch.setattr(
        host_cancel, "_registration", lambda: real + "    server.add_registered_method_handlers(...)"
    )
    with caplog.at_level(logging.WARNING, logger=host_cancel.__name__):
        assert host_cancel.install() is False
    (record,) = caplog.records
    assert host_cancel.REGISTERED_METHODS in record.getMessage()


def test_outside_the_host_nothing_is_installed() -> None:
    assert host_cancel.install() is False  # this process's __main__ is pytest, not the host


CHILD = """
import os, sys, time
from provider.deploy.sdk_patches import host_cancel, watchdog
marker = sys.argv[1]
def last_words():
    with open(marker, "w") as fh:
        fh.write("last words of %d" % os.getpid())
host_cancel.on_cancel(last_words)
watchdog.start(force=True)
print(os.getpid(), flush=True)
time.sleep(60)
"""


def _gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2] == "Z"  # re-parented: a zombie until its new parent reaps it


def test_the_watchdog_says_the_last_words_before_it_ends_an_orphaned_provider(tmp_path: Path) -> None:
    """python under a shell under us, as the engine starts the provider; the shell is killed, as
    when the engine dies: the provider writes its marker and exits within the watchdog's poll."""
    marker = tmp_path / "marker"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_DIR)}
    shell = subprocess.Popen(
        ["sh", "-c", '"$0" -c "$1" "$2"; :', sys.executable, CHILD, str(marker)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    pid = 0
    try:
        ready, _, _ = select.select([shell.stdout], [], [], 60)  # the child's pid, or a bounded wait
        assert ready, "the provider stand-in did not start"
        pid = int(shell.stdout.readline())  # type: ignore[union-attr]
        assert not marker.exists()
        shell.kill()
        shell.wait(10)
        deadline = time.monotonic() + 20
        while not _gone(pid) and time.monotonic() < deadline:
            time.sleep(0.05)  # polling for the exit, bounded: the orphan is not our child to wait for
        assert _gone(pid)
        assert marker.read_text() == f"last words of {pid}"
    finally:
        if shell.poll() is None:
            shell.kill()
        if pid and not _gone(pid):
            os.kill(pid, 9)
        shell.stdout.close()  # type: ignore[union-attr]
