"""Framing that never desyncs (issue 19 §3): the byte streams that made the httpx path read one
answer's surplus as the next request's answer, on every transport a client can send through.

Each hostile server runs in a thread of its own (an asyncio loop serving ``tcp_server``), so the
same server serves clients on asyncio and on trio.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import ssl
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import trio
import trustme
from _toolkit import no_sleep, tcp_server

from legithealth_async import LegitHealth, RetryPolicy
from legithealth_async.errors import APIConnectionError, LegitHealthError, UnexpectedResponseError
from legithealth_async.sandbox import Sandbox, SandboxServer
from legithealth_async.sync import sync_patients

from .conftest import check_created_as_recorded, make_records

pytestmark = pytest.mark.loopback

TOKEN = "tok-framing-1"


def patient(external_id: str, id_: str | None = None) -> bytes:
    body = {"id": id_ or f"lh-{external_id}", "externalId": external_id, "conditions": []}
    return json.dumps([body]).encode()


def answer(body: bytes, head: str = "HTTP/1.1 200 OK") -> bytes:
    return f"{head}\r\ncontent-length: {len(body)}\r\n\r\n".encode() + body


#: An answer for p2 under an id that is not p2's: what a desynced client would take for p2's.
SMUGGLED = answer(patient("p2", "FOREIGN"))
ONE = patient("p1")

#: The §3 byte streams, each answering getPatients(p1) with a surplus that is a whole answer.
STREAMS = {
    "body longer than its content-length": answer(ONE) + SMUGGLED,
    "content-length then transfer-encoding": (
        f"HTTP/1.1 200 OK\r\ncontent-length: {len(ONE)}\r\ntransfer-encoding: chunked\r\n\r\n"
    ).encode()
    + ONE
    + SMUGGLED,
    "transfer-encoding then content-length": (
        f"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-length: {len(ONE)}\r\n\r\n"
    ).encode()
    + ONE
    + SMUGGLED,
    "a 204 with a body": b"HTTP/1.1 204 No Content\r\n\r\n" + SMUGGLED,
    "a 304 with a body": b"HTTP/1.1 304 Not Modified\r\n\r\n" + SMUGGLED,
    "an unasked 101": b"HTTP/1.1 101 Switching Protocols\r\nupgrade: h2c\r\n\r\n" + SMUGGLED,
    "a control character in a chunk extension": (
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
        + f"{len(ONE):x};a\x01b\r\n".encode()
        + ONE
        + b"\r\n0\r\n\r\n"
        + SMUGGLED
    ),
}

Step = bytes | Callable[[asyncio.StreamWriter], Awaitable[None]]


class Served:
    """A raw server in a thread: each request gets the next step of ``steps`` (bytes, or a
    coroutine writing what it likes); ``connections`` counts the connections it accepted."""

    def __init__(self, steps: list[Step]) -> None:
        self.steps = steps
        self.connections = 0
        self.base_url = ""

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ),
                0,
            )
            await reader.readexactly(length)
            step = self.steps.pop(0) if self.steps else answer(b"[]")
            if isinstance(step, bytes):
                writer.write(step)
                await writer.drain()
            else:
                await step(writer)


@contextmanager
def served(steps: list[Step]) -> Iterator[Served]:
    server = Served(steps)
    ready = threading.Event()
    loop = asyncio.new_event_loop()
    stop = loop.create_future()

    async def main() -> None:
        async with tcp_server(server._connection) as port:
            server.base_url = f"http://127.0.0.1:{port}/v1"
            ready.set()
            await stop

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield server
    finally:
        loop.call_soon_threadsafe(stop.set_result, None)
        thread.join(10)
        loop.close()


#: Every way a client sends: its own transports, on asyncio and trio; and with HTTP/2 asked for
#: when the http2 extra is installed (over cleartext httpx still speaks HTTP/1.1 to this server,
#: through the same pool).
TRANSPORTS = ["asyncio", "httpx", "httpx-trio"]
if importlib.util.find_spec("h2") is not None:
    TRANSPORTS.append("httpx-http2")


def run(transport: str, scenario: Callable[[LegitHealth], Awaitable[Any]], base: str) -> Any:
    async def main() -> Any:
        name = transport.split("-")[0]
        async with LegitHealth(
            TOKEN,
            base_url=base,
            transport=name,  # type: ignore[arg-type]
            http2=transport.endswith("http2"),
            max_retries=0,
            timeout=5.0,
        ) as lh:
            return await scenario(lh)

    if transport.endswith("trio"):
        return trio.run(main)
    return asyncio.run(main())


async def two_lookups(lh: LegitHealth) -> tuple[LegitHealthError | None, Any]:
    try:
        await lh.patients.get("p1")
        first: LegitHealthError | None = None
    except LegitHealthError as exc:
        first = exc
    return first, await lh.patients.get("p2")


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("stream", list(STREAMS.values()), ids=list(STREAMS))
def test_an_ambiguous_answer_is_refused_and_never_read_as_the_next(
    transport: str, stream: bytes
) -> None:
    with served([stream, answer(patient("p2"))]) as server:
        first, second = run(transport, two_lookups, server.base_url)
        connections = server.connections
    # Refused as a protocol error (maybe sent), its connection closed...
    assert isinstance(first, APIConnectionError), first
    assert first.reason == "RemoteProtocolError"
    # ...so the next request is answered by its own answer, on a new connection.
    assert second is not None and second.id == "lh-p2"
    assert connections == 2


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_surplus_written_apart_is_never_taken_for_another_records_answer(transport: str) -> None:
    """The split-write race (20 of 20 desyncs on httpx before). Whether the surplus comes in
    the answer's own read (refused), while the connection is idle (dropped) or after the next
    request was written (then no HTTP/1.1 client can tell it from that request's answer, and the
    pins refuse it: it names another record) is the network's timing; in every case p2's
    answer is p2's own or a refusal, never another record's."""
    other = answer(patient("p9", "FOREIGN"))

    async def split(writer: asyncio.StreamWriter) -> None:
        writer.write(answer(ONE))
        await writer.drain()
        writer.write(other)

    async def lookups(lh: LegitHealth) -> list[Any]:
        found: list[Any] = []
        for external_id in ("p1", "p2"):
            try:
                found.append(await lh.patients.get(external_id))
            except LegitHealthError as exc:
                found.append(exc)
        return found

    with served([split, answer(patient("p2"))]) as server:
        first, second = run(transport, lookups, server.base_url)
    assert isinstance(first, APIConnectionError) or first.id == "lh-p1"
    assert isinstance(second, LegitHealthError) or second.id == "lh-p2"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_an_endless_header_line_is_refused_on_every_transport(transport: str) -> None:
    async def endless(writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nx-filler: ")
        for _ in range(64):  # 1 MiB of one header line, then a stall
            writer.write(b"a" * 16384)
            await writer.drain()
        await asyncio.sleep(30)

    async def lookup(lh: LegitHealth) -> LegitHealthError:
        with pytest.raises(LegitHealthError) as info:
            await lh.patients.get("p1")
        return info.value

    with served([endless]) as server:
        error = run(transport, lookup, server.base_url)
    # Refused at the bound, not cut by the read timeout (5 s) after the stall.
    assert isinstance(error, APIConnectionError) and error.reason == "RemoteProtocolError"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_retry_after_trailer_is_never_obeyed(transport: str) -> None:
    busy = (
        b"HTTP/1.1 503 Busy\r\ntransfer-encoding: chunked\r\n\r\n"
        b"2\r\n{}\r\n0\r\nretry-after: 7\r\n\r\n"
    )

    async def lookup(lh: LegitHealth) -> LegitHealthError:
        with pytest.raises(LegitHealthError) as info:
            await lh.with_options(max_retries=0).patients.get("p1")
        return info.value

    with served([busy]) as server:
        error = run(transport, lookup, server.base_url)
    assert getattr(error, "status_code", None) == 503
    assert getattr(error, "retry_after", "?") is None  # it came after the body: not a header


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_lookup_listing_one_record_twice_is_refused(transport: str) -> None:
    twice = json.dumps(
        [
            {"id": "lh-p1", "externalId": "p1", "conditions": []},
            {"id": "FOREIGN", "externalId": "p1", "conditions": []},
        ]
    ).encode()

    async def lookup(lh: LegitHealth) -> LegitHealthError:
        with pytest.raises(LegitHealthError) as info:
            await lh.patients.get("p1")
        return info.value

    with served([answer(twice)]) as server:
        error = run(transport, lookup, server.base_url)
    assert isinstance(error, UnexpectedResponseError), error  # before: one of the two, taken


def test_a_users_http_client_never_takes_another_records_answer() -> None:
    """A user's own ``http_client`` (its transport not ours) reads surpluses as h11 does; what
    holds there is the pins: an answer about another record is refused, never taken."""
    other = answer(patient("p9", "FOREIGN"))  # the surplus: an answer about another patient

    async def scenario(base: str) -> tuple[Any, LegitHealthError]:
        async with (
            httpx.AsyncClient() as http,
            LegitHealth(TOKEN, base_url=base, http_client=http, max_retries=0) as lh,
        ):
            first = await lh.patients.get("p1")
            with pytest.raises(UnexpectedResponseError) as info:
                await lh.patients.get("p2")
            return first, info.value

    with served([answer(ONE) + other, answer(patient("p2"))]) as server:
        first, second = asyncio.run(scenario(server.base_url))
    assert first.id == "lh-p1"
    # h11 read the surplus as p2's answer: refused, as it names another record (not p2's).
    assert "another resource" in str(second)


# --------------------------------------------------------------------- a sync through a desync


class Desyncing:
    """A proxy in front of a served sandbox that desyncs one answer in three: the answer it
    sent before (another request's) follows the real one, each of the §3 ways in turn."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.count = 0
        self.previous = answer(b"[]")
        self.desynced = 0

    async def connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async with httpx.AsyncClient(base_url=self.upstream) as http:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
                length = int(headers.get("Content-Length", headers.get("content-length", 0)))
                content = await reader.readexactly(length)
                real = await http.request(
                    method,
                    target,
                    content=content,
                    headers={k: v for k, v in headers.items() if k.lower() != "host"},
                )
                await self._answer(writer, real)

    async def _answer(self, writer: asyncio.StreamWriter, real: httpx.Response) -> None:
        self.count += 1
        status = f"HTTP/1.1 {real.status_code} X"
        body = real.content
        whole = answer(body, status)
        mode = self.count % 3
        if mode == 0 or self.count % 4 == 0:
            writer.write(whole)
        else:
            self.desynced += 1
            surplus = self.previous
            kind = (self.count // 3) % 4
            cl, te = f"content-length: {len(body)}\r\n", "transfer-encoding: chunked\r\n"
            if kind == 0:  # a body longer than its content-length
                writer.write(whole + surplus)
            elif kind == 1:  # content-length and transfer-encoding
                writer.write(f"{status}\r\n{cl}{te}\r\n".encode() + body + surplus)
            elif kind == 2:  # transfer-encoding and content-length, the other order
                writer.write(f"{status}\r\n{te}{cl}\r\n".encode() + body + surplus)
            else:  # the surplus in a write of its own
                writer.write(whole)
                await writer.drain()
                writer.write(surplus)
        await writer.drain()
        self.previous = whole


@pytest.mark.parametrize("transport", ["asyncio", "httpx"])
async def test_a_sync_through_a_desyncing_server_creates_every_record_with_its_own_id(
    transport: str,
) -> None:
    sandbox = Sandbox(seed=11)
    records = make_records(24, seed=19)
    with SandboxServer(sandbox) as upstream:
        proxy = Desyncing(upstream.base_url.split("/integration")[0])
        async with tcp_server(proxy.connection) as port:
            base = f"http://127.0.0.1:{port}/integration/v1"
            async with LegitHealth(
                sandbox.token,
                base_url=base,
                transport=transport,  # type: ignore[arg-type]
                retry_policy=RetryPolicy(max_retries=8, initial=0.001, maximum=0.002),
                sleep=no_sleep,
            ) as lh:
                async with sync_patients(lh, records, concurrency=4) as stream:
                    outcomes = [o async for o in stream]
    assert proxy.desynced > 10
    assert len(outcomes) == len(records)
    assert [o for o in outcomes if o.failed] == []
    for outcome in outcomes:
        held = sandbox.patient(outcome.external_id or "")
        assert held is not None
        assert outcome.patient_id == held["id"]  # its own id: never another record's
    check_created_as_recorded(sandbox, records)  # each created once, as recorded


@pytest.mark.parametrize("transport", ["asyncio", "httpx"])
async def test_framing_is_watched_inside_a_proxys_tls_tunnel(
    transport: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """Through a CONNECT tunnel and TLS inside it (the guard follows the stream's TLS)."""
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("api.framing.test").configure_cert(server_ctx)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    api = Served([answer(ONE) + SMUGGLED, answer(patient("p2"))])
    tls = await asyncio.start_server(api._connection, "127.0.0.1", 0, ssl=server_ctx)
    tls_port = tls.sockets[0].getsockname()[1]

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()

    async def tunnel(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", tls_port)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    async with tls, tcp_server(tunnel) as proxy_port:
        monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy_port}")
        async with LegitHealth(
            TOKEN,
            base_url="https://api.framing.test/v1",
            transport=transport,  # type: ignore[arg-type]
            max_retries=0,
        ) as lh:
            first, second = await two_lookups(lh)
    assert isinstance(first, APIConnectionError) and first.reason == "RemoteProtocolError"
    assert second is not None and second.id == "lh-p2"
    assert api.connections == 2
