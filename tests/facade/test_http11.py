"""The asyncio transport (``_transports/http11.py``) alone, against scripted servers on loopback.

Each server answers every request on a connection with the next answer of its script (raw
bytes), so the cases the sandbox cannot play are exact: reuse and its end, bodies delimited
every way HTTP/1.1 allows, informational answers, truncation, oversized headers, unsolicited
data, stalls, cancellation, and a proxy's tunnel.
"""

from __future__ import annotations

import asyncio
import gzip
import socket
import ssl
import struct
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from _toolkit import tcp_server

from legithealth_async._transports.base import Bounds, Outgoing
from legithealth_async._transports.http11 import Http11Transport
from legithealth_async.errors import UnexpectedResponseError

pytestmark = pytest.mark.loopback

OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n[]"
PHASES = {"connect": 2.0, "read": 2.0, "write": 2.0, "pool": 2.0}


class Script:
    """What the server answers, request by request, and what it saw."""

    def __init__(self, *answers: bytes | Callable[[asyncio.StreamWriter], Any]) -> None:
        self.answers = list(answers)
        self.connections = 0
        self.requests: list[bytes] = []


@asynccontextmanager
async def scripted(script: Script) -> AsyncIterator[str]:
    """A server on 127.0.0.1 playing ``script``; yields its base URL."""

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        script.connections += 1
        while script.answers:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            script.requests.append(head + await reader.readexactly(length))
            step = script.answers.pop(0)
            if isinstance(step, bytes):
                writer.write(step)
                await writer.drain()
            else:
                await step(writer)

    async with tcp_server(connection) as port:
        yield f"http://127.0.0.1:{port}"


async def _context() -> ssl.SSLContext:
    return ssl.create_default_context()


def transport(**kw: Any) -> Http11Transport:
    kw.setdefault("max_connections", 4)
    kw.setdefault("keepalive_expiry", 30.0)
    return Http11Transport(ssl_context=_context, **kw)


async def get(t: Http11Transport, base: str, phases: dict[str, float] | None = None) -> Any:
    out = Outgoing("GET", base + "/p?x=1", [], None, "op")
    return await t.exchange(out, Bounds(phases or PHASES, 60.0, 1000))


async def test_one_connection_is_kept_alive_until_an_answer_says_close() -> None:
    close = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n[]"
    script = Script(OK, OK, close, OK)
    async with scripted(script) as base:
        t = transport()
        for _ in range(3):
            assert (await get(t, base)).content == b"[]"
        assert script.connections == 1
        assert (await get(t, base)).content == b"[]"
        assert script.connections == 2  # "connection: close" was honoured
        await t.aclose()
    first = script.requests[0]
    assert first.startswith(b"GET /p?x=1 HTTP/1.1\r\nHost: 127.0.0.1:")


async def test_bodies_delimited_by_the_end_of_the_connection_or_by_chunks_are_read_whole() -> None:
    async def until_close(writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\n\r\n[1,")
        await writer.drain()
        writer.write(b"2]")
        writer.close()

    chunked = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\n[3\r\n1\r\n]\r\n0\r\n\r\n"
    async with scripted(Script(chunked, until_close)) as base:
        t = transport()
        assert (await get(t, base)).content == b"[3]"
        assert (await get(t, base)).content == b"[1,2]"
        await t.aclose()


async def test_informational_answers_are_skipped() -> None:
    answer = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\n{}"
    async with scripted(Script(answer)) as base:
        t = transport()
        reply = await get(t, base)
        assert (reply.status, reply.content) == (201, b"{}")
        await t.aclose()


async def test_a_truncated_body_is_a_protocol_error_not_a_short_answer() -> None:
    async def truncated(writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n[1,")
        await writer.drain()
        writer.close()

    async with scripted(Script(truncated)) as base:
        t = transport()
        with pytest.raises(httpx.RemoteProtocolError):  # maybe sent: never a connect error
            await get(t, base)
        await t.aclose()


async def test_headers_over_the_bound_are_refused_and_the_connection_dropped() -> None:
    huge = (
        b"HTTP/1.1 200 OK\r\n" + b"x-filler: " + b"a" * 70_000 + b"\r\ncontent-length: 2\r\n\r\n[]"
    )
    script = Script(huge, OK)
    async with scripted(script) as base:
        t = transport()
        with pytest.raises(httpx.RemoteProtocolError, match="headers over the bound"):
            await get(t, base)
        assert (await get(t, base)).content == b"[]"
        assert script.connections == 2
        await t.aclose()


async def test_a_body_over_the_bound_is_refused() -> None:
    big = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n" + b"800\r\n" + b"a" * 2048
    async with scripted(Script(big + b"\r\n0\r\n\r\n")) as base:
        t = transport()
        with pytest.raises(UnexpectedResponseError, match="over 1000 bytes"):
            await get(t, base)
        await t.aclose()


async def test_a_connection_the_server_closed_while_idle_is_not_reused() -> None:
    async def answer_then_close(writer: asyncio.StreamWriter) -> None:
        writer.write(OK)  # says nothing of closing...
        await writer.drain()
        writer.close()  # ...then closes while the client holds it idle

    script = Script(answer_then_close, OK)
    async with scripted(script) as base:
        t = transport()
        assert (await get(t, base)).content == b"[]"
        await asyncio.sleep(0.05)  # the close reaches the client
        assert (await get(t, base)).content == b"[]"
        assert script.connections == 2
        await t.aclose()


async def test_unsolicited_data_drops_the_connection() -> None:
    async def answer_then_more(writer: asyncio.StreamWriter) -> None:
        writer.write(OK)
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(OK)  # one answer too many, after the first was read

    script = Script(answer_then_more, OK)
    async with scripted(script) as base:
        t = transport()
        assert (await get(t, base)).content == b"[]"
        await asyncio.sleep(0.1)  # the extra answer reaches the idle connection
        assert (await get(t, base)).content == b"[]"
        assert script.connections == 2
        await t.aclose()


async def test_a_stall_fires_the_read_timeout_and_frees_its_slot() -> None:
    # The default transport's counterpart of test_transport's
    # test_slots_are_freed_when_requests_fail_or_are_cancelled (httpx's pools).
    async def stall(writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\n")
        await writer.drain()
        await asyncio.sleep(30)

    script = Script(stall, OK)
    async with scripted(script) as base:
        t = transport(max_connections=1)
        with pytest.raises(httpx.ReadTimeout):
            await get(t, base, {**PHASES, "read": 0.1})
        reply = await asyncio.wait_for(get(t, base), 5)  # the one slot is free again
        assert reply.content == b"[]"
        assert script.connections == 2  # the timed-out one was not reused
        await t.aclose()


async def test_a_cancelled_exchange_closes_its_connection_and_frees_its_slot() -> None:
    async def stall(writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    script = Script(stall, OK)
    async with scripted(script) as base:
        t = transport(max_connections=1)
        task = asyncio.create_task(get(t, base))
        while not script.requests:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        reply = await asyncio.wait_for(get(t, base), 5)  # the one slot is free again
        assert reply.content == b"[]"
        assert script.connections == 2  # the cancelled one was not reused
        await t.aclose()


async def test_a_refused_connection_is_a_connect_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening
        t = transport()
        with pytest.raises(httpx.ConnectError):  # never sent: safe to retry
            await get(t, f"http://127.0.0.1:{port}")


async def test_the_tunnel_through_a_proxy_carries_its_credentials() -> None:
    connects: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connects.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await reader.readuntil(b"\r\n\r\n")  # the request, through the tunnel
        writer.write(OK)
        await writer.drain()
        await reader.read()  # until the client closes

    async with tcp_server(proxy) as port:
        t = transport(proxy=f"http://nurse:s%40fe@127.0.0.1:{port}")
        reply = await get(t, "http://api.test:8080")
        await t.aclose()
    assert reply.content == b"[]"
    assert connects[0].startswith(b"CONNECT api.test:8080 HTTP/1.1\r\n")
    assert b"Proxy-Authorization: Basic bnVyc2U6c0BmZQ==\r\n" in connects[0]  # nurse:s@fe


async def test_a_refused_tunnel_is_a_proxy_error() -> None:
    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")

    async with tcp_server(refuse) as port:
        t = transport(proxy=f"http://127.0.0.1:{port}")
        with pytest.raises(httpx.ProxyError, match="HTTP 407"):
            await get(t, "https://api.test")
        await t.aclose()


def test_only_http_proxies_are_taken() -> None:
    with pytest.raises(ValueError, match="http:// proxies only"):
        transport(proxy="socks5://127.0.0.1:1080")


async def test_a_gzip_body_is_decoded_once() -> None:
    body = gzip.compress(b"[]")
    head = f"HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: {len(body)}\r\n\r\n"
    async with scripted(Script(head.encode() + body)) as base:
        t = transport()
        reply = await get(t, base)
        await t.aclose()
    assert (reply.status, reply.content) == (200, b"[]")


async def test_a_body_delimited_by_the_end_is_lost_if_the_connection_is_reset() -> None:
    async def reset(writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\n\r\n[1,")
        await writer.drain()
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()  # RST, not FIN: the body may have been cut short

    async with scripted(Script(reset)) as base:
        t = transport()
        with pytest.raises(httpx.RemoteProtocolError):
            await get(t, base)
        await t.aclose()


# ------------------------------------------------------------------ framing (issue 19 §3)

#: Answers whose framing is ambiguous or over-long: each is refused, and its connection closed.
AMBIGUOUS = {
    "body longer than its content-length": OK + b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}",
    "content-length then transfer-encoding": (
        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n"
        b"2\r\n[]\r\n0\r\n\r\n"
    ),
    "transfer-encoding then content-length": (
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-length: 2\r\n\r\n"
        b"2\r\n[]\r\n0\r\n\r\n"
    ),
    "a 204 with a body": b"HTTP/1.1 204 No Content\r\ncontent-length: 2\r\n\r\n[]",
    "a 304 with a body": b"HTTP/1.1 304 Not Modified\r\n\r\n[]",
    "a control character in a chunk extension": (
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2;a\x01b\r\n[]\r\n0\r\n\r\n"
    ),
}


@pytest.mark.parametrize("stream", list(AMBIGUOUS.values()), ids=list(AMBIGUOUS))
async def test_an_ambiguous_or_over_long_answer_is_refused_and_its_connection_closed(
    stream: bytes,
) -> None:
    script = Script(stream, OK)
    async with scripted(script) as base:
        t = transport()
        with pytest.raises(httpx.RemoteProtocolError):  # maybe sent: never "never sent"
            await get(t, base)
        assert (await get(t, base)).content == b"[]"  # the next answer, on a new connection
        assert script.connections == 2
        await t.aclose()


@pytest.mark.parametrize(
    ("start", "match"),
    [
        (b"HTTP/1.1 200 OK\r\nx-filler: ", "headers over the bound"),
        (b"HTTP/1.1 200 OK\r\nx-", "headers over the bound"),
        (
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\n[]\r\n0\r\nx: ",
            "over the bound",
        ),
    ],
    ids=["header-value", "header-name", "trailer"],
)
async def test_an_endless_header_or_trailer_line_is_refused_as_its_bytes_arrive(
    start: bytes, match: str
) -> None:
    async def endless(writer: asyncio.StreamWriter) -> None:
        writer.write(start)
        for _ in range(64):  # 1 MiB of one line, then a stall (the line never ends)
            writer.write(b"a" * 16384)
            await writer.drain()
        await asyncio.sleep(30)

    async with scripted(Script(endless)) as base:
        t = transport()
        # Before: nothing was counted until the line ended, so only the stall ended it.
        with pytest.raises(httpx.RemoteProtocolError, match=match):
            await get(t, base, {**PHASES, "read": 10.0})
        await t.aclose()


async def test_a_101_answer_is_a_protocol_error_without_an_asyncio_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    upgrade = b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\n"
    async with scripted(Script(upgrade + b"\x81\x00")) as base:
        t = transport()
        with pytest.raises(httpx.RemoteProtocolError, match="101"):
            await get(t, base)
        await t.aclose()
    # Before: "Fatal error: protocol.data_received() call failed", with a traceback.
    assert not [r for r in caplog.records if r.name == "asyncio"]


async def test_a_trailer_never_becomes_a_header() -> None:
    trailer = (
        b"HTTP/1.1 503 Busy\r\ntransfer-encoding: chunked\r\nx-a: 1\r\n\r\n"
        b"2\r\n{}\r\n0\r\nretry-after: 7\r\n\r\n"
    )
    async with scripted(Script(trailer)) as base:
        t = transport()
        reply = await get(t, base)
        await t.aclose()
    assert reply.status == 503
    names = [name.lower() for name, _ in reply.raw_headers]
    assert names == [b"transfer-encoding", b"x-a"]  # no retry-after: it came after the body


async def test_an_idn_host_is_sent_as_its_a_label_in_the_connect_line_and_host() -> None:
    seen: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        seen.append(await reader.readuntil(b"\r\n\r\n"))  # the request, through the tunnel
        writer.write(OK)
        await writer.drain()
        await reader.read()

    async with tcp_server(proxy) as port:
        t = transport(proxy=f"http://127.0.0.1:{port}")
        reply = await get(t, "http://bücher.test:8080")
        await t.aclose()
    assert reply.content == b"[]"
    assert seen[0].startswith(b"CONNECT xn--bcher-kva.test:8080 HTTP/1.1\r\n")
    assert b"\r\nHost: xn--bcher-kva.test:8080\r\n" in seen[1]
