"""A server on 127.0.0.1 that accepts connections and never answers (optionally: answers the token
request and hangs on everything else). Bounded: each held connection is released when the server
stops, or after `hold_seconds` at most."""

from __future__ import annotations

import json
import socket
import socketserver
import threading
from types import TracebackType


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        server = self.server
        with server.lock:
            server.connections += 1
        sock: socket.socket = self.request
        sock.settimeout(server.hold_seconds)
        head = b""
        try:
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = sock.recv(4096)
                if not chunk:
                    return
                head += chunk
        except OSError:
            return
        first_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        if server.answer_token and " /oauth/token" in first_line:
            body = json.dumps({"access_token": "t", "token_type": "bearer", "expires_in": 3600}).encode()
            sock.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            return
        server.stopped.wait(server.hold_seconds)  # never answer


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, *, answer_token: bool, hold_seconds: float) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answer_token = answer_token
        self.hold_seconds = hold_seconds
        self.stopped = threading.Event()
        self.lock = threading.Lock()
        self.connections = 0


class HungServer:
    """`with HungServer() as url: ...`; `connections` counts the accepted connections."""

    def __init__(self, *, answer_token: bool = False, hold_seconds: float = 60.0) -> None:
        self._server = _Server(answer_token=answer_token, hold_seconds=hold_seconds)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def connections(self) -> int:
        return self._server.connections

    def __enter__(self) -> HungServer:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.stopped.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)
