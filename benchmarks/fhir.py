"""7. FHIR input (issue 23): a Bulk Data export synced through the CLI's code path, against JSONL.

End to end on the in-process sandbox (``run_sync``'s own ``_sync``, as ``legithealth sync DIR
--format fhir --sandbox`` runs it, twice on one sandbox): every patient accounted for, every
condition counted, the second run all unchanged, the sandbox holding exactly the selected
conditions; per-patient transaction Bundles of the same patients into a fresh sandbox give the
same state. Throughput: the same patients as JSONL (the records the FHIR reader made, written
out) through the same path; target FHIR ≤ 1.5x JSONL's time (best of three runs each,
alternated). Peak RSS of a FHIR sync (zero-CPU server, as section 4), each size in a fresh
process: target 100,000 patients ≤ 1.1x 10,000.

Peak RSS is the child's VmHWM: ``ru_maxrss`` survives ``exec``, so a child of the large parent
(it holds the sandbox of the end-to-end runs) would report the parent's peak.

``python -m benchmarks fhir`` runs this section only (``make bench-fhir``);
``python -m benchmarks.fhir N DIR`` runs one RSS child and prints ``rss_kib seconds``.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio

from legithealth_async import LegitHealth
from legithealth_async import cli as cli_module
from legithealth_async.fhir import FhirExport, FhirOptions
from legithealth_async.fhir.synthetic import expected, write_export
from legithealth_async.sandbox import Sandbox
from legithealth_async.sync import BadRecord, Outcome, SyncSummary, sync_patients

from ._common import BASE_URL, TOKEN, LatencyTransport, Report, Settings, median, patient_json

SEC = "7 fhir"
REPS = 3  # FHIR and JSONL runs of the same patients, alternated (the best of each is compared)
OPTIONS = FhirOptions(phone_country_code="1")


def _jsonl_twin(export_dir: Path, path: Path) -> None:
    """The records the FHIR reader makes, as JSONL (a refused patient: a line refused too)."""
    with path.open("w", encoding="utf-8") as f:
        for item in FhirExport(export_dir, OPTIONS).iter_records():
            data = {"externalId": ""} if isinstance(item, BadRecord) else item.canonical()
            f.write(json.dumps(data) + "\n")


async def _cli_sync(path: Path, fmt: str, sandbox: Sandbox) -> tuple[SyncSummary, float, str]:
    """One ``legithealth sync`` run on ``sandbox`` (its summary, seconds, and printed text).

    The process's CPU seconds of the run are added to ``_CPU[path.name]``.
    """
    options = cli_module.SyncOptions(
        file=path,
        fmt=fmt,
        fhir=OPTIONS if fmt == "fhir" else None,
        progress="none",
        concurrency=64,
    )
    out = io.StringIO()
    started, cpu = time.perf_counter(), time.process_time()
    async with cli_module._sandbox_client(sandbox) as client:
        with contextlib.redirect_stdout(out):
            summary = await cli_module._sync(options, client)
    _CPU.setdefault(path.name, []).append(time.process_time() - cpu)
    return summary, time.perf_counter() - started, out.getvalue()


_CPU: dict[str, list[float]] = {}


def _state(sandbox: Sandbox) -> dict[str, frozenset[tuple[str, str]]]:
    return {
        ext: frozenset((c["pathologyCode"], c["bodySiteCode"]) for c in p["conditions"])
        for ext, p in sandbox.patients().items()
    }


def _end_to_end(n: int, tmp: Path, report: Report) -> None:
    bulk = write_export(tmp / "bulk", n)
    bundles = write_export(tmp / "bundles", n, bundles=True)
    twin = tmp / "twin.jsonl"
    _jsonl_twin(bulk, twin)
    truth = [expected(i) for i in range(n)]
    want = {e.external_id: e.conditions for e in truth if e.failure is None}
    failures = n - len(want)
    conditions = sum(e.total for e in truth) + 3  # + the export's 3 orphans

    async def main() -> dict[str, Any]:
        got: dict[str, Any] = {}
        sandbox = Sandbox(seed=0)
        first, got["fhir_s"], text = await _cli_sync(bulk, "fhir", sandbox)
        got["first_ok"] = (
            first.counts[Outcome.CREATED] == len(want)
            and first.counts[Outcome.FAILED] == failures
            and _state(sandbox) == want
            and f"{conditions} conditions:" in text
        )
        got["text"] = [line for line in text.splitlines() if line.startswith(("FHIR", "  left"))]
        second, got["second_s"], _ = await _cli_sync(bulk, "fhir", sandbox)
        got["second_ok"] = (
            second.counts[Outcome.UNCHANGED] == len(want)
            and second.counts[Outcome.FAILED] == failures
            and _state(sandbox) == want
        )
        other = Sandbox(seed=0)
        _, got["bundles_s"], _ = await _cli_sync(bundles, "fhir", other)
        got["bundles_ok"] = _state(other) == want
        # Alternated, best of three each: a shared machine's load comes and goes in seconds.
        fhir_times, jsonl_times = [got["fhir_s"]], []
        for k in range(REPS):
            _, seconds, _ = await _cli_sync(twin, "jsonl", Sandbox(seed=0))
            jsonl_times.append(seconds)
            if k < REPS - 1:
                _, seconds, _ = await _cli_sync(bulk, "fhir", Sandbox(seed=0))
                fhir_times.append(seconds)
        got["jsonl_s"], got["fhir_s"] = min(jsonl_times), min(fhir_times)
        return got

    got = anyio.run(main)
    ok = got["first_ok"] and got["second_ok"] and got["bundles_ok"]
    report.add(
        SEC,
        f"{n:,} patients, Bulk Data export -> sandbox (CLI path)",
        f"{n / got['fhir_s']:,.0f} rec/s",
        "",
        "every patient and condition accounted for: " + ("yes" if ok else "NO"),
        f"{got['fhir_s']:.1f} s; 2nd run all unchanged: {'yes' if got['second_ok'] else 'NO'}",
    )
    report.add(
        SEC,
        f"{n:,} patients, per-patient transaction Bundles",
        f"{n / got['bundles_s']:,.0f} rec/s",
        "",
        "same state: " + ("yes" if got["bundles_ok"] else "NO"),
        f"{got['bundles_s']:.1f} s",
    )
    ratio = got["fhir_s"] / got["jsonl_s"]
    bulk_cpu = _CPU["bulk"]  # the first run, the second (all unchanged), then from scratch
    cpu_ratio = min([bulk_cpu[0], *bulk_cpu[2:]]) / min(_CPU["twin.jsonl"])
    report.add(
        SEC,
        f"{n:,} patients, the same as JSONL",
        f"{n / got['jsonl_s']:,.0f} rec/s",
        f"FHIR {ratio:.2f}x JSONL's time (CPU {cpu_ratio:.2f}x)",
        f"≤1.5x: {'met' if ratio <= 1.5 else 'MISSED'}",
        f"{got['jsonl_s']:.1f} s",
    )
    report.notes.append(f"FHIR {n:,}: " + " / ".join(got["text"]))


# ------------------------------------------------------------------------------------ RSS


async def _rss_sync(path: str) -> int:
    transport = LatencyTransport(0.0, json.dumps(patient_json(1)).encode())
    count = 0
    export = FhirExport(path, OPTIONS)
    async with LegitHealth(TOKEN, base_url=BASE_URL, transport=transport, max_in_flight=64) as lh:
        async with sync_patients(lh, export.records(), concurrency=64) as stream:
            async for outcome in stream:
                export.annotate(outcome)
                count += 1
    return count


def _child(argv: list[str]) -> int:
    n, path = int(argv[0]), argv[1]
    started = time.perf_counter()
    count = asyncio.run(_rss_sync(path))
    elapsed = time.perf_counter() - started
    if count != n:
        print(f"expected {n} outcomes, got {count}", file=sys.stderr)
        return 1
    print(_peak_rss_kib(), f"{elapsed:.2f}")
    return 0


def _peak_rss_kib() -> int:
    """This process's peak RSS: VmHWM (ru_maxrss survives exec: it can be the parent's)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def _rss(n: int, tmp: Path) -> tuple[int, float]:
    export = write_export(tmp / f"rss-{n}", n)
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.fhir", str(n), str(export)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return int(out[0]), float(out[1])


def _model_cost(report: Report) -> None:
    """fhir.resources' full validation per resource, against parsing its JSON (the default)."""
    from legithealth_async.fhir.synthetic import condition_resources, patient

    try:
        from fhir.resources.R4B.condition import Condition
        from fhir.resources.R4B.patient import Patient
    except ImportError:
        report.notes.append("fhir.resources not installed: its cost per resource not measured")
        return
    texts = [json.dumps(patient(i)) for i in range(200)]
    texts += [json.dumps(c) for i in range(30) for c in condition_resources(i, "Patient/x")]
    models = [Patient if '"Patient"' in t[:30] else Condition for t in texts]

    def parse() -> None:
        for text in texts:
            json.loads(text)

    def validate() -> None:
        for text, model in zip(texts, models, strict=True):
            model.model_validate_json(text)

    per = {}
    for name, fn in (("json", parse), ("model", validate)):
        times = []
        for _ in range(3):
            started = time.process_time()
            fn()
            times.append((time.process_time() - started) / len(texts) * 1e6)
        per[name] = median(times)
    report.add(
        SEC,
        "fhir.resources (R4B) validation, per resource",
        f"{per['model']:.0f} µs CPU",
        f"{per['model'] / per['json']:.0f}x json.loads ({per['json']:.1f} µs)",
        "",
        "why the default checks only what the mapping reads",
    )


def run(settings: Settings, report: Report) -> None:
    _model_cost(report)
    n = 1000 if settings.quick else 10_000
    small, large = settings.memory_pair
    with tempfile.TemporaryDirectory(prefix="lh-bench-fhir-") as tmp:
        _end_to_end(n, Path(tmp), report)
        rss_small, t_small = _rss(small, Path(tmp))
        rss_large, t_large = _rss(large, Path(tmp))
    ratio = rss_large / rss_small
    report.add(
        SEC,
        f"peak RSS, {small:,}-patient FHIR sync",
        f"{rss_small / 1024:.1f} MiB",
        "",
        "",
        f"{t_small:.1f} s",
    )
    report.add(
        SEC,
        f"peak RSS, {large:,}-patient FHIR sync",
        f"{rss_large / 1024:.1f} MiB",
        f"{ratio:.2f}x the {small:,}-patient run",
        f"≤1.1x: {'met' if ratio <= 1.1 else 'MISSED'}",
        f"{t_large:.1f} s",
    )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(_child(sys.argv[1:]))
