"""5. Real HTTP on loopback: the default transport (pools of 4) against one httpx pool.

The sandbox runs in a separate process (``python -m legithealth_async.sandbox``) with 50 ms of
latency, so the client's CPU is measured alone. Each run sends getPatients calls at a fixed
number in flight; the baseline is the same facade over a single ``httpx.AsyncClient`` pool
sized to the same number of connections (what the client did before, and what a user who injects
``http_client=httpx.AsyncClient(limits=...)`` gets).
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from legithealth_async import LegitHealth

from ._common import Report, Settings, median, spread

LATENCY_MS = 50.0
TOKEN = "bench-token"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _server() -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "legithealth_async.sandbox",
            "--port",
            str(port),
            "--token",
            TOKEN,
            "--latency-ms",
            str(LATENCY_MS),
            "--log-level",
            "error",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/integration/v1"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def _run(base: str, concurrency: int, calls: int, single_pool: bool) -> tuple[float, float]:
    own = (
        httpx.AsyncClient(
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        )
        if single_pool
        else None
    )
    async with LegitHealth(TOKEN, base_url=base, max_in_flight=concurrency, http_client=own) as lh:
        gate = asyncio.Semaphore(concurrency)

        async def one(i: int) -> None:
            async with gate:
                await lh.patients.get(f"bench-{i}")

        await asyncio.gather(*[one(i) for i in range(concurrency)])  # open the connections
        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*[one(i) for i in range(calls)])
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    if own is not None:
        await own.aclose()
    return calls / wall, cpu / calls * 1e6


def run(settings: Settings, report: Report) -> None:
    sec = "5 loopback @50 ms"
    calls = 300 if settings.quick else 800
    reps = 1 if settings.quick else 2
    with _server() as base:
        for concurrency in (32, 64, 128):
            bound = concurrency / (LATENCY_MS / 1000)
            rows = {}
            for single in (True, False):
                runs = [asyncio.run(_run(base, concurrency, calls, single)) for _ in range(reps)]
                rows[single] = ([r[0] for r in runs], [r[1] for r in runs])
            base_rate = median(rows[True][0])
            for single in (True, False):
                rates, cpus = rows[single]
                what = "one httpx pool (baseline)" if single else "default transport, pools of 4"
                ratio = (
                    f"{median(rates) / bound:.0%} of bound {bound:,.0f} req/s"
                    if single
                    else f"{median(rates) / base_rate:.1f}x one pool; "
                    f"{median(rates) / bound:.0%} of bound {bound:,.0f} req/s"
                )
                report.add(
                    sec,
                    f"getPatients x{calls}, {concurrency} in flight: {what}",
                    f"{median(rates):,.0f} req/s",
                    ratio,
                    "",
                    f"{reps} reps {spread(rates)}; client CPU {median(cpus):,.0f} µs/req",
                )
    report.notes.append(
        "Loopback: the sandbox runs in its own process (2 cores: client and server each get "
        "one). httpcore's pool does O(connections²) work per request, so one pool of 64+ "
        "connections collapses; the default transport splits the connections into pools of 4."
    )
