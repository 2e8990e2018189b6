"""Differential testing of answer framing (issue 19 §3): generated and mutated answer byte
streams fed to every transport of ours, each followed on the connection by a second request.

For every stream: the transports that accept the first answer read the same status and body
(never two different answers), and the second request gets its own answer or a refusal: never
bytes of the first (a desync). Bounded: a fixed, derandomized run of a few hundred examples.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from _toolkit import tcp_server
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from legithealth_async._transports.base import Bounds, Outgoing
from legithealth_async._transports.body import read_bounded
from legithealth_async._transports.framing import GuardedHTTPTransport
from legithealth_async._transports.http11 import Http11Transport
from legithealth_async.errors import UnexpectedResponseError

pytestmark = pytest.mark.loopback

SECOND = b"HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nsecond"
PHASES = {"connect": 2.0, "read": 2.0, "write": 2.0, "pool": 2.0}
LIMIT = 4096


class _Server:
    """One server for the whole run: the first request after :meth:`play` is answered with
    ``stream``, every later one with ``SECOND``; a connection left without a request for 30 ms
    after an answer is closed (so an answer delimited by the close, or cut short, ends)."""

    def __init__(self) -> None:
        self.stream = b""
        self.answered = 0
        self.port = 0

    def play(self, stream: bytes) -> str:
        self.stream = stream
        self.answered = 0
        return f"http://127.0.0.1:{self.port}"

    async def connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # A fresh connection waits for its first request (on a busy machine a client can take
        # more than 30 ms to write it: closing then would make a request the server never
        # counted); only after an answer does 30 ms of silence end the connection.
        idle = 10.0
        while True:
            try:
                await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), idle)
            except (TimeoutError, asyncio.IncompleteReadError):
                return
            idle = 0.03
            self.answered += 1
            writer.write(self.stream if self.answered == 1 else SECOND)
            await writer.drain()


@pytest.fixture(scope="module")
def server() -> Iterator[_Server]:
    running = _Server()
    ready = threading.Event()
    loop = asyncio.new_event_loop()
    stop = loop.create_future()

    async def main() -> None:
        async with tcp_server(running.connection) as port:
            running.port = port
            ready.set()
            await stop

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    ready.wait(10)
    yield running
    loop.call_soon_threadsafe(stop.set_result, None)
    thread.join(10)
    loop.close()


# ------------------------------------------------------------------------------- the streams

BODIES = st.sampled_from([b"", b"[]", b'{"a":1}', b"x" * 40])
STATUSES = st.sampled_from([200, 201, 204, 304, 404, 500, 101, 100])


@st.composite
def answers(draw: st.DrawFn) -> bytes:
    """An answer head and body, framed every way HTTP/1.1 allows and several it does not."""
    status = draw(STATUSES)
    body = draw(BODIES)
    framing = draw(st.sampled_from(["length", "chunked", "both", "both-reversed", "close"]))
    lines = [f"HTTP/1.1 {status} X".encode()]
    if status == 100:  # an informational answer, then the answer
        lines = [b"HTTP/1.1 100 Continue", b"", b"HTTP/1.1 200 OK"]
    length = len(body) + draw(st.sampled_from([0, 0, 0, -1, 1, 5]))
    cl = b"content-length: %d" % max(length, 0)
    te = b"transfer-encoding: " + draw(st.sampled_from([b"chunked", b"Chunked", b"gzip, chunked"]))
    if framing == "length":
        lines.append(cl)
        if draw(st.booleans()) and draw(st.booleans()):
            lines.append(draw(st.sampled_from([cl, b"content-length: 99", b"content-length: +2"])))
    elif framing in ("chunked", "both", "both-reversed"):
        lines += {"chunked": [te], "both": [cl, te], "both-reversed": [te, cl]}[framing]
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from([b"connection: close", b"connection: keep-alive"])))
    if draw(st.booleans()):
        lines.append(b"x-request-id: " + draw(st.sampled_from([b"r-1", b"a\x01b", b"\xff"])))
    head = b"\r\n".join(lines) + b"\r\n\r\n"
    if framing in ("chunked", "both", "both-reversed"):
        extension = draw(st.sampled_from([b"", b";a=b", b";a\x01b", b'; q="x"', b";" + b"e" * 9]))
        chunks = [body[:3], body[3:]] if body else []
        encoded = b"".join(b"%x%s\r\n%s\r\n" % (len(c), extension, c) for c in chunks if c)
        trailer = draw(st.sampled_from([b"", b"retry-after: 5\r\n"]))
        payload = encoded + b"0\r\n" + trailer + b"\r\n"
    else:
        payload = body
    surplus = draw(st.sampled_from([b"", b"", b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]))
    return head + payload + surplus


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A generated answer with a few bytes inserted, deleted or replaced."""
    data = bytearray(draw(answers()))
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["insert", "delete", "replace"]))
        byte = draw(st.sampled_from([b"\r", b"\n", b" ", b"0", b"9", b";", b":", b"\x00", b"a"]))
        if kind == "insert":
            data[at:at] = byte
        elif at < len(data):
            data[at : at + 1] = b"" if kind == "delete" else byte
    return bytes(data)


# ------------------------------------------------------------------------------ the transports


async def _context() -> ssl.SSLContext:
    return ssl.create_default_context()


Outcome = tuple[int, bytes] | str


async def _asyncio(base: str) -> list[Outcome]:
    t = Http11Transport(max_connections=1, keepalive_expiry=30.0, ssl_context=_context)
    outcomes: list[Outcome] = []
    try:
        for _ in range(2):
            try:
                out = Outgoing("GET", base + "/p", [], None, "op")
                reply = await t.exchange(out, Bounds(PHASES, 60.0, LIMIT))
                outcomes.append((reply.status, reply.content))
            except (httpx.TransportError, UnexpectedResponseError) as exc:
                outcomes.append(type(exc).__name__)
    finally:
        await t.aclose()
    return outcomes


async def _httpx(base: str) -> list[Outcome]:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    t = GuardedHTTPTransport(
        ssl_context=ssl.create_default_context(), limits=limits, http2=False, proxy=None
    )
    outcomes: list[Outcome] = []
    try:
        for _ in range(2):
            request = httpx.Request("GET", base + "/p", extensions={"timeout": PHASES})
            try:
                response = await t.handle_async_request(request)
                try:
                    content = await read_bounded("op", response, LIMIT)
                finally:
                    await response.aclose()
                outcomes.append((response.status_code, content))
            except (httpx.TransportError, UnexpectedResponseError) as exc:
                outcomes.append(type(exc).__name__)
    finally:
        await t.aclose()
    return outcomes


def _run(server: _Server, stream: bytes) -> dict[str, list[Outcome]]:
    async def both() -> dict[str, list[Outcome]]:
        return {
            "asyncio": await _asyncio(server.play(stream)),
            "httpx": await _httpx(server.play(stream)),
        }

    return asyncio.run(both())


def _check(results: dict[str, list[Outcome]]) -> None:
    firsts = {repr(r[0]) for r in results.values() if not isinstance(r[0], str)}
    assert len(firsts) <= 1, f"the transports read different answers: {results}"
    for name, (_, second) in results.items():
        # The second request: its own answer, or a refusal; never the first's surplus.
        assert isinstance(second, str) or second == (200, b"second"), (name, results)


PROFILE: dict[str, Any] = {
    "deadline": None,
    "derandomize": True,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    "database": None,
}


@settings(max_examples=200, **PROFILE)
@given(stream=answers())
def test_generated_answers_read_alike_or_refused(server: _Server, stream: bytes) -> None:
    _check(_run(server, stream))


@settings(max_examples=200, **PROFILE)
@given(stream=mutated())
def test_mutated_answers_read_alike_or_refused(server: _Server, stream: bytes) -> None:
    _check(_run(server, stream))
