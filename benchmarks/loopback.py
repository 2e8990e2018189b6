"""5. What users run: real HTTP on loopback against a fast upstream in another process.

The upstream (``upstream.py``: a raw asyncio canned-answer server, 50 ms of latency on every
answer) and each measured client (``loopclient.py``) run in processes of their own, so the
client's CPU per request is its own (process time) and the server's is reported beside it. At
concurrency 64, 100 and 128:

- raw aiohttp GETs: the machine's limit line;
- the facade's ``patients.get`` on each transport it offers (``asyncio``, the default on asyncio,
  and ``httpx``), and on httpx-aiohttp, for comparison;
- ``sync_patients`` of 5,000 new records, and of 5,000 the upstream already has unchanged;
- a naive user loop: ``asyncio.gather`` of 5,000 ``patients.create``;
- the baseline: the same sync with the package as it was before issue 13 (commit ``BASELINE``,
  installed in its own venv ``benchmarks/.work/baseline-venv``, made once), in the same run.

Throughput is compared with Little's bound (concurrency / latency).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ._common import Report, Settings, median, spread

LATENCY_MS = 50.0
#: The last commit before the issue-13 work (no sniffio, eager pools, two parse passes).
BASELINE = "a7b5276372933d3a00c998b2f64be1a3e40031af"
ROOT = Path(__file__).resolve().parent.parent
WORK = Path(__file__).resolve().parent / ".work"
SEC = "5 loopback @50 ms"


@contextmanager
def upstream(*options: str) -> Iterator[str]:
    """The canned-answer upstream in its own process (``options``: more of ``upstream.py``'s,
    e.g. ``--tail``); yields its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.upstream", "--latency-ms", str(LATENCY_MS), *options],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        yield f"http://127.0.0.1:{port}/integration/v1"
    finally:
        assert proc.stdin is not None
        proc.stdin.close()  # the upstream serves until its stdin closes
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def baseline_python() -> str | None:
    """The baseline venv's Python (made on first use from ``git archive BASELINE``), or None."""
    venv = WORK / "baseline-venv"
    python = venv / "bin" / "python"
    if python.exists():
        return str(python)
    try:
        src = WORK / "baseline-src"
        src.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", BASELINE], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "-e", str(src), "aiohttp"],
            check=True,
            capture_output=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"[loopback: no baseline venv: {exc}]", file=sys.stderr)
        return None
    return str(python)


def measure(
    kind: str, base: str, concurrency: int, n: int, transport: str = "default", python: str = ""
) -> dict[str, float]:
    """One client run in its own process (see ``loopclient.py``)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    args = [kind, base, str(concurrency), str(n), transport]
    out = subprocess.run(
        [python or sys.executable, "-m", "benchmarks.loopclient", *args],
        cwd=tempfile.gettempdir(),  # the baseline must import its own package, not this tree's
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if out.returncode != 0:
        lines = out.stderr.strip().splitlines() or ["no output"]
        raise Failed(f"{kind} {transport}: {lines[-1][:160]}")
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


class Failed(Exception):
    """A client run that failed (its last line of stderr)."""


def _add(
    report: Report, name: str, runs: list[dict[str, float]], concurrency: int, extra: str = ""
) -> dict[str, float]:
    items = [r["items"] / r["wall"] for r in runs]
    req = median([r["requests"] / r["wall"] for r in runs])
    cpu = median([r["client_cpu"] / r["requests"] * 1e6 for r in runs])
    server = median([r["server_cpu"] / max(r["served"], 1) * 1e6 for r in runs])
    bound = concurrency / (LATENCY_MS / 1000)
    unit = "req/s" if runs[0]["items"] == runs[0]["requests"] else "rec/s"
    value = f"{median(items):,.0f} {unit}"
    report.add(
        SEC,
        name,
        value,
        f"{req / bound:.0%} of bound {bound:,.0f} req/s" + (f"; {extra}" if extra else ""),
        "",
        f"client CPU {cpu:,.0f} µs/req, server {server:,.0f} µs/req; "
        f"{len(runs)} run(s) {spread(items)}",
    )
    return {"rate": median(items), "cpu": cpu, "share": req / bound}


def run(settings: Settings, report: Report) -> None:
    """The loopback rows; a client run that fails is reported as such (the rest go on)."""
    with upstream() as base:
        for part in (_per_call, _route_check, _run):
            try:
                part(settings, report, base)
            except Failed as exc:
                report.add(SEC, "a client run FAILED", "-", "", "", str(exc))


def _per_call(settings: Settings, report: Report, base: str) -> None:
    """Facade (default transport) vs the bare generated call, CPU a call, 64 in flight."""
    c = 64
    for what, kind, n in (("create", "create", 3000), ("get 100", "get100", 300)):
        n = n // 3 if settings.quick else n
        cpu = {}
        for arm in (f"gen-{kind}", kind):
            runs = [measure(arm, base, c, n) for _ in range(1 if settings.quick else 3)]
            cpu[arm] = [r["client_cpu"] / r["requests"] * 1e6 for r in runs]
            rate = median([r["requests"] / r["wall"] for r in runs])
            who = "generated (its own httpx pool)" if arm.startswith("gen-") else "facade, default"
            report.add(
                SEC,
                f"{what} per call, {c} in flight: {who}",
                f"{median(cpu[arm]):,.0f} µs CPU/call",
                f"{rate:,.0f} calls/s",
                "",
                f"{len(runs)} run(s) {spread(cpu[arm])}",
            )
        ratio = median(cpu[kind]) / median(cpu[f"gen-{kind}"])
        report.add(
            SEC,
            f"{what} per call: facade / generated",
            f"{ratio:.2f}x",
            "client CPU a call, same upstream",
            f"≤1.10x: {'met' if ratio <= 1.10 else 'MISSED'}",
        )


def _route_check(settings: Settings, report: Report, base: str) -> None:
    """What watching a user's http_client costs (``_transports/route.py``): creates through one
    ``httpx.AsyncClient`` of the user's, the route check on and made a no-op, interleaved. 16 in
    flight: the README's advice for such a pool (one httpx pool costs ~8 ms CPU a call at 64)."""
    c, n = 16, 1000 if settings.quick else 3000
    cpu: dict[str, list[float]] = {"httpx-onepool": [], "httpx-onepool-unchecked": []}
    for _ in range(1 if settings.quick else 3):
        for arm, values in cpu.items():
            got = measure("create", base, c, n, arm)
            values.append(got["client_cpu"] / got["requests"] * 1e6)
    ratio = median(cpu["httpx-onepool"]) / median(cpu["httpx-onepool-unchecked"])
    report.add(
        SEC,
        f"create per call through your http_client, {c} in flight: route check / none",
        f"{ratio:.2f}x",
        f"{median(cpu['httpx-onepool']):,.0f} vs {median(cpu['httpx-onepool-unchecked']):,.0f}"
        " µs CPU/call",
        "",
        f"{len(cpu['httpx-onepool'])} interleaved run(s) each {spread(cpu['httpx-onepool'])}",
    )


def _run(settings: Settings, report: Report, base: str) -> None:
    gets = 600 if settings.quick else 1500
    records = 1000 if settings.quick else 5000
    concurrencies = (100,) if settings.quick else (64, 100, 128)
    transports = ("asyncio", "httpx", "httpx-aiohttp")
    old = baseline_python()
    for c in concurrencies:
        raw = _add(
            report,
            f"raw aiohttp GETs, {c} in flight",
            [measure("raw-aiohttp", base, c, gets)],
            c,
        )
        for name in transports:
            got = measure("get", base, c, gets, name)
            _add(
                report,
                f"facade get, {c} in flight, transport {name}",
                [got],
                c,
                f"{got['client_cpu'] / got['requests'] * 1e6 / raw['cpu']:.1f}x raw CPU",
            )
        for kind in ("sync-new", "sync-unchanged") if c == 100 else ("sync-new",):
            runs = [measure(kind, base, c, records) for _ in range(1 if c != 100 else 2)]
            what = "new" if kind == "sync-new" else "unchanged"
            mine = _add(report, f"sync_patients {records:,} {what}, concurrency {c}", runs, c)
            if kind == "sync-new" and c == 100:
                _sync_targets(report, base, c, records, old, mine, raw)
    naive = [measure("naive", base, 100, records)]
    _add(report, f"naive gather of {records:,} patients.create, max_in_flight 100", naive, 100)
    report.notes.append(
        "Loopback: upstream and client each in a process of their own (2 cores); client CPU is "
        "the client process's CPU time over the measured window / requests sent. A sync of new "
        "records sends 1.01 requests a record (a lookup per 100, a create each); of unchanged "
        "records, 0.01. Baseline: the package at commit " + BASELINE[:7] + " (before issue 13) "
        "in its own venv, same upstream, same run."
    )


def _sync_targets(
    report: Report,
    base: str,
    c: int,
    n: int,
    old: str | None,
    mine: dict[str, float],
    raw: dict[str, float],
) -> None:
    if old is None:
        report.add(SEC, "baseline sync (before issue 13)", "n/a", "", "", "no baseline venv")
        return
    runs = [measure("sync-new", base, c, n, python=old)]
    before = _add(report, f"BASELINE sync_patients {n:,} new, concurrency {c}", runs, c)
    speedup = mine["rate"] / before["rate"]
    cpu_ratio = mine["cpu"] / raw["cpu"]
    report.add(
        SEC,
        f"sync {n:,} new @ {c}: vs baseline",
        f"{speedup:.1f}x baseline rec/s",
        f"{mine['share']:.0%} of Little's bound; CPU {cpu_ratio:.1f}x raw aiohttp's",
        f"≥3x: {'met' if speedup >= 3 else 'MISSED'}; ≥60%: "
        f"{'met' if mine['share'] >= 0.6 else 'MISSED'}; CPU ≤2x: "
        f"{'met' if cpu_ratio <= 2 else 'MISSED'}",
    )
