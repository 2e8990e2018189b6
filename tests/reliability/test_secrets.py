"""Hostile environments and servers against the token and patient data.

Real listeners on 127.0.0.1 (port 0): a tiny API server, and a tiny proxy that records whether
anything reached it. The token must never go through a proxy in clear, a server's error code and
request id must not carry personal data or terminal escapes to any place errors are shown, and
httpcore's DEBUG trace must not carry an external id.
"""

from __future__ import annotations

import json
import logging
import socketserver
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from legithealth_async import (
    ConfigurationError,
    LegitHealth,
    NotFoundError,
    PatientAlreadyExistsError,
    UnprocessableEntityError,
)
from legithealth_async.cli import main

TOKEN = "SENTINEL-TOKEN-4b7e"
EXT = "SENTINEL-EXT-9c3d"
EMAIL = "hostile.leak@example.org"
ANSI = "\x1b[2J\x1b]0;owned\x07"
PROXY_VARIABLES = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)

Handler = Callable[[str, str], tuple[int, dict[str, str], bytes]]


class _Api(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _ApiServer

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        self.server.tokens.append(self.headers.get("X-API-TOKEN"))
        status, headers, body = self.server.handler(self.command, self.path)
        headers = dict(headers)
        self.send_response(status, headers.pop(":reason", None))
        for name, value in {"content-type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = _answer

    def log_message(self, format: str, *args: Any) -> None:
        return None


class _ApiServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, handler: Handler) -> None:
        super().__init__(("127.0.0.1", 0), _Api)
        self.handler = handler
        self.tokens: list[str | None] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/integration/v1"


class _Proxy(socketserver.BaseRequestHandler):
    server: _ProxyServer

    def handle(self) -> None:
        self.server.received.append(self.request.recv(65536))
        self.request.sendall(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n")


class _ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Proxy)
        self.received: list[bytes] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


def _serving(server: socketserver.BaseServer) -> Iterator[Any]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _empty_list(method: str, path: str) -> tuple[int, dict[str, str], bytes]:
    return 200, {}, b"[]"


@pytest.fixture
def api() -> Iterator[_ApiServer]:
    yield from _serving(_ApiServer(_empty_list))


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[_ProxyServer]:
    """A proxy that records every connection, named by every proxy variable."""
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    server = _ProxyServer()
    for name in PROXY_VARIABLES:
        monkeypatch.setenv(name, server.url)
    yield from _serving(server)


# ----------------------------------------------------------------------------------- proxies


@pytest.mark.parametrize("transport", ["asyncio", "httpx"])
async def test_loopback_is_never_sent_through_a_proxy(
    api: _ApiServer, proxy: _ProxyServer, transport: Any
) -> None:
    async with LegitHealth(TOKEN, base_url=api.base_url, max_retries=0, transport=transport) as lh:
        assert await lh.practitioners.specialties() == []
    assert proxy.received == []
    assert api.tokens == [TOKEN]


async def test_an_injected_client_that_would_proxy_plain_http_is_refused(
    api: _ApiServer, proxy: _ProxyServer
) -> None:
    # Built (httpx keeps its mounts private), refused at the first request, before the proxy is
    # dialled (tests/reliability/test_route.py watches how).
    own = httpx.AsyncClient()  # trust_env: it mounts the proxy from the environment
    proxied = httpx.AsyncHTTPTransport(proxy=proxy.url)
    for lh in (
        LegitHealth(TOKEN, base_url=api.base_url, http_client=own, max_retries=0),
        LegitHealth(TOKEN, base_url=api.base_url, transport=proxied, max_retries=0),
    ):
        async with lh:
            with pytest.raises(ConfigurationError, match="proxy") as caught:
                await lh.practitioners.specialties()
        assert TOKEN not in str(caught.value)
    await own.aclose()
    # Built without the environment, the same client goes straight to the server.
    async with httpx.AsyncClient(trust_env=False) as direct:
        lh = LegitHealth(TOKEN, base_url=api.base_url, http_client=direct, max_retries=0)
        assert await lh.practitioners.specialties() == []
    assert proxy.received == []
    assert api.tokens == [TOKEN]


@pytest.mark.parametrize("variable", ["ALL_PROXY", "all_proxy"])
async def test_an_all_proxy_client_is_refused_for_plain_http(
    monkeypatch: pytest.MonkeyPatch, api: _ApiServer, variable: str
) -> None:
    for name in (*PROXY_VARIABLES, "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, "http://127.0.0.1:9")
    async with LegitHealth(TOKEN, base_url=api.base_url, http_client=httpx.AsyncClient()) as lh:
        with pytest.raises(ConfigurationError, match="proxy"):
            await lh.practitioners.specialties()
    assert api.tokens == []


# ------------------------------------------------------------- the server's codes and ids


def _hostile_errors(method: str, path: str) -> tuple[int, dict[str, str], bytes]:
    if method == "GET":  # the sync's lookup: nobody known
        return 200, {}, b"[]"
    body = {"success": False, "errorCode": f"{EMAIL}{ANSI}", "message": f"bad {EMAIL}{ANSI}"}
    return 422, {"x-request-id": f"{EMAIL}\x1b[31m"}, json.dumps(body).encode()


def _assert_clean(text: str) -> None:
    assert EMAIL not in text
    assert "hostile.leak" not in text
    assert "\x1b" not in text
    assert "\x07" not in text


async def test_error_codes_and_request_ids_that_are_not_codes_are_dropped() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        status, headers, body = _hostile_errors(request.method, request.url.path)
        return httpx.Response(status, headers=headers, content=body)

    async with LegitHealth(
        TOKEN, base_url="https://api.test/v1", transport=httpx.MockTransport(answer)
    ) as lh:
        with pytest.raises(UnprocessableEntityError) as caught:
            await lh.patients.create(external_id=EXT, email="p@example.org")
    error = caught.value
    assert error.error_code is None
    assert error.request_id is None
    _assert_clean(str(error))
    _assert_clean(repr(error))
    assert error.message is not None
    _assert_clean(error.message)  # redacted, and control characters escaped


async def test_well_formed_codes_and_ids_are_kept() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        body = {"success": False, "errorCode": "PATIENT_ALREADY_EXISTS", "message": "exists"}
        rid = "3f6c1a2e-77b4-4c1e-9d0a-1b2c3d4e5f60"
        return httpx.Response(409, headers={"x-request-id": rid}, json=body)

    async with LegitHealth(
        TOKEN, base_url="https://api.test/v1", transport=httpx.MockTransport(answer)
    ) as lh:
        with pytest.raises(PatientAlreadyExistsError) as caught:
            await lh.patients.create(external_id=EXT, email="p@example.org")
    assert caught.value.error_code == "PATIENT_ALREADY_EXISTS"
    assert str(caught.value).endswith(
        "PATIENT_ALREADY_EXISTS (request id 3f6c1a2e-77b4-4c1e-9d0a-1b2c3d4e5f60)"
    )


def test_hostile_codes_reach_neither_the_terminal_nor_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    records = tmp_path / "patients.jsonl"
    records.write_text(json.dumps({"externalId": "P1", "email": "p1@example.org"}) + "\n")
    report = tmp_path / "report.jsonl"
    for server in _serving(_ApiServer(_hostile_errors)):
        code = main(
            [
                "sync",
                str(records),
                "--no-journal",
                "--token",
                TOKEN,
                "--base-url",
                server.base_url,
                "--report",
                str(report),
                "--progress",
                "plain",
            ]
        )
    out, err = capsys.readouterr()
    assert code == 1
    assert "UnprocessableEntityError" in out  # the failure is shown...
    rows = [json.loads(line) for line in report.read_text().splitlines()]
    assert [row["error"] for row in rows] == ["UnprocessableEntityError"]
    for text in (out, err, report.read_text(), rows[0]["message"]):
        _assert_clean(text)  # ...without the server's hostile code or id
        assert TOKEN not in text


# ------------------------------------------------------------------------- httpcore's DEBUG


async def test_httpcore_debug_lines_carry_no_external_id(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    patient = {
        "id": "lh-1",
        "externalId": EXT,
        "firstName": None,
        "lastName": None,
        "email": EMAIL,
        "phone": None,
        "birthDate": None,
        "gender": None,
        "language": "es",
        "conditions": [],
    }

    def answer(method: str, path: str) -> tuple[int, dict[str, str], bytes]:
        headers = {"Location": f"/integration/v1/patients/{EXT}", "x-request-id": "r-1"}
        return 200, headers, json.dumps([patient]).encode()

    caplog.set_level(logging.DEBUG)
    for name in ("httpcore", "httpcore.http11", "httpcore.connection", "httpx"):
        caplog.set_level(logging.DEBUG, logger=name)
    for server in _serving(_ApiServer(answer)):
        async with LegitHealth(
            TOKEN, base_url=server.base_url, max_retries=0, transport="httpx"
        ) as lh:  # httpx's pool: the one that logs through httpcore
            found = await lh.patients.get(EXT)
    assert found.external_id == EXT
    httpcore_lines = [r for r in caplog.records if r.name.startswith("httpcore")]
    assert any("receive_response_headers" in r.getMessage() for r in httpcore_lines)
    for record in caplog.records:
        assert EXT not in record.getMessage(), record.name
        assert TOKEN not in record.getMessage(), record.name


async def test_httpcore_lines_of_other_requests_are_left_alone(
    caplog: pytest.LogCaptureFixture, api: _ApiServer
) -> None:
    LegitHealth(TOKEN, base_url="https://api.test/v1")  # installs the filters
    caplog.set_level(logging.DEBUG, logger="httpcore.http11")
    async with httpx.AsyncClient(trust_env=False) as own:
        await own.get(api.base_url + "/mine")
    messages = [r.getMessage() for r in caplog.records if r.name == "httpcore.http11"]
    assert any("return_value=" in m for m in messages)


@pytest.mark.parametrize("transport", ["asyncio", "httpx", "a user's http_client"])
async def test_a_hostile_reason_phrase_and_request_id_reach_no_log_line(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, transport: Any
) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)

    def answer(method: str, path: str) -> tuple[int, dict[str, str], bytes]:
        headers = {":reason": f"Not Found {EMAIL}{ANSI}", "x-request-id": f"{EMAIL}\x1b[31m"}
        return 404, headers, json.dumps({"success": False, "errorCode": "NOT_FOUND"}).encode()

    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "legithealth_async"):
        caplog.set_level(logging.DEBUG, logger=name)
    users = transport == "a user's http_client"
    for server in _serving(_ApiServer(answer)):
        async with httpx.AsyncClient() as http:
            where: dict[str, Any] = {"http_client": http} if users else {"transport": transport}
            async with LegitHealth(TOKEN, base_url=server.base_url, max_retries=0, **where) as lh:
                with pytest.raises(NotFoundError) as caught:
                    await lh.patients.patch(EXT, email="new@example.org")
    _assert_clean(str(caught.value))
    lines = [r.getMessage() for r in caplog.records]
    # httpx logs a line per request sent through AsyncClient.send: a user's client only (the
    # client's own transport is called directly). The server's reason phrase never shows.
    httpx_lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert any('404 Not Found"' in line for line in httpx_lines) == users
    ours = [r.getMessage() for r in caplog.records if r.name == "legithealth_async"]
    assert any("-> 404" in line for line in ours)  # our own line, without the request id
    for line in lines:
        _assert_clean(line)
