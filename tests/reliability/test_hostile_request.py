"""The request path against servers that lie or dribble (issue 10's request-path items).

Each uses a hostile server of its own (a raw asyncio server on 127.0.0.1, port 0) where the
sandbox cannot misbehave that way, an in-process transport, or the scripted server on every
transport (``tests/_scripted.py``).
"""

from __future__ import annotations

import asyncio
import json
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import pytest
from _scripted import Connect, ScriptedServer, on_transport
from _toolkit import tcp_server

from legithealth_async import (
    APITimeoutError,
    LegitHealth,
    RetryPolicy,
    UnexpectedResponseError,
)
from legithealth_async.sandbox import Sandbox
from legithealth_async.sync import sync_patients

from .conftest import make_records

pytestmark = pytest.mark.loopback

TOKEN = "tok-SENTINEL-7c1e"


class Sleeps(list[float]):
    """Records every backoff instead of sleeping."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def patient_json(external_id: str) -> dict[str, Any]:
    return {
        "id": f"lh-{external_id}",
        "externalId": external_id,
        "email": "ada@example.org",
        "conditions": [],
    }


Handler = Callable[[str, str, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def raw_server(handler: Handler) -> AsyncIterator[tuple[str, list[str]]]:
    """A bare HTTP/1.1 server: ``handler(method, path, writer)`` writes whatever it likes.

    Yields the base URL and the ``"METHOD path"`` of every request received.
    """
    seen: list[str] = []

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            length = next(
                (int(h.split(":", 1)[1]) for h in lines if h.lower().startswith("content-length")),
                0,
            )
            await reader.readexactly(length)
            if path.endswith("/practitioners/specialties"):  # the warm-up
                writer.write(answer(200, b"[]"))
                continue
            seen.append(f"{method} {path.split('?')[0]}")
            await handler(method, path, writer)

    async with tcp_server(connection) as port:
        yield f"http://127.0.0.1:{port}/v1", seen


def answer(status: int, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    head = (
        f"HTTP/1.1 {status} X\r\ncontent-length: {len(body)}\r\ncontent-type: application/json\r\n"
    )
    for name, value in (headers or {}).items():
        head += f"{name}: {value}\r\n"
    return head.encode() + b"\r\n" + body


async def dribble(writer: asyncio.StreamWriter, data: bytes, every: float = 0.05) -> None:
    """One byte at a time, each well within the read timeout: never ends in practice."""
    for byte in data:
        writer.write(bytes([byte]))
        await writer.drain()
        await asyncio.sleep(every)
    while True:  # then keep the connection alive, one header line a byte at a time
        writer.write(b"x")
        await writer.drain()
        await asyncio.sleep(every)


@asynccontextmanager
async def client(
    base_url: str, sleeps: Sleeps, transport: str, **kw: Any
) -> AsyncIterator[LegitHealth]:
    """A client on ``transport`` whose connection pools are made already (by one request)."""
    async with (
        on_transport(transport) as chosen,
        LegitHealth(
            TOKEN,
            base_url=base_url,
            timeout=httpx.Timeout(5.0, read=0.5),
            attempt_deadline=0.4,
            retry_policy=RetryPolicy(max_retries=1, random=lambda: 0.0),
            sleep=sleeps,
            **chosen,
            **kw,
        ) as lh,
    ):
        # Under its own generous deadline: the first request also makes the TLS context.
        await lh.with_options(attempt_deadline=600).practitioners.specialties()
        yield lh


# ------------------------------------------------------------------------ total deadline


@pytest.mark.parametrize(
    "stage",
    [b"HTTP/1.1 200 OK\r\n", b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n"],
    ids=["status line and headers", "body"],
)
async def test_a_dribbling_read_ends_at_the_attempt_deadline_and_is_retried(
    stage: bytes, transport: str
) -> None:
    async def handler(method: str, path: str, writer: asyncio.StreamWriter) -> None:
        await dribble(writer, stage)

    sleeps = Sleeps()
    async with raw_server(handler) as (url, seen), client(url, sleeps, transport) as lh:
        with pytest.raises(APITimeoutError) as info:
            await lh.patients.get("p1")
    # The deadline fired (not the per-chunk read timeout), on each of the two attempts.
    assert info.value.reason == "AttemptDeadline"
    assert seen == ["GET /v1/patients", "GET /v1/patients"]
    assert sleeps == [0.5]


async def test_a_dribbled_create_is_reconciled_like_any_timeout(transport: str) -> None:
    async def handler(method: str, path: str, writer: asyncio.StreamWriter) -> None:
        if method == "POST":
            await dribble(writer, b"HTTP/1.1 201 Created\r\n")
        else:  # the lookup: the first POST did not make it
            writer.write(answer(200, b"[]"))

    sleeps = Sleeps()
    async with raw_server(handler) as (url, seen), client(url, sleeps, transport) as lh:
        with pytest.raises(APITimeoutError) as info:
            await lh.patients.create(external_id="p1", email="ada@example.org")
    assert info.value.reason == "AttemptDeadline"
    # Each ambiguous attempt looked up, retried only once the lookup proved absence.
    assert seen == ["POST /v1/patients", "GET /v1/patients"] * 2


class DribblingFor(httpx.AsyncBaseTransport):
    """The sandbox's transport, except that createPatient for one external id dribbles."""

    legithealth_in_process = True  # opens no socket (see legithealth_async._config)

    def __init__(self, inner: httpx.AsyncBaseTransport, victim: str) -> None:
        self.inner = inner
        self.victim = victim
        self.dribbled = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and json.loads(request.content)["externalId"] == self.victim:
            self.dribbled += 1
            return httpx.Response(201, stream=_Dribble())
        return await self.inner.handle_async_request(request)


class _Dribble(httpx.AsyncByteStream):
    """A body that starts and never ends. In-process no read timeout applies, so only the
    attempt's deadline can end it (no timer of the test's decides when)."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b" "
        await anyio.sleep_forever()


async def test_in_a_sync_only_the_dribbled_record_fails() -> None:
    sandbox = Sandbox(seed=3)
    records = make_records(12, seed=5)
    victim = records[4].external_id
    transport = DribblingFor(sandbox.transport(), victim)
    sleeps = Sleeps()
    async with LegitHealth(
        sandbox.token,
        base_url=sandbox.base_url,
        transport=transport,
        attempt_deadline=0.3,
        retry_policy=RetryPolicy(max_retries=1),
        sleep=sleeps,
    ) as lh:
        async with sync_patients(lh, records, concurrency=4) as stream:
            outcomes = [o async for o in stream]
    assert len(outcomes) == len(records)
    failed = [o for o in outcomes if o.failed]
    assert [o.external_id for o in failed] == [victim]
    assert failed[0].reason is not None and failed[0].reason.error == "APITimeoutError"
    assert transport.dribbled == 2  # the attempt and its one retry, each cut by the deadline
    assert all(o.outcome.value == "created" for o in outcomes if not o.failed)


# --------------------------------------------------------------------------- gzip bombs


def _bomb(decoded: int) -> bytes:
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"[" + b" " * (1024 * 1024 - 1)
    parts = [z.compress(block)] + [
        z.compress(b" " * len(block)) for _ in range(decoded // len(block))
    ]
    return b"".join(parts) + z.flush()


async def test_a_gzip_bomb_is_refused_without_inflating_it(transport: str) -> None:
    bound = 1024 * 1024
    bomb = _bomb(64 * 1024 * 1024)  # 64 KiB on the wire, 64 MiB inflated

    async def handler(method: str, path: str, writer: asyncio.StreamWriter) -> None:
        writer.write(answer(200, bomb, {"content-encoding": "gzip"}))

    async with raw_server(handler) as (url, seen):
        async with client(url, Sleeps(), transport, max_response_bytes=bound) as lh:
            tracemalloc.start()
            try:
                with pytest.raises(UnexpectedResponseError) as info:
                    await lh.patients.get("p1")
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
    assert "body over" in info.value.reason
    assert seen == ["GET /v1/patients"]  # refused, not retried
    assert peak < 8 * bound  # the bound, plus a wire chunk, never the 64 MiB


@pytest.mark.parametrize(
    ("encoding", "wbits"),
    [("gzip", 16 + zlib.MAX_WBITS), ("deflate", zlib.MAX_WBITS), ("deflate", -zlib.MAX_WBITS)],
    ids=["gzip", "deflate-zlib", "deflate-raw"],
)
async def test_a_compressed_answer_within_the_bound_is_read(
    encoding: str, wbits: int, transport: str
) -> None:
    body = json.dumps([patient_json("p1")]).encode()
    z = zlib.compressobj(wbits=wbits)
    packed = z.compress(body) + z.flush()

    async def handler(method: str, path: str, writer: asyncio.StreamWriter) -> None:
        writer.write(answer(200, packed, {"content-encoding": encoding}))

    async with raw_server(handler) as (url, _), client(url, Sleeps(), transport) as lh:
        patient = await lh.patients.get("p1")
    assert patient is not None and patient.external_id == "p1"


# ---------------------------------------------------------------- answers about another patient


async def test_a_create_answered_with_another_patients_body_is_reconciled(
    connect: Connect, scripted: ScriptedServer
) -> None:
    scripted.add_response(
        url="/patients", method="POST", status_code=201, json=patient_json("someone-else")
    )
    scripted.add_response(url="/patients?externalIds%5B%5D=p1", json=[])
    async with connect() as lh:
        with pytest.raises(UnexpectedResponseError) as info:
            await lh.patients.create(external_id="p1", email="ada@example.org")
    assert "externalId differs" in info.value.reason
    assert "someone-else" not in str(info.value)
    assert [r.method for r in scripted.get_requests()] == ["POST", "GET"]


async def test_a_create_answered_with_another_body_finds_ours_if_it_was_made(
    connect: Connect, scripted: ScriptedServer
) -> None:
    scripted.add_response(
        url="/patients", method="POST", status_code=201, json=patient_json("someone-else")
    )
    scripted.add_response(url="/patients?externalIds%5B%5D=p1", json=[patient_json("p1")])
    async with connect() as lh:
        patient = await lh.patients.create(external_id="p1", email="ada@example.org")
    assert patient.external_id == "p1"


async def test_a_patch_answered_with_another_patients_body_is_refused(
    connect: Connect, scripted: ScriptedServer
) -> None:
    scripted.add_response(url="/patients/p1", method="PATCH", json=patient_json("someone-else"))
    async with connect() as lh:
        with pytest.raises(UnexpectedResponseError) as info:
            await lh.patients.patch("p1", first_name="Ada")
    assert "externalId differs" in info.value.reason
    assert len(scripted.get_requests()) == 1


async def test_an_episode_answered_for_another_condition_is_refused(
    connect: Connect, scripted: ScriptedServer
) -> None:
    other = {
        "id": "e1",
        "externalId": None,
        "conditionId": "another-condition",
        "status": "active",
        "startedAt": "2026-03-02T11:00:00Z",
        "finishedAt": None,
    }
    url = "/conditions/c1/episodes-of-care"
    scripted.add_response(url=url, method="POST", status_code=201, json=other)
    # The lookup proves nothing was made (a lookup listing the other condition's episode is
    # itself refused: tests/facade/test_lying_lists.py).
    scripted.add_response(url=url, method="GET", json=[])
    async with connect() as lh:
        with pytest.raises(UnexpectedResponseError) as info:
            await lh.episodes_of_care.create("c1")
    assert "conditionId differs" in info.value.reason
