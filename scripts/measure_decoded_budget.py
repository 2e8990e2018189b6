"""Peak RSS of sixteen gzip bombs read at once, with and without the budget of decoded bytes in
flight (issue 19 §4). Each answer decodes to 31 MiB (under the 32 MiB per-answer bound) and then
stalls until the attempt deadline, so without a budget all sixteen are held at once.

    .venv/bin/python scripts/measure_decoded_budget.py            # both runs, one process each
    .venv/bin/python scripts/measure_decoded_budget.py --one budget|none

Prints the growth of the peak RSS (``ru_maxrss``) over the baseline taken just before the burst.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import subprocess
import sys
import zlib

MiB = 1024 * 1024
COUNT = 16


def bomb_prefix(decoded_mib: int) -> bytes:
    """The first ``decoded_mib`` MiB of a gzip bomb (each MiB flushed: it decodes whole; also
    used by tests/reliability/test_decoded_budget.py)."""
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [z.compress(b"[" + b" " * (MiB - 1)), z.flush(zlib.Z_FULL_FLUSH)]
    for _ in range(decoded_mib - 1):
        parts += [z.compress(b" " * MiB), z.flush(zlib.Z_FULL_FLUSH)]
    return b"".join(parts)


async def _burst(budget: bool) -> float:
    import httpx

    from legithealth_async import LegitHealth
    from legithealth_async._budget import DECODED

    if not budget:
        DECODED.capacity = 1 << 62  # as before: only the per-answer bound
    head = b"HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: 1000000\r\n\r\n"
    answer = head + bomb_prefix(31)

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answer)
        await writer.drain()
        await reader.read()
        writer.close()

    server = await asyncio.start_server(connection, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with LegitHealth(
        "t",
        base_url=f"http://127.0.0.1:{port}/v1",
        max_retries=0,
        timeout=httpx.Timeout(10.0, read=2.0),
        attempt_deadline=3.0,
    ) as lh:
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        await asyncio.gather(
            *(lh.patients.get(f"p{i}") for i in range(COUNT)), return_exceptions=True
        )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    server.close()
    return (peak - base) / 1024  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--one", choices=["budget", "none"])
    args = parser.parse_args()
    if args.one:
        print(f"{asyncio.run(_burst(args.one == 'budget')):.0f}")
        return
    for mode in ("none", "budget"):
        out = subprocess.run(  # noqa: S603 - this interpreter, this file
            [sys.executable, __file__, "--one", mode], capture_output=True, text=True, check=True
        )
        label = "per-answer bound only" if mode == "none" else "with the budget (64 MiB)"
        print(f"{COUNT} bombs at once, {label}: peak RSS +{out.stdout.strip()} MiB")


if __name__ == "__main__":
    main()
