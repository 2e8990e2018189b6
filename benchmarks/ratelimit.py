"""6. The sync finds the server's rate limit: the sandbox in its rate-limit mode (N requests a
second, 429 + Retry-After beyond), a sync of new records with and without the pacer.

In-process sandbox (no socket, nothing leaves the machine), real time, bounded by the record
count. The achieved rate is the requests the sandbox accepted per second of the sync; the 429
share is of every request it was sent. Run alone: ``python -m benchmarks --only ratelimit``.
"""

from __future__ import annotations

import time
from typing import Any

import anyio

from legithealth_async import LegitHealth
from legithealth_async.sandbox import Sandbox
from legithealth_async.sync import Outcome, sync_patients

from ._common import Report, Settings, iter_records

LIMIT = 50.0  # requests a second: low enough for a busy 2-core machine to exceed it easily
CONCURRENCY = 32


async def _sync(count: int, pacing: bool) -> dict[str, Any]:
    sandbox = Sandbox(seed=13)
    sandbox.set_rate_limit(LIMIT)
    records = list(iter_records(count))
    client = LegitHealth(sandbox.token, base_url=sandbox.base_url, transport=sandbox.transport())
    async with client as lh:
        started = time.perf_counter()
        session = sync_patients(lh, records, concurrency=CONCURRENCY, pacing=pacing)
        async with session as outcomes:
            failed = sum([o.outcome is Outcome.FAILED async for o in outcomes])
        elapsed = time.perf_counter() - started
    limit = sandbox.rate_limit
    assert limit is not None
    sent = limit.allowed + limit.refused
    pacer = session.options.pacer
    return {
        "rate": limit.allowed / elapsed,
        "share": limit.refused / sent if sent else 0.0,
        "sent": sent,
        "failed": failed,
        "elapsed": elapsed,
        "decreases": pacer.decreases if pacer is not None else 0,
    }


def run(settings: Settings, report: Report) -> None:
    count = 300 if settings.quick else 1500
    sec = "6 rate limit"
    for pacing in (True, False):
        r = anyio.run(_sync, count if pacing else count // 3, pacing)
        ratio = r["rate"] / LIMIT
        met = abs(ratio - 1) <= 0.15 and r["share"] < 0.05
        report.add(
            sec,
            f"sync, {'paced (pacing=True)' if pacing else 'not paced'}, limit {LIMIT:.0f}/s",
            f"{r['rate']:.1f} req/s, 429s {100 * r['share']:.1f}%",
            f"{ratio:.2f}x the limit",
            f"within 15%, 429s <5%: {'met' if met else 'MISSED'}" if pacing else "",
            f"{r['sent']} requests in {r['elapsed']:.1f} s, failed {r['failed']}, "
            f"rate decreases {r['decreases']}",
        )
