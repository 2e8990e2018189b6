"""``python -m benchmarks [--quick] [SECTION ...]``: print the table, write RESULTS.md.

With no SECTION every section runs (and RESULTS.md is written); ``python -m benchmarks loopback``
runs that one only.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

from . import fhir, getmany, loopback, memory, percall, ratelimit, soak, tail, telemetry, throughput
from ._common import Report, Settings

SECTIONS = {
    "percall": percall.run,
    "sync": throughput.run,
    "getmany": getmany.run,
    "memory": memory.run,
    "loopback": loopback.run,
    "ratelimit": ratelimit.run,
    "tail": tail.run,
    "fhir": fhir.run,
    "telemetry": telemetry.run,
}
#: Run only when named (over the default run's time budget).
OPTIONAL = {"soak": soak.run}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for development")
    parser.add_argument(
        "sections", nargs="*", choices=[*sorted(SECTIONS | OPTIONAL), []], help="run these only"
    )
    parser.add_argument("--only", nargs="*", choices=sorted(SECTIONS | OPTIONAL), help="the same")
    parser.add_argument("--no-write", action="store_true", help="do not write RESULTS.md")
    parser.add_argument(
        "--write", action="store_true", help="write RESULTS.md from the sections named too"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="print a pyinstrument profile of one sync at concurrency 100 (sandbox) and exit",
    )
    args = parser.parse_args(argv)
    if args.profile:
        print(throughput.profile())
        return 0
    settings = Settings.make(args.quick)
    report = Report()
    only = (args.sections or []) + (args.only or [])
    started = time.perf_counter()
    load = os.getloadavg()[0]
    for name, section in (SECTIONS | OPTIONAL).items():
        if (only and name not in only) or (not only and name in OPTIONAL):
            continue
        t0 = time.perf_counter()
        section(settings, report)
        print(f"[{name}: {time.perf_counter() - t0:.1f} s]", file=sys.stderr, flush=True)
    total = time.perf_counter() - started
    report.notes.append(
        f"Load average (1 min) at the start {load:.1f}, at the end {os.getloadavg()[0]:.1f}, "
        f"on {os.cpu_count()} cores: other work shares the machine, so wall-clock figures "
        "(req/s, rec/s) are depressed; the CPU per request survives it best."
    )
    table = report.table()
    print(table)
    for note in report.notes:
        print(f"- {note}")
    print(f"total {total:.0f} s")
    if not args.no_write and not args.quick and (args.write or not only):
        ran = " ".join(only) if only else "every section"
        Path(__file__).with_name("RESULTS.md").write_text(_markdown(table, report, total, ran))
    return 0


def _markdown(table: str, report: Report, total: float, ran: str) -> str:
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m benchmarks`). Ratios are against baselines",
        "measured in the same run; each figure is the median of several repetitions (± is half",
        "the min-max range). Absolute numbers depend on the machine; compare the ratios.",
        "",
        f"Python {platform.python_version()} on {platform.machine()}, total run {total:.0f} s "
        f"({ran}).",
        "",
        table,
        "",
    ]
    if report.notes:
        lines += ["## Notes", "", *(f"- {n}" for n in report.notes), ""]
    limits = Path(__file__).with_name("LIMITS.md")  # hand-kept: what limits the missed targets
    if limits.exists():
        lines += [limits.read_text(encoding="utf-8")]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
