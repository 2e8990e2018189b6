"""The budget of decoded bytes in flight across all answers (issue 19 §4): sixteen gzip bombs
read at once hold the budget, not sixteen times the per-answer bound, and give it all back."""

from __future__ import annotations

import asyncio
import json
import sys
import tracemalloc
import zlib
from pathlib import Path

import httpx
import pytest
from _toolkit import tcp_server

from legithealth_async import LegitHealth
from legithealth_async._budget import DECODED
from legithealth_async.errors import UnexpectedResponseError

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from measure_decoded_budget import bomb_prefix  # the script's own bomb

pytestmark = pytest.mark.loopback

MiB = 1024 * 1024


def _gzip(decoded: bytes | int) -> bytes:
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    if isinstance(decoded, bytes):
        return z.compress(decoded) + z.flush()
    block = b"[" + b" " * (MiB - 1)
    parts = [z.compress(block)] + [z.compress(b" " * MiB) for _ in range(decoded // MiB)]
    return b"".join(parts) + z.flush()


def _answer(body: bytes) -> bytes:
    head = f"HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: {len(body)}\r\n\r\n"
    return head.encode() + body


async def _many(base: str, transport: str, count: int, bound: int) -> list[object]:
    async with LegitHealth(
        "t",
        base_url=base,
        transport=transport,  # type: ignore[arg-type]
        max_retries=0,
        max_response_bytes=bound,
        timeout=httpx.Timeout(30.0),
    ) as lh:
        return await asyncio.gather(
            *(lh.patients.get(f"p{i}") for i in range(count)), return_exceptions=True
        )


@pytest.mark.parametrize("transport", ["asyncio", "httpx"])
async def test_sixteen_bombs_at_once_hold_the_budget_not_sixteen_bounds(
    monkeypatch: pytest.MonkeyPatch, transport: str
) -> None:
    monkeypatch.setattr(DECODED, "capacity", 16 * MiB)
    # Each answer: 6 MiB decoded (under its own 8 MiB bound), then a stall: all sixteen are
    # held at once until the deadline, unless the budget refuses them.
    head = b"HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: 999999\r\n\r\n"
    prefix = head + bomb_prefix(6)

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(prefix)
        await writer.drain()
        await reader.read()  # until the client gives up

    async with tcp_server(connection) as port:
        tracemalloc.start()
        try:
            async with LegitHealth(
                "t",
                base_url=f"http://127.0.0.1:{port}/v1",
                transport=transport,  # type: ignore[arg-type]
                max_retries=0,
                max_response_bytes=8 * MiB,
                timeout=httpx.Timeout(5.0, read=1.0),
                attempt_deadline=1.5,
            ) as lh:
                results = await asyncio.gather(
                    *(lh.patients.get(f"p{i}") for i in range(16)), return_exceptions=True
                )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    refused = [r for r in results if "in flight over" in str(r)]
    # Before: none refused, all sixteen held their 6 MiB at once (96 MiB) until the deadline.
    assert len(refused) >= 13, [str(r) for r in results]
    assert all(isinstance(r, UnexpectedResponseError) for r in refused)
    assert peak < 16 * MiB + 16 * 2 * MiB  # the budget, plus a piece in the decoder per answer
    assert DECODED.held == 0  # every body gave its bytes back, refused or timed out


@pytest.mark.parametrize("transport", ["asyncio", "httpx"])
async def test_one_answer_alone_is_bounded_by_its_own_bound_only(
    monkeypatch: pytest.MonkeyPatch, transport: str
) -> None:
    monkeypatch.setattr(DECODED, "capacity", 1 * MiB)
    patients = [{"id": f"lh-{i}", "externalId": "p0", "conditions": []} for i in range(1)]
    body = json.dumps(patients).encode() + b" " * (2 * MiB)  # 2 MiB decoded: over the budget

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(_answer(_gzip(body)))
            await writer.drain()

    async with tcp_server(connection) as port:
        (found,) = await _many(f"http://127.0.0.1:{port}/v1", transport, 1, 4 * MiB)
    assert getattr(found, "id", None) == "lh-0"
    assert DECODED.held == 0
