"""The audit trail (and so the intent journal) in the bucket of an `s3://` Pulumi backend.

Every entry is one object, `<prefix>.genesys-flows/<project>/<stack>/trail/<time>-<host>-<pid>-<n>-<r>.json`,
written with one PUT that has returned before the caller goes on (S3's PUT is durable once answered):
an intent is stored before the API write it announces. Objects are never rewritten (each key is new)
nor deleted by this code. Keys start with the UTC time, so a listing (lexicographic) is the trail in
order across runners; entries already read are kept in memory (they never change), so reading the
journal again costs one listing plus the new objects.

The URL is Pulumi's (gocloud.dev's): `s3://bucket[/prefix]?endpoint=host:port&disableSSL=true&
s3ForcePathStyle=true&region=R&profile=P`; credentials come from boto3's usual chain (AWS_ACCESS_KEY_ID
and AWS_SECRET_ACCESS_KEY, a profile, an instance role), as for Pulumi itself.
"""

from __future__ import annotations

import errno
import json
import os
import re
import socket
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

from provider.governance.audit import ENTRY_FIELDS, matches, mutation_entry
from provider.platforms.http.recorder import MutationEvent

ROOT = ".genesys-flows"
PROJECT = "genesys-flows"


class StoreError(OSError):
    """The bucket could not be used; the message says why (unreachable, keys, missing bucket)."""


@dataclass(frozen=True)
class Location:
    """Where an `s3://` backend URL points: the bucket, a key prefix, and how to reach it."""

    bucket: str
    prefix: str
    endpoint_url: str | None
    region: str | None
    path_style: bool
    profile: str | None

    @classmethod
    def parse(cls, url: str) -> Location:
        parsed = urlparse(url)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise ValueError(f"not an s3:// backend URL: {url.split('?', 1)[0]}")
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        endpoint = query.get("endpoint")
        if endpoint and "://" not in endpoint:
            insecure = query.get("disableSSL", "").lower() in ("true", "1")
            endpoint = f"{'http' if insecure else 'https'}://{endpoint}"
        prefix = parsed.path.strip("/")
        return cls(
            bucket=parsed.netloc,
            prefix=f"{prefix}/" if prefix else "",
            endpoint_url=endpoint,
            region=query.get("region")
            or os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION"),
            path_style=query.get("s3ForcePathStyle", "").lower() in ("true", "1"),
            profile=query.get("profile"),
        )

    @property
    def where(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" + (f" at {self.endpoint_url}" if self.endpoint_url else "")

    def stack_prefix(self, stack: str, project: str = PROJECT) -> str:
        return f"{self.prefix}{ROOT}/{project}/{stack}/trail/"

    def project_prefix(self, project: str = PROJECT) -> str:
        return f"{self.prefix}{ROOT}/{project}/"

    def client(self, env: Mapping[str, str] | None = None) -> Any:
        """A client with boto3's usual credentials, or those of `env` (a runner's environment)."""
        import boto3
        from botocore.config import Config

        session = (
            boto3.session.Session(profile_name=self.profile) if self.profile else boto3.session.Session()
        )
        keys: Mapping[str, str] = env if env and env.get("AWS_ACCESS_KEY_ID") else {}
        return session.client(
            "s3",
            aws_access_key_id=keys.get("AWS_ACCESS_KEY_ID"),  # None: boto3's own chain
            aws_secret_access_key=keys.get("AWS_SECRET_ACCESS_KEY"),
            aws_session_token=keys.get("AWS_SESSION_TOKEN"),
            endpoint_url=self.endpoint_url,
            region_name=self.region or "us-east-1",
            config=Config(
                s3={"addressing_style": "path" if self.path_style else "auto"},
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5,
                read_timeout=20,
            ),
        )


def explain(exc: BaseException, location: Location) -> str:
    """One sentence for what went wrong with the bucket (never a key or a secret)."""
    from botocore.exceptions import (
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        PartialCredentialsError,
    )

    if isinstance(exc, EndpointConnectionError):
        return f"the S3 endpoint of {location.where} is unreachable ({exc.kwargs.get('endpoint_url', '')})"
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return (
            f"no S3 credentials for {location.where}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
            "(or a profile) from the CI's secret store"
        )
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        if code in ("NoSuchBucket", "404", "NotFound"):
            return f"the bucket {location.bucket} does not exist ({location.where}): create it first"
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "403", "AccessDenied", "Forbidden"):
            return (
                f"the S3 keys are refused by {location.where} ({code}): check AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY"
            )
        return (
            f"the bucket {location.where} answered {code or 'an error'}: {error.get('Message', '')}".rstrip()
        )
    return f"the bucket {location.where} could not be used: {type(exc).__name__}: {exc}"


def check(url: str, env: Mapping[str, str] | None = None) -> None:
    """Before any write: the bucket answers, the keys are accepted, the bucket exists.
    `StoreError` with one clear sentence otherwise."""
    from botocore.exceptions import BotoCoreError, ClientError

    location = Location.parse(url)
    try:
        # A listing, not only HEAD: it checks the keys too (an S3 server may answer HEAD anonymously).
        location.client(env).list_objects_v2(
            Bucket=location.bucket, Prefix=location.project_prefix(), MaxKeys=1
        )
    except (BotoCoreError, ClientError) as exc:
        raise StoreError(errno.EIO, explain(exc, location)) from None


_HOST = re.sub(r"[^A-Za-z0-9.-]", "_", socket.gethostname())[:40] or "host"


class S3Trail:
    """One stack's trail in the bucket (thread-safe; implements `trail.Trail`)."""

    _seq = 0
    _seq_lock = threading.Lock()

    def __init__(self, url: str, stack: str, project: str = PROJECT) -> None:
        self.stack = stack
        self._where = Location.parse(url)
        self._prefix = self._where.stack_prefix(stack, project)
        self._client: Any = None
        self._client_lock = threading.Lock()
        self._cache: dict[str, dict[str, Any]] = {}
        self._cache_lock = threading.Lock()

    @property
    def location(self) -> str:
        return f"s3://{self._where.bucket}/{self._prefix}"

    def _s3(self) -> Any:
        with self._client_lock:
            if self._client is None:
                self._client = self._where.client()
            return self._client

    def _key(self) -> str:
        with S3Trail._seq_lock:
            S3Trail._seq += 1
            n = S3Trail._seq
        now = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        return f"{self._prefix}{now}-{_HOST}-{os.getpid()}-{n:08d}-{uuid.uuid4().hex[:8]}.json"

    def _put(self, entry: dict[str, Any]) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        ordered = {name: entry.get(name) for name in ENTRY_FIELDS}
        ordered.update({k: v for k, v in entry.items() if k not in ordered})
        ordered["host"] = _HOST
        body = json.dumps(ordered, separators=(",", ":"), default=str).encode()
        key = self._key()
        try:
            self._s3().put_object(
                Bucket=self._where.bucket, Key=key, Body=body, ContentType="application/json"
            )
        except (BotoCoreError, ClientError) as exc:
            raise StoreError(errno.EIO, explain(exc, self._where)) from None
        with self._cache_lock:
            self._cache[key] = ordered
        return ordered

    def record(
        self, event: MutationEvent, *, flow_key: str | None = None, client_id: str | None = None
    ) -> dict[str, Any]:
        return self._put(mutation_entry(event, self.stack, flow_key=flow_key, client_id=client_id))

    def append(self, entry: dict[str, Any]) -> dict[str, Any]:
        from provider.governance.audit import utc_timestamp

        return self._put({"timestamp": utc_timestamp(), "stack": self.stack, "pid": os.getpid(), **entry})

    def entries(self) -> list[dict[str, Any]]:
        """This stack's entries in the bucket, oldest first (`StoreError` when it cannot be read)."""
        return read_prefix(self._s3(), self._where, self._prefix, self._cache, self._cache_lock)

    def close(self) -> None:
        pass


def read_prefix(
    client: Any,
    location: Location,
    prefix: str,
    cache: dict[str, dict[str, Any]] | None = None,
    lock: threading.Lock | None = None,
) -> list[dict[str, Any]]:
    """The entries under `prefix`, in key order (objects that are not JSON objects are skipped)."""
    from botocore.exceptions import BotoCoreError, ClientError

    cache = {} if cache is None else cache
    lock = lock or threading.Lock()
    keys: list[str] = []
    try:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=location.bucket, Prefix=prefix):
            keys += [str(o["Key"]) for o in page.get("Contents") or [] if str(o["Key"]).endswith(".json")]
        out: list[dict[str, Any]] = []
        for key in sorted(keys):
            with lock:
                entry = cache.get(key)
            if entry is None:
                body = client.get_object(Bucket=location.bucket, Key=key)["Body"].read(1 << 20)
                try:
                    parsed = json.loads(body)
                except ValueError:
                    continue
                if not isinstance(parsed, dict):
                    continue
                entry = parsed
                with lock:
                    cache[key] = entry
            out.append(entry)
    except (BotoCoreError, ClientError) as exc:
        raise StoreError(errno.EIO, explain(exc, location)) from None
    return out


def read_all(
    url: str, *, stack: str | None = None, since: datetime | None = None, flow: str | None = None
) -> list[dict[str, Any]]:
    """`archctl audit` on an s3:// backend: the entries of one stack (or of every stack), filtered."""
    location = Location.parse(url)
    prefix = location.stack_prefix(stack) if stack else location.project_prefix()
    entries = read_prefix(location.client(), location, prefix)
    if not stack:  # several stacks: one time line
        entries.sort(key=lambda e: str(e.get("timestamp", "")))
    return [entry for entry in entries if matches(entry, since=since, flow=flow)]
