"""7. Heavy tail: a sync against an upstream whose answers spread as real ones do (issue 24).

The upstream (``upstream.py --tail``, its own process) draws each answer's latency from a
lognormal (median 50 ms, p99 ~1 s, capped at 5 s), holds ~0.1% of the answers until the client
gives up (its attempt deadline, 2 s here), and answers ~0.5% of the requests 503 with
``Retry-After: 1``. It adds up the latencies it actually served (a held answer: until the client
closed the connection); the **tail-aware bound** on the sync's time is that sum / concurrency
(Little's law with those answers), and the share reported is bound / wall time.

Beside it, the uniform rows (every answer 50 ms, as in section 5), each with the outcomes in
completion order (the default) and in input order (``ordered=True``, the sync's behaviour before
issue 24), measured in the same run. Each sync runs in a process of its own (``python -m
benchmarks.tail child ...``): its CPU per record and its peak RSS are the client's alone.
``python -m benchmarks tail`` runs this section only.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import AbstractContextManager

from . import loopback
from ._common import Report, Settings, median, record_json, spread
from .loopback import ROOT

HOLD_RATE = 0.001
ERROR_RATE = 0.005
ATTEMPT_DEADLINE_S = 2.0
SEC = "7 heavy tail @50 ms median"
#: Records per slot of concurrency in every judged run (2,400 at concurrency 16, 15,000 at 100):
#: the same run length per slot at every concurrency, so the end of a run (its last answers have
#: nothing left to overlap with) weighs the same in each share. A bulk sync is tens of thousands.
PER_SLOT = 150
#: The short run reported beside it at concurrency 100 (the 6,000 records measured before).
SHORT_PER_SLOT = 60


def upstream(tail: bool) -> AbstractContextManager[str]:
    """The upstream in its own process (heavy-tailed or uniform); yields its base URL."""
    if not tail:
        return loopback.upstream()
    return loopback.upstream(
        "--tail", "--hold-rate", str(HOLD_RATE), "--error-rate", str(ERROR_RATE)
    )


def measure(base: str, concurrency: int, n: int, ordered: bool) -> dict[str, float]:
    """One sync of ``n`` new records in its own process."""
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.tail", "child", base, str(concurrency), str(n)]
        + (["ordered"] if ordered else []),
        cwd=tempfile.gettempdir(),
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=900,
    )
    if out.returncode != 0:
        raise RuntimeError(f"tail child: {(out.stderr.strip().splitlines() or ['?'])[-1][:200]}")
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def run(settings: Settings, report: Report) -> None:
    reps = 1 if settings.quick else 2
    per_slot = 40 if settings.quick else PER_SLOT
    for tail in (False, True):
        with upstream(tail) as base:
            for concurrency in (16, 100):
                n = per_slot * concurrency
                for ordered in (True, False):
                    runs = [measure(base, concurrency, n, ordered) for _ in range(reps)]
                    _add(report, runs, tail, concurrency, n, ordered)
            if tail:  # a short run: its end weighs more (no target; see the note)
                n = SHORT_PER_SLOT * 100
                runs = [measure(base, 100, n, False) for _ in range(reps)]
                _add(report, runs, tail, 100, n, False, judged=False)
    report.notes.append(
        "Heavy tail: the bound is the sum of the latencies the upstream served (held answers "
        "until the client gave up) / concurrency; a Retry-After wait is not in it (the client "
        "sleeps, the server serves nothing), so 100% is out of reach by that much. Input "
        "order is the sync before issue 24 (outcomes in input order, a window of 8 x "
        "concurrency): one slow answer stalls the run once the window fills behind it. What "
        "completion order leaves is the end of the run: its last answers have nothing left to "
        "overlap with (LIMITS.md); judged runs have 150 records per slot at every concurrency, "
        "and a short run (60 per slot) at concurrency 100 shows what the end costs."
    )


def _add(
    report: Report,
    runs: list[dict[str, float]],
    tail: bool,
    concurrency: int,
    n: int,
    ordered: bool,
    *,
    judged: bool = True,
) -> None:
    shares = [r["served_s"] / concurrency / r["wall"] for r in runs]
    share = median(shares)
    rec = median([n / r["wall"] for r in runs])
    cpu = median([r["cpu_s"] / n * 1e6 for r in runs])
    rss = median([r["rss_kib"] / 1024 for r in runs])
    target = ""
    if tail and not ordered and judged:
        target = f"≥80% of bound: {'met' if share >= 0.8 else 'MISSED'}"
    what = "heavy tail" if tail else "uniform 50 ms"
    order = "input order (before)" if ordered else "completion order"
    failed = sum(r["failed"] for r in runs)
    report.add(
        SEC,
        f"sync, {what}, concurrency {concurrency}, {order} ({n:,} records)",
        f"{rec:,.0f} rec/s",
        f"{share:.0%} of the bound",
        target,
        f"{len(runs)} reps {spread(shares)}; CPU {cpu:,.0f} µs/record; peak RSS {rss:.0f} MiB; "
        f"failures {failed}",
    )


async def _child(base: str, concurrency: int, n: int, ordered: bool) -> dict[str, float]:
    import urllib.request

    from legithealth_async import LegitHealth
    from legithealth_async.sync import parse_record, sync_patients

    root = base.split("/integration")[0]
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def served() -> float:
        with opener.open(root + "/__stats", timeout=10) as answer:
            return float(json.loads(answer.read())["served_s"])

    records = []
    for i in range(n):
        data = record_json(i)
        data["externalId"] = f"new-{time.monotonic_ns()}-{i}"
        records.append(parse_record(data, line=i + 1))
    failed = 0
    async with LegitHealth(
        "bench-token",
        base_url=base,
        max_in_flight=concurrency,
        attempt_deadline=ATTEMPT_DEADLINE_S,
    ) as lh:
        before = await asyncio.to_thread(served)
        cpu, wall = time.process_time(), time.perf_counter()
        async with sync_patients(lh, records, concurrency=concurrency, ordered=ordered) as out:
            async for outcome in out:
                failed += outcome.failed
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        # The requests cancelled as the run ended are closed by now: their time is counted.
        after = await asyncio.to_thread(served)
    return {
        "wall": wall,
        "cpu_s": cpu,
        "served_s": after - before,
        "failed": failed,
        "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


if __name__ == "__main__":
    if sys.argv[1:2] != ["child"]:
        raise SystemExit("usage: python -m benchmarks.tail child URL CONCURRENCY N [ordered]")
    url, conc, count = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    print(json.dumps(asyncio.run(_child(url, conc, count, "ordered" in sys.argv[5:]))))
