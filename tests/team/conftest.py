"""Team mode's fixtures: ONE real SeaweedFS process per test session (scripts/install-seaweedfs
builds it; `make tools` runs that), and a fresh bucket per test on it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from provider.ops.s3_server import S3Server, backend_url, weed_binary


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    if not weed_binary().exists():
        pytest.fail(f"{weed_binary()} is missing: run scripts/install-seaweedfs (make tools does)")
    with S3Server(Path(tmp_path_factory.mktemp("s3"))) as server:
        yield server


@dataclass
class Bucket:
    server: S3Server
    name: str

    @property
    def url(self) -> str:
        return backend_url(self.name, self.server.port)

    def env(self) -> dict[str, str]:
        env = self.server.env()
        env["PULUMI_BACKEND_URL"] = self.url
        return env

    def objects(self, prefix: str = "") -> dict[str, bytes]:
        client = self.server.client()
        out = {}
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=prefix):
            for obj in page.get("Contents") or []:
                out[obj["Key"]] = client.get_object(Bucket=self.name, Key=obj["Key"])["Body"].read()
        return out


@pytest.fixture
def bucket(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> Bucket:
    """A new bucket on the session's server; the environment points an s3:// backend at it."""
    name = f"t-{uuid.uuid4().hex[:12]}"
    s3_server.client().create_bucket(Bucket=name)
    b = Bucket(s3_server, name)
    for key, value in b.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("GENESYS_FLOWS_AUDIT_LOG", raising=False)
    monkeypatch.delenv("CI", raising=False)  # the tests that need it set it
    return b
