"""2. Bulk sync throughput against the in-process sandbox with 50 ms latency on every operation.

Compared with Little's law (at most ``concurrency / latency`` requests per second) and with what
a user would write on the bare generated client: an unbounded ``asyncio.gather`` of creates (over
httpx's default pool, emulated) and a sequential loop (measured on a subset, extrapolated).
"""

from __future__ import annotations

import asyncio
import collections
import json
import time
from typing import Any

import httpx

from legithealth_async import LegitHealth
from legithealth_async._generated import AuthenticatedClient
from legithealth_async._generated import models as gen
from legithealth_async._generated.api.patients import create_patient
from legithealth_async.sandbox import Sandbox
from legithealth_async.sync import Outcome, sync_patients

from ._common import (
    BASE_URL,
    TOKEN,
    CountingTransport,
    LatencyTransport,
    PooledTransport,
    Report,
    Settings,
    iter_records,
    median,
    patient_json,
    spread,
)

LATENCY_MS = 50.0
LATENCY_S = LATENCY_MS / 1000


def _sandbox() -> Sandbox:
    sandbox = Sandbox(seed=1)
    sandbox.faults.set("*", latency_ms=LATENCY_MS)
    return sandbox


async def sync_once(
    concurrency: int, n: int, profile: Any = None, *, server: str = "sandbox"
) -> dict[str, float]:
    """One bulk sync of ``n`` new patients; records/s, requests/s, failures.

    ``server="sandbox"``: the in-process sandbox; ``"latency"``: a server that only sleeps.
    """
    transport: Any
    if server == "sandbox":
        sandbox = _sandbox()
        token, url = sandbox.token, sandbox.base_url
        transport = CountingTransport(sandbox.transport())
    else:
        token, url = TOKEN, BASE_URL
        transport = LatencyTransport(LATENCY_S, json.dumps(patient_json(1)).encode())
    records = list(iter_records(n))
    async with LegitHealth(
        token, base_url=url, transport=transport, max_in_flight=concurrency
    ) as lh:
        failed = 0
        outcomes: collections.Counter[str] = collections.Counter()
        if profile is not None:
            profile.start()
        started = time.perf_counter()
        cpu = time.process_time()
        async with sync_patients(lh, records, concurrency=concurrency) as stream:
            async for outcome in stream:
                outcomes[outcome.outcome.value] += 1
                if outcome.outcome is Outcome.FAILED:
                    failed += 1
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
        if profile is not None:
            profile.stop()
    return {
        "records_s": n / elapsed,
        "requests_s": transport.requests / elapsed,
        "requests": transport.requests,
        "failed": failed,
        "elapsed": elapsed,
        "cpu_us": cpu / transport.requests * 1e6,
    }


def _gen_body(record: Any) -> gen.PatientCreate:
    return gen.PatientCreate(
        external_id=record.external_id,
        email=record.email,
        first_name=record.first_name,
        last_name=record.last_name,
        birth_date=record.birth_date,
        gender=record.gender,
        language=record.language,
        conditions=[
            gen.ConditionInput(
                pathology_code=c.pathology_code,
                body_site_code=c.body_site_code,
                is_tracked=c.is_tracked,
            )
            for c in record.conditions
        ],
    )


def _generated_client(transport: httpx.AsyncBaseTransport, token: str, url: str) -> Any:
    return AuthenticatedClient(
        base_url=url,
        token=token,
        prefix="",
        auth_header_name="X-API-TOKEN",
        httpx_args={"transport": transport},
    )


async def naive_gather(n: int) -> dict[str, float]:
    """Every create at once over the bare generated client (httpx's default pool)."""
    sandbox = _sandbox()
    client = _generated_client(
        PooledTransport(sandbox.transport()), sandbox.token, sandbox.base_url
    )
    records = list(iter_records(n))

    async def one(record: Any) -> str:
        r = await create_patient.asyncio_detailed(client=client, body=_gen_body(record))
        return "ok" if r.status_code == 201 else f"HTTP {int(r.status_code)}"

    started = time.perf_counter()
    results = await asyncio.gather(*(one(r) for r in records), return_exceptions=True)
    elapsed = time.perf_counter() - started
    await client.get_async_httpx_client().aclose()
    kinds = collections.Counter(r if isinstance(r, str) else type(r).__name__ for r in results)
    ok = kinds.pop("ok", 0)
    return {
        "records_s": ok / elapsed,
        "requests_s": n / elapsed,
        "failed": n - ok,
        "pool_timeouts": kinds.get("PoolTimeout", 0),
        "kinds": dict(kinds),  # type: ignore[dict-item]
        "elapsed": elapsed,
    }


async def naive_sequential(n: int) -> dict[str, float]:
    """One create after the other over the bare generated client."""
    sandbox = _sandbox()
    client = _generated_client(sandbox.transport(), sandbox.token, sandbox.base_url)
    ok = 0
    started = time.perf_counter()
    for record in iter_records(n):
        r = await create_patient.asyncio_detailed(client=client, body=_gen_body(record))
        ok += r.status_code == 201
    elapsed = time.perf_counter() - started
    await client.get_async_httpx_client().aclose()
    return {"records_s": ok / elapsed, "requests_s": n / elapsed, "failed": n - ok}


def run(settings: Settings, report: Report) -> None:
    sec = "2 sync @50 ms"
    seq = asyncio.run(naive_sequential(settings.sequential_records))
    gathers = [asyncio.run(naive_gather(settings.sync_records)) for _ in range(settings.sync_reps)]
    gather_rate = median([g["records_s"] for g in gathers])
    seq_rate = seq["records_s"]
    report.add(
        sec,
        f"naive sequential loop ({settings.sequential_records} records, extrapolated)",
        f"{seq_rate:,.1f} rec/s",
        f"{seq_rate * LATENCY_S:.0%} of its bound (1 in flight)",
        "",
        f"{settings.sync_records:,} records would take "
        f"{settings.sync_records / seq_rate / 60:.1f} min",
    )
    pool_timeouts = sum(g["pool_timeouts"] for g in gathers)
    failed = sum(g["failed"] for g in gathers)
    kinds: collections.Counter[str] = collections.Counter()
    for g in gathers:
        kinds.update(g["kinds"])  # type: ignore[arg-type]
    report.add(
        sec,
        f"naive unbounded gather ({settings.sync_records:,} creates, default pool)",
        f"{gather_rate:,.0f} rec/s",
        f"{median([g['requests_s'] for g in gathers]) * LATENCY_S / 100:.0%} of its bound "
        "(100 conns)",
        "",
        f"failures {failed}, pool timeouts {pool_timeouts} over {len(gathers)} runs"
        + (f" ({dict(kinds)})" if kinds else ""),
    )
    report.notes.append(
        "Sync: the naive baselines only create (a fresh sandbox has no patients); the sync "
        "looks each record up first (getPatients, 100 ids per request) and then creates, so it "
        "sends ~1.01 requests per record. The naive gather runs over an emulation of httpx's "
        "default pool (100 connections, 5 s pool timeout), which an in-process transport lacks."
    )
    for server, concurrencies in (
        ("sandbox", settings.concurrencies),
        ("latency", settings.latency_only),
    ):
        for concurrency in concurrencies:
            n = settings.sync_records if concurrency >= 50 else settings.sync_records_low
            runs = [
                asyncio.run(sync_once(concurrency, n, server=server))
                for _ in range(settings.sync_reps)
            ]
            rec = median([r["records_s"] for r in runs])
            req = median([r["requests_s"] for r in runs])
            cpu_us = median([r["cpu_us"] for r in runs])
            bound = concurrency / LATENCY_S
            eff = req / bound
            # One event loop, all requests released together by a fixed latency: each round
            # trip is the latency plus the CPU of every request in flight (a convoy).
            model = concurrency / (LATENCY_S + concurrency * cpu_us / 1e6)
            target = ""
            if concurrency == 100 and server == "sandbox":
                target = f"≥85% of bound: {'met' if eff >= 0.85 else 'MISSED'}"
            where = "sandbox" if server == "sandbox" else "zero-CPU server"
            report.add(
                sec,
                f"sync_patients, concurrency {concurrency}, {where} ({n:,} records)",
                f"{rec:,.0f} rec/s, {req:,.0f} req/s",
                f"{eff:.0%} of bound {bound:,.0f} req/s; "
                f"{rec / max(seq_rate, 1e-9):,.0f}x sequential, {rec / gather_rate:.2f}x gather",
                target,
                f"{len(runs)} reps {spread([r['records_s'] for r in runs])}, "
                f"failures {sum(r['failed'] for r in runs)}; CPU {cpu_us:,.0f} µs/req, "
                f"convoy model {model:,.0f} req/s",
            )
    report.notes.append(
        "Sync, convoy model: with a fixed 50 ms latency and one event loop, the requests in "
        "flight come back together and queue for the CPU, so a round trip is latency + "
        "concurrency x CPU per request; throughput ≈ concurrency / (latency + concurrency x "
        "CPU/request). CPU/request is the process's CPU time (client, sync and, for the sandbox "
        "rows, the in-process sandbox) over the requests sent. The zero-CPU server rows "
        "(sleep, canned answer) isolate the client's own cost."
    )


def profile(concurrency: int = 100, n: int = 5000) -> str:
    """A pyinstrument profile of one sync (``python -m benchmarks --profile``)."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005, async_mode="disabled")
    stats = asyncio.run(sync_once(concurrency, n, profiler))
    head = f"sync at concurrency {concurrency}, {n} records: {stats}\n"
    return head + profiler.output_text(unicode=False, color=False)
