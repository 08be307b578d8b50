"""This checkout's SeaweedFS server (provider/ops/s3_server.py) when its start fails after the
process started: the process it started is stopped, its ports are free again, and the error is the
caller's. Needs the real `weed` (scripts/install-seaweedfs; `make tools` builds it)."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import pytest

from provider.ops.s3_server import S3Server, weed_binary

# `slow`: a real weed process starts (seconds), so not in `make test-fast`.
pytestmark = pytest.mark.slow


class BucketRefused(Exception):
    pass


def _listening(port: int) -> bool:
    """Something listens on 127.0.0.1:`port` (a socket in TIME_WAIT does not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
            probe.listen()
        except OSError:
            return True
    return False


def test_a_start_that_fails_after_the_process_started_stops_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not weed_binary().exists():
        pytest.fail(f"{weed_binary()} is missing: run scripts/install-seaweedfs (make tools does)")
    server = S3Server(tmp_path / "s3")
    seen: list[dict[str, Any]] = []

    def refuse(self: S3Server, timeout: float = 0.0) -> None:
        info = self._run_info()
        assert info is not None and self.proc is not None and self.proc.poll() is None  # it runs
        assert _listening(int(info["ports"]["s3"]))
        seen.append(info)
        raise BucketRefused("the bucket could not be made")

    monkeypatch.setattr(S3Server, "_ensure_bucket", refuse)
    with pytest.raises(BucketRefused, match="could not be made"):
        server.start()
    (info,) = seen
    pid = int(info["pid"])
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)  # no process of its group is left (reaped: no zombie either)
    assert [port for port in info["ports"].values() if _listening(int(port))] == []
    assert server.proc is None and not server.running() and server._run_info() is None
