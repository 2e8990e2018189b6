"""4. Peak RSS of a bulk sync from a JSONL file (journal on), each size in a fresh process.

The server is a zero-CPU in-memory one (no latency): an in-process sandbox would keep every
patient it is sent, and its growth would be counted as the client's.
``python -m benchmarks.memory N FILE JOURNAL`` runs one sync and prints ``rss_kib seconds``.
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

from legithealth_async import LegitHealth
from legithealth_async.sync import Outcome, aiter_records, sync_patients

from ._common import BASE_URL, TOKEN, LatencyTransport, Report, Settings, patient_json, write_jsonl


async def _sync(path: str, journal: str) -> int:
    transport = LatencyTransport(0.0, json.dumps(patient_json(1)).encode())
    count = 0
    async with LegitHealth(TOKEN, base_url=BASE_URL, transport=transport, max_in_flight=64) as lh:
        async with sync_patients(
            lh, aiter_records(path), concurrency=64, journal=journal
        ) as stream:
            async for outcome in stream:
                if outcome.outcome is not Outcome.FAILED:
                    count += 1
    return count


def _child(argv: list[str]) -> int:
    n, path, journal = int(argv[0]), argv[1], argv[2]
    started = time.perf_counter()
    count = asyncio.run(_sync(path, journal))
    elapsed = time.perf_counter() - started
    if count != n:
        print(f"expected {n} synced, got {count}", file=sys.stderr)
        return 1
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(rss_kib, f"{elapsed:.2f}")
    return 0


def _measure(n: int, tmp: str) -> tuple[int, float]:
    path = os.path.join(tmp, f"patients-{n}.jsonl")
    write_jsonl(path, n)
    journal = os.path.join(tmp, f"journal-{n}.db")
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory", str(n), path, journal],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return int(out[0]), float(out[1])


def run(settings: Settings, report: Report) -> None:
    small, large = settings.memory_pair
    with tempfile.TemporaryDirectory(prefix="lh-bench-") as tmp:
        rss_small, t_small = _measure(small, tmp)
        rss_large, t_large = _measure(large, tmp)
    ratio = rss_large / rss_small
    sec = "4 memory"
    report.add(
        sec,
        f"peak RSS, {small:,}-record sync",
        f"{rss_small / 1024:.1f} MiB",
        "",
        "",
        f"{t_small:.1f} s",
    )
    report.add(
        sec,
        f"peak RSS, {large:,}-record sync",
        f"{rss_large / 1024:.1f} MiB",
        f"{ratio:.2f}x the {small:,}-record run",
        f"≤1.1x: {'met' if ratio <= 1.1 else 'MISSED'}",  # issue 13's bound
        f"{t_large:.1f} s",
    )


if __name__ == "__main__":
    raise SystemExit(_child(sys.argv[1:]))
