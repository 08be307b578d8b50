"""`python -m emulator serve --host 127.0.0.1 --port 8099 --data .emulator/arch.db [--config FILE]`

Prints `Architecture API emulator listening on http://HOST:PORT`, then `ready` once it accepts
connections; `--port 0` picks a free port. SIGTERM or SIGINT stop it cleanly (exit status 0).
"""

from __future__ import annotations

import argparse
import signal
import socket
import sys
from pathlib import Path
from types import FrameType

import uvicorn

from .app import create_app
from .config import ConfigError, load_config


class _Server(uvicorn.Server):
    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            print("ready", flush=True)


def _ignore_signal(signum: int, frame: FrameType | None) -> None:
    """Installed before uvicorn runs: uvicorn re-raises the signal that stopped it once it has shut
    down gracefully; with this handler that ends in a normal exit (status 0)."""


def serve(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"emulator: {exc}", file=sys.stderr)
        return 2
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted sockets only when proto is TCP
    # (without it, keep-alive requests stall ~40 ms on Nagle + delayed ACK).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as exc:
        print(f"emulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    sock.listen(1024)
    sock.set_inheritable(True)
    port = sock.getsockname()[1]
    app, runtime = create_app(config, Path(args.data))
    host = f"[{args.host}]" if family == socket.AF_INET6 else args.host
    print(f"Architecture API emulator listening on http://{host}:{port}", flush=True)
    server = _Server(
        uvicorn.Config(
            app,
            log_level=args.log_level,
            access_log=args.access_log,
            lifespan="off",
            timeout_graceful_shutdown=5,
            server_header=False,
        )
    )
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _ignore_signal)
    try:
        server.run(sockets=[sock])
    finally:
        runtime.store.close()
        sock.close()
    if not server.started:
        print("emulator: the server failed to start", file=sys.stderr)
        return 1
    print("stopped", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m emulator", description="The local Architecture API emulator."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="serve the emulator over HTTP")
    run.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    run.add_argument("--port", type=int, default=8099, help="port (default 8099; 0 picks a free port)")
    run.add_argument("--data", default=".emulator/arch.db", help="SQLite database file (created if missing)")
    run.add_argument("--config", default=None, help="configuration file replacing the default one")
    run.add_argument(
        "--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"]
    )
    run.add_argument("--access-log", action="store_true", help="log each request (never logs credentials)")
    args = parser.parse_args(argv)
    return serve(args)


if __name__ == "__main__":
    sys.exit(main())
