"""3. ``patients.get_many`` over 10,000 ids at 50 ms latency, against one chunk at a time."""

from __future__ import annotations

import asyncio
import time

from legithealth_async import LegitHealth
from legithealth_async import _constants as C
from legithealth_async.sandbox import Sandbox

from ._common import Report, Settings, median, record_json, spread

LATENCY_MS = 50.0


def _seeded(n: int) -> Sandbox:
    sandbox = Sandbox(seed=1)
    # Seeded directly in the sandbox's state (a benchmark fixture: no requests, no latency).
    world = sandbox._world
    for i in range(n):
        world.create_patient(record_json(i))
    sandbox.faults.set("*", latency_ms=LATENCY_MS)
    return sandbox


async def _one_round(sandbox: Sandbox, ids: list[str]) -> tuple[float, float]:
    async with LegitHealth(
        sandbox.token, base_url=sandbox.base_url, transport=sandbox.transport()
    ) as lh:
        started = time.perf_counter()
        result = await lh.patients.get_many(ids)
        concurrent = time.perf_counter() - started
        assert len(result.found) == len(ids), result
        started = time.perf_counter()
        found = 0
        for start in range(0, len(ids), C.MAX_IDS_PER_REQUEST):
            chunk = await lh.patients.get_many(ids[start : start + C.MAX_IDS_PER_REQUEST])
            found += len(chunk.found)
        sequential = time.perf_counter() - started
        assert found == len(ids)
    return concurrent, sequential


def run(settings: Settings, report: Report) -> None:
    n = settings.getmany_ids
    sandbox = _seeded(n)
    ids = [f"ext-{i:08d}" for i in range(n)]
    rounds = [asyncio.run(_one_round(sandbox, ids)) for _ in range(settings.getmany_reps)]
    conc = [r[0] for r in rounds]
    seq = [r[1] for r in rounds]
    chunks = -(-n // C.MAX_IDS_PER_REQUEST)
    floor = -(-chunks // C.DEFAULT_MAX_IN_FLIGHT) * LATENCY_MS / 1000
    sec = "3 get_many @50 ms"
    report.add(
        sec,
        f"one chunk at a time ({chunks} sequential awaits of 100 ids)",
        f"{median(seq):.2f} s",
        "1.00x (baseline)",
        "",
        f"{len(rounds)} reps {spread(seq)}; floor {chunks * LATENCY_MS / 1000:.1f} s",
    )
    report.add(
        sec,
        f"get_many({n:,} ids), max_in_flight {C.DEFAULT_MAX_IN_FLIGHT} (default)",
        f"{median(conc):.2f} s",
        f"{median(seq) / median(conc):.1f}x faster",
        "",
        f"{len(rounds)} reps {spread(conc)}; latency floor {floor:.2f} s",
    )
