"""Cross-cutting rules: correlation ids, rate-limit headers and 429, bad input of every kind
(never a 500, never a partial write, never FastAPI's own 422)."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator

import requests

from emulator.testing import EmulatorProcess

from ._api import FLOWS, Api, assert_error


def _total(api: Api) -> int:
    return int(api.get(FLOWS).json()["total"])


def test_correlation_id_on_every_response(emulator: EmulatorProcess) -> None:
    api = Api(emulator.url)
    flow = api.create_ok("f")
    responses = [
        requests.get(emulator.url + "/healthz", timeout=10),
        requests.get(emulator.url + "/openapi.json", timeout=10),
        requests.post(emulator.url + "/oauth/token", timeout=10),
        requests.get(emulator.url + "/no/such/path", timeout=10),
        requests.put(emulator.url + FLOWS, timeout=10),
        requests.get(emulator.url + FLOWS, timeout=10),
        api.get(FLOWS),
        api.flow(flow["id"]),
        api.get(FLOWS, params={"pageSize": 0}),
        api.post(FLOWS, data="{", headers={"Content-Type": "application/json"}),
        api.remove(flow["id"]),
        requests.get(emulator.url + "/_emulator/stats", timeout=10),
    ]
    ids = [r.headers["ININ-Correlation-Id"] for r in responses]
    assert len(set(ids)) == len(ids)
    for r in responses:
        uuid.UUID(r.headers["ININ-Correlation-Id"])
        if r.status_code >= 400 and r.request.url and "/oauth/token" not in r.request.url:
            assert r.json()["contextId"] == r.headers["ININ-Correlation-Id"]
    assert_error(responses[3], 404, "not.found")
    body = assert_error(responses[4], 405, "method.not.allowed")
    assert "PUT" in body["message"]
    assert set(responses[4].headers["Allow"].split(", ")) == {"GET", "POST"}


def test_rate_limit_headers_and_429(emulator: EmulatorProcess) -> None:
    emulator.admin.set_rate_limit(5, window_seconds=60)
    api, other = Api(emulator.url), Api(emulator.url)
    for i in range(1, 6):
        r = api.get(FLOWS)
        assert r.status_code == 200
        assert r.headers["inin-ratelimit-count"] == str(i)
        assert r.headers["inin-ratelimit-allowed"] == "5"
        assert 1 <= int(r.headers["inin-ratelimit-reset"]) <= 60
    r = api.create("over the limit")
    assert_error(r, 429, "too.many.requests.retry.after")
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert r.headers["inin-ratelimit-allowed"] == "5"
    # Per token: another token of the same client is unaffected; nothing was written.
    assert other.get(FLOWS).json()["total"] == 0
    stats = emulator.admin.stats()
    assert stats["rate_limited"] == 1
    # Not counted against the limit: the token endpoint and unauthenticated calls have no headers.
    assert "inin-ratelimit-count" not in requests.get(emulator.url + FLOWS, timeout=10).headers


def test_rate_limit_window_resets(emulator: EmulatorProcess) -> None:
    emulator.admin.set_rate_limit(2, window_seconds=1)
    api = Api(emulator.url)
    assert api.get(FLOWS).status_code == 200
    assert api.get(FLOWS).status_code == 200
    r = api.get(FLOWS)
    assert r.status_code == 429 and r.headers["Retry-After"] == "1"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and api.get(FLOWS).status_code == 429:
        time.sleep(0.05)
    r = api.get(FLOWS)
    assert r.status_code == 200 and r.headers["inin-ratelimit-count"] in ("1", "2")


def test_malformed_bodies(emulator: EmulatorProcess) -> None:
    api = Api(emulator.url)
    flow = api.create_ok("f")
    json_ct = {"Content-Type": "application/json"}
    bodies = [
        b"",
        b"   ",
        b"{",
        b"{'name': 'x'}",
        b'{"name": "x", "lifecycle_state": "draft",}',
        b"[]",
        b'"a string"',
        b"null",
        b"42",
        b'{"name": NaN, "lifecycle_state": "draft"}',
        b'{"name": "a", "name": "b", "lifecycle_state": "draft"}',
        b'{"name": "\\ud800", "lifecycle_state": "draft"}',
        b'{"name": "\xff\xfe", "lifecycle_state": "draft"}',
        b"\xef\xbb\xbf" + b'{"name": "bom", "lifecycle_state": "draft"}',
        b"[" * 100000 + b"]" * 100000,
        b'{"name": "x", "lifecycle_state": "draft", "_version": ' + b"9" * 5000 + b"}",
    ]
    for raw in bodies:
        assert_error(api.post(FLOWS, data=raw, headers=json_ct), 400, "bad.request")
        assert_error(api.patch(f"{FLOWS}/{flow['id']}", data=raw, headers=json_ct), 400, "bad.request")
    assert _total(api) == 1
    assert api.flow(flow["id"]).json()["_version"] == 1


def test_content_type(emulator: EmulatorProcess) -> None:
    api = Api(emulator.url)
    flow = api.create_ok("f")
    body = json.dumps({"name": "ct", "lifecycle_state": "draft"}).encode()
    for ct in [None, "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1",
               "application/merge-patch+json", "json"]:  # fmt: skip
        headers = {"Content-Type": ct} if ct else {}
        session = requests.Session()
        session.headers["Authorization"] = api.session.headers["Authorization"]
        request = requests.Request("POST", emulator.url + FLOWS, data=body, headers=headers)
        prepared = session.prepare_request(request)
        if ct is None:
            prepared.headers.pop("Content-Type", None)
        assert_error(session.send(prepared, timeout=10), 415, "unsupported.media.type")
        patch = json.dumps({"_version": 1, "description": "x"}).encode()
        r = api.patch(f"{FLOWS}/{flow['id']}", data=patch, headers=headers)
        assert_error(r, 415, "unsupported.media.type")
    for ok_ct in ["application/json; charset=utf-8", "Application/JSON", 'application/json;charset="UTF-8"']:
        r = api.post(
            FLOWS,
            data=body.replace(b"ct", ok_ct.encode()[:20].replace(b'"', b"")),
            headers={"Content-Type": ok_ct},
        )
        assert r.status_code == 201, r.text
    assert _total(api) == 4


def test_oversize_bodies(emulator: EmulatorProcess) -> None:
    api = Api(emulator.url)
    flow = api.create_ok("f")
    big = json.dumps({"name": "big", "lifecycle_state": "draft", "description": "x" * (1024 * 1024)})
    assert_error(
        api.post(FLOWS, data=big, headers={"Content-Type": "application/json"}),
        413,
        "request.entity.too.large",
    )
    r = api.patch(f"{FLOWS}/{flow['id']}", json={"_version": 1, "description": "y" * (1024 * 1024 + 1)})
    assert_error(r, 413, "request.entity.too.large")

    def chunks() -> Iterator[bytes]:
        yield b'{"name": "chunked", "lifecycle_state": "draft", "description": "'
        for _ in range(80):
            yield b"z" * 16384
        yield b'"}'

    r = api.post(FLOWS, data=chunks(), headers={"Content-Type": "application/json"})
    assert_error(r, 413, "request.entity.too.large")
    # Just under the limit is accepted by the transport (and then judged by the rules).
    near = json.dumps({"name": "near", "lifecycle_state": "draft", "description": "x" * (1024 * 1024 - 100)})
    assert len(near) <= 1024 * 1024
    assert_error(
        api.post(FLOWS, data=near, headers={"Content-Type": "application/json"}),
        422,
        "payload.or.params.invalid",
        ["architect.flow.field.invalid"],
    )
    assert _total(api) == 1


def test_unicode_and_long_strings(emulator: EmulatorProcess) -> None:
    api = Api(emulator.url)
    names = [
        "Ünïcödé 🚀 flow",
        "日本語のフロー",
        "\u0000nul inside",
        "tab\tand\nnewline",
        "x" * 200,
        "ǅ" * 200,
    ]
    for name in names:
        flow = api.create_ok(name, description="🎉" * 2000)
        assert api.flow(flow["id"]).json()["name"] == name
    assert _total(api) == len(names)
    assert_error(api.create("🚀" * 201), 422, "payload.or.params.invalid", ["architect.flow.field.invalid"])
    long_field = "k" * 100000
    body = assert_error(api.post(FLOWS, json={long_field: 1}), 400, "bad.request")
    assert len(body["message"]) < 1000
    r = api.get(FLOWS, params={"name": "ñ" * 2000})
    assert r.status_code == 200 and r.json()["total"] == 0


def test_path_tricks(emulator: EmulatorProcess) -> None:
    api = Api(emulator.url)
    flow = api.create_ok("f")
    fid = flow["id"]
    for path in [
        f"{FLOWS}/{fid}/",
        f"{FLOWS}/",
        f"{FLOWS}/{fid}/versions/",
        f"{FLOWS}/{fid}%2Fversions",
        f"{FLOWS}/..%2F{fid}",
        f"{FLOWS}/%2e%2e",
        f"/api/v2//architect/flows/{fid}",
        f"{FLOWS}/{fid.upper()}",
        f"{FLOWS}/{{{fid}}}",
    ]:
        r = api.session.get(emulator.url + path, timeout=10, allow_redirects=False)
        assert_error(r, 404, "not.found")
    # Dot segments sent as they are (clients normally remove them before sending).
    host, port = emulator.url.removeprefix("http://").split(":")
    for raw_path in [f"{FLOWS}/{fid}/../{fid}", f"{FLOWS}/./{fid}", f"/api/v2/architect/./flows/{fid}"]:
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(
                f"GET {raw_path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {api.token}\r\n"
                "Connection: close\r\n\r\n".encode()
            )
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        assert data.startswith(b"HTTP/1.1 404"), data[:200]
        assert b"not.found" in data


def test_raw_socket_garbage_never_500(emulator: EmulatorProcess) -> None:
    host, port = emulator.url.removeprefix("http://").split(":")
    api = Api(emulator.url)
    for raw in [
        b"GET /api/v2/architect/flows HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + api.token.encode()
        + b"\r\n"
        b"Content-Length: 5\r\n\r\nhello",
        b"POST /api/v2/architect/flows HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer " + api.token.encode() + b'\r\nContent-Length: 10\r\n\r\n{"a"',
    ]:
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(raw)
            sock.shutdown(socket.SHUT_WR)
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        status_line = data.split(b"\r\n", 1)[0]
        assert not status_line.startswith(b"HTTP/1.1 5"), data[:300]
    assert _total(api) == 0


def test_no_fastapi_422_ever(emulator: EmulatorProcess) -> None:
    api = Api(emulator.url)
    r = api.get(FLOWS, params={"pageNumber": "x"})
    assert r.status_code == 400 and "detail" not in r.json()
    assert_error(api.request("PUT", FLOWS), 405, "method.not.allowed")
    r = api.post(FLOWS, json={"name": {"nested": 1}, "lifecycle_state": "draft"})
    assert r.status_code == 400 and "detail" not in r.json()
