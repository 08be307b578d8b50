"""This checkout's S3-compatible store for team mode: SeaweedFS (`weed server -s3`), built by
scripts/install-seaweedfs, on 127.0.0.1 free ports, with its own data folder, access keys and bucket.

    python -m provider.ops.s3_server start [--dir .s3]   start (or reuse this checkout's), print env
    python -m provider.ops.s3_server env   [--dir .s3]   the exports of the running one
    python -m provider.ops.s3_server stop  [--dir .s3]   SIGTERM, then SIGKILL after STOP_GRACE_S

    with S3Server(tmp_path / "s3") as s3:                     tests: one process per session
        env = s3.env()                                        PULUMI_BACKEND_URL and the key pair

Whose server? The folder holds the keys this server was started with (identities of its S3 config,
generated per folder), its pid and its S3 port. A server is reused only when the recorded process is
alive AND answers S3 on the recorded port with this folder's keys: another checkout's server (other
keys) or a stranger on the port is never used. One `weed server` runs master, volume, filer and the
S3 gateway in one process (the lightest of weed's S3 set-ups that keeps data on disk); every port is
chosen free, the optional listeners (Iceberg, Lance, telemetry) are off.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from provider.paths import PROJECT_DIR

BUCKET = "genesys-flows-state"
REGION = "us-east-1"
#: weed took over 15 s to stop on SIGTERM (it waits for its gRPC streams): SIGKILL after this.
STOP_GRACE_S = 5.0
START_TIMEOUT_S = 60.0
#: How long a server just started may take to accept its first write (6 s is usual: the first
#: volume is grown) before it is started afresh.
BUCKET_TIMEOUT_S = 30.0
_PORTS = ("master", "master_grpc", "volume", "volume_grpc", "filer", "filer_grpc", "s3", "s3_grpc")


def weed_binary() -> Path:
    root = os.environ.get("SEAWEEDFS_TOOLS_DIR") or str(PROJECT_DIR / ".tools" / "seaweedfs")
    return Path(root) / "bin" / "weed"


#: Ports this process handed out: a server still starting has not bound them yet, so the next
#: server started here must not be given them again.
_HANDED_OUT: set[int] = set()
#: Starts tried when a chosen port was taken before weed bound it (another process got it first).
START_ATTEMPTS = 3
#: What weed logs when a port it was given is taken (it may exit, or live on without that part).
ADDRESS_IN_USE = "address already in use"


def free_ports(n: int) -> list[int]:
    """`n` distinct ports free on 127.0.0.1 now (held together while chosen, so never equal), none
    handed out before by this process."""
    socks: list[socket.socket] = []
    ports: list[int] = []
    try:
        while len(ports) < n:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)  # kept bound until the end: the kernel offers another port next
            if s.getsockname()[1] not in _HANDED_OUT:
                ports.append(s.getsockname()[1])
        _HANDED_OUT.update(ports)
        return ports
    finally:
        for s in socks:
            s.close()


def backend_url(bucket: str, port: int) -> str:
    """Pulumi's DIY backend URL of a bucket on a loopback S3 server (path-style, plain HTTP)."""
    return f"s3://{bucket}?endpoint=127.0.0.1:{port}&disableSSL=true&s3ForcePathStyle=true&region={REGION}"


@dataclass(frozen=True)
class Keys:
    access_key: str
    secret_key: str


class S3ServerError(RuntimeError):
    pass


class S3Server:
    """One `weed server -s3` with its data, keys and bucket in `folder`."""

    def __init__(self, folder: Path, *, bucket: str = BUCKET) -> None:
        self.folder = Path(folder).resolve()
        self.bucket = bucket
        self.proc: subprocess.Popen[bytes] | None = None

    # -- files of the folder
    @property
    def _keys_file(self) -> Path:
        return self.folder / "keys.json"

    @property
    def _run_file(self) -> Path:
        return self.folder / "server.json"

    @property
    def log_file(self) -> Path:
        return self.folder / "weed.log"

    def keys(self) -> Keys:
        """This folder's key pair (made on first use, readable by the owner only)."""
        if not self._keys_file.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            keys = {"access_key": "GF" + secrets.token_hex(9).upper(), "secret_key": secrets.token_hex(20)}
            fd = os.open(self._keys_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                json.dump(keys, fh)
        data = json.loads(self._keys_file.read_text())
        return Keys(data["access_key"], data["secret_key"])

    def _run_info(self) -> dict[str, Any] | None:
        try:
            info = json.loads(self._run_file.read_text())
        except (OSError, ValueError):
            return None
        return info if isinstance(info, dict) else None

    @property
    def port(self) -> int:
        info = self._run_info()
        if not info:
            raise S3ServerError(f"no S3 server runs from {self.folder}")
        return int(info["ports"]["s3"])

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self) -> str:
        return backend_url(self.bucket, self.port)

    def env(self) -> dict[str, str]:
        """What a Pulumi run (and the journal's S3 client) needs to use this server's bucket."""
        keys = self.keys()
        return {
            "PULUMI_BACKEND_URL": self.url(),
            "AWS_ACCESS_KEY_ID": keys.access_key,
            "AWS_SECRET_ACCESS_KEY": keys.secret_key,
            "AWS_REGION": REGION,
        }

    # -- life cycle
    def client(self, port: int | None = None) -> Any:
        import boto3
        from botocore.config import Config

        keys = self.keys()
        return boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{port or self.port}",
            aws_access_key_id=keys.access_key,
            aws_secret_access_key=keys.secret_key,
            region_name=REGION,
            config=Config(
                s3={"addressing_style": "path"},
                retries={"max_attempts": 1},
                connect_timeout=2,
                read_timeout=5,
            ),
        )

    def _answers(self, port: int) -> bool:
        """Our keys are accepted on `port`: it is this folder's server."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client(port).list_buckets()
        except (BotoCoreError, ClientError):
            return False
        return True

    def running(self) -> bool:
        info = self._run_info()
        if not info:
            return False
        try:
            os.kill(int(info["pid"]), 0)
        except (ProcessLookupError, ValueError, TypeError):
            return False
        except PermissionError:
            return False
        return self._answers(int(info["ports"]["s3"]))

    def start(self) -> S3Server:
        """Start this folder's server (or reuse it when it runs), and make sure the bucket exists."""
        if self.running():
            self._ensure_bucket()
            return self
        weed = weed_binary()
        if not weed.exists():
            raise S3ServerError(f"{weed} does not exist: run scripts/install-seaweedfs (or `make tools`)")
        data = self.folder / "data"
        data.mkdir(parents=True, exist_ok=True)
        config = self._write_config()
        try:
            self._launch(weed, data, config)
        except BaseException:
            # A server this call started is not left running (nor its ports bound); before any spawn
            # there is none to stop (`stop` without a process would go by the run file's pid).
            if self.proc is not None:
                self.stop()
            raise
        return self

    def _launch(self, weed: Path, data: Path, config: Path) -> None:
        """Spawn weed on free ports until it answers S3 with our keys and its bucket takes a write.
        Weed's S3 gateway may answer before a component that failed to bind its port (the volume
        server's) has made the process exit: only a write proves the whole server is up."""
        for attempt in range(1, START_ATTEMPTS + 1):
            ports = dict(zip(_PORTS, free_ports(len(_PORTS)), strict=True))
            why = ""
            if self._spawn(self._args(weed, data, config, ports), ports):
                try:
                    if self._ensure_bucket(timeout=BUCKET_TIMEOUT_S):
                        return
                except S3ServerError as exc:
                    # It answers but takes no write (seen: a volume server that never joined its
                    # master): a fresh server, a bounded number of times.
                    why = f": {exc}"
            tail = self.log_file.read_text(errors="replace")[-2000:]
            self.stop()
            # A port chosen free was taken before weed bound it (another process, in the moment
            # between): new ports, a bounded number of times. Any other failure is reported at once.
            if not (why or ADDRESS_IN_USE in tail) or attempt == START_ATTEMPTS:
                raise S3ServerError(f"SeaweedFS did not start{why} (log {self.log_file}):\n{tail}")

    @staticmethod
    def _args(weed: Path, data: Path, config: Path, ports: dict[str, int]) -> list[str]:
        """`weed server`: master, volume, filer and S3 in one process, every port given."""
        return [
            str(weed),
            "server",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-dir={data}",
            "-master.telemetry=false",
            "-master.volumeSizeLimitMB=64",
            "-volume.max=0",  # as many as the disk holds (64 MB each, not preallocated)
            f"-master.port={ports['master']}",
            f"-master.port.grpc={ports['master_grpc']}",
            f"-volume.port={ports['volume']}",
            f"-volume.port.grpc={ports['volume_grpc']}",
            "-filer",
            f"-filer.port={ports['filer']}",
            f"-filer.port.grpc={ports['filer_grpc']}",
            f"-filer.localSocket={data / 'filer.sock'}",
            "-s3",
            f"-s3.port={ports['s3']}",
            f"-s3.port.grpc={ports['s3_grpc']}",
            "-s3.port.iceberg=0",
            "-s3.autoCreateBucket=false",  # as AWS S3: a missing bucket is an error, not created
            "-s3.port.lance=0",
            f"-s3.localSocket={data / 's3.sock'}",
            f"-s3.config={config}",
        ]

    def _spawn(self, args: list[str], ports: dict[str, int]) -> bool:
        """Start weed and wait until it answers S3 with our keys; False when it exits or times out."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        with open(self.log_file, "wb") as log:
            self.proc = subprocess.Popen(
                args,
                cwd=self.folder,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._run_file.write_text(json.dumps({"pid": self.proc.pid, "ports": ports}))
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._answers(ports["s3"]):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(0.2)
        return True

    def _write_config(self) -> Path:
        """The identity file (this checkout's keys, owner-only) and master.toml, in the folder."""
        keys = self.keys()
        config = self.folder / "s3.json"
        identity = {
            "name": "genesys-flows",
            "credentials": [{"accessKey": keys.access_key, "secretKey": keys.secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump({"identities": [identity]}, fh)
        # weed reads master.toml from its working directory: one new volume per growth instead of
        # 7 (each bucket is a collection with volumes of its own; a per-test bucket stays cheap).
        (self.folder / "master.toml").write_text("[master.volume_growth]\ncopy_1 = 1\n")
        return config

    def _port_taken(self) -> bool:
        return ADDRESS_IN_USE in self.log_file.read_text(errors="replace")

    def _ensure_bucket(self, timeout: float = START_TIMEOUT_S) -> bool:
        """The bucket exists (created if missing) and takes a write. False when the server this
        object started exited meanwhile, or lost a port to another process (weed's volume server then
        logs it and stays down while the process lives on); `S3ServerError` when it still refuses or
        times out after `timeout` seconds."""
        from botocore.exceptions import BotoCoreError, ClientError

        client = self.client()
        deadline = time.monotonic() + timeout
        while True:  # the filer may answer before the master has a writable volume
            if self.proc is not None and (self.proc.poll() is not None or self._port_taken()):
                return False
            try:
                client.head_bucket(Bucket=self.bucket)
                client.put_object(Bucket=self.bucket, Key=".genesys-flows/ready", Body=b"ok")
                return True
            except ClientError as exc:
                code = str(exc.response.get("Error", {}).get("Code"))
                if code in ("404", "NoSuchBucket", "NotFound"):
                    try:
                        client.create_bucket(Bucket=self.bucket)
                    except ClientError as exc2:
                        if "BucketAlready" not in str(exc2):
                            raise
                    continue
                error: Exception = exc
            except BotoCoreError as exc:  # a read timeout: a component not up yet, or gone
                error = exc
            if time.monotonic() > deadline:
                raise S3ServerError(f"the bucket {self.bucket} is not writable: {error}") from None
            time.sleep(0.3)

    def stop(self) -> None:
        """SIGTERM the server's process group, SIGKILL it after STOP_GRACE_S."""
        info = self._run_info()
        pid = self.proc.pid if self.proc is not None else (int(info["pid"]) if info else None)
        if pid is None:
            return
        if self.proc is not None or _is_weed(pid):  # a recorded pid may have been reused since
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGTERM)
                deadline = time.monotonic() + STOP_GRACE_S
                while time.monotonic() < deadline and _alive(pid, self.proc):
                    time.sleep(0.1)
                if _alive(pid, self.proc):
                    os.killpg(pid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait()
            self.proc = None
        self._run_file.unlink(missing_ok=True)

    def __enter__(self) -> S3Server:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _is_weed(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].endswith(b"weed")
    except OSError:
        return False


def _alive(pid: int, proc: subprocess.Popen[bytes] | None) -> bool:
    if proc is not None:
        return proc.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie of a parent that is not us still counts as alive to kill(0); /proc says otherwise.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _exports(env: dict[str, str]) -> str:
    return "".join(f"export {k}='{v}'\n" for k, v in env.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m provider.ops.s3_server")
    parser.add_argument("command", choices=["start", "stop", "env"])
    parser.add_argument("--dir", default=str(PROJECT_DIR / ".s3"), help="this checkout's server folder")
    args = parser.parse_args(argv)
    server = S3Server(Path(args.dir))
    try:
        if args.command == "start":
            server.start()
            print(f"[s3] SeaweedFS S3 on {server.endpoint}, bucket {server.bucket}", file=sys.stderr)
            sys.stdout.write(_exports(server.env()))
        elif args.command == "env":
            if not server.running():
                raise S3ServerError(f"no S3 server of this checkout runs (folder {server.folder})")
            sys.stdout.write(_exports(server.env()))
        else:
            server.stop()
    except S3ServerError as exc:
        print(f"[s3] error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
