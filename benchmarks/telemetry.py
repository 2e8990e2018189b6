"""Telemetry's cost: import time and client CPU per call, with and without OpenTelemetry.

Issue 22 asks for zero cost when unused: without ``telemetry.instrument()`` (or with it but no
SDK configured) import time and per-request CPU within noise of the code without the hooks. The
hooks are one module attribute read per call when nothing observes, so "not instrumented" is the
baseline: the arms below are measured interleaved in one process, on the in-memory transport.
"""

from __future__ import annotations

import asyncio
import json
import resource
import subprocess
import sys
from typing import Any

from legithealth_async import LegitHealth, _observe
from legithealth_async.telemetry._otel import OtelObserver

from ._common import (
    BASE_URL,
    TOKEN,
    CannedTransport,
    Report,
    Settings,
    median,
    patient_json,
    spread,
)
from .percall import _measure, create_kwargs

SECTION = "9 telemetry"


def _import_ms(code: str, reps: int) -> list[float]:
    """CPU ms (user + system) of a fresh interpreter running ``code`` (CPU, not wall: the
    machine is shared)."""
    out = []
    for _ in range(reps):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-c", code], check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        out.append(cpu * 1000)
    return out


def _imports(report: Report, reps: int) -> None:
    bare = _import_ms("import httpx", reps)
    ours = _import_ms("import legithealth_async", reps)
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, legithealth_async; print('opentelemetry' in sys.modules)",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    report.add(
        SECTION,
        "import legithealth_async (a process, CPU)",
        f"{min(ours):,.0f} ms",
        f"{min(ours) / min(bare):.2f}x import httpx ({median(bare):,.0f} ms)",
        f"opentelemetry imported: {'no' if loaded == 'False' else 'YES'}",
        f"best of {reps} {spread(ours)}; the otel packages installed, not used",
    )
    instrumented = _import_ms(
        "import legithealth_async; from legithealth_async import telemetry; telemetry.instrument()",
        reps,
    )
    report.add(
        SECTION,
        "import + telemetry.instrument() (API only, no SDK)",
        f"{min(instrumented):,.0f} ms",
        f"+{min(instrumented) - min(ours):,.0f} ms over the import alone",
        "",
        "paid only by who asks for telemetry",
    )


async def _per_call(settings: Settings, report: Report) -> None:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    created = json.dumps(patient_json(1)).encode()
    listed = json.dumps([patient_json(i) for i in range(1)]).encode()
    facade = LegitHealth(TOKEN, base_url=BASE_URL, transport=CannedTransport(created, listed))
    sdk_spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(sdk_spans))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])

    def arm(observer: OtelObserver | None) -> Any:
        async def run(i: int) -> Any:
            _observe.observer = observer  # what instrument() sets, made once per arm
            try:
                return await facade.patients.create(**create_kwargs(i))
            finally:
                _observe.observer = None
                sdk_spans.clear()

        return run

    arms = {
        "not instrumented (the hooks read one attribute)": arm(None),
        "instrument(), no SDK configured (API no-ops)": arm(
            OtelObserver(None, None, propagate_context=False)
        ),
        "instrument() with the SDK (in-memory exporters)": arm(
            OtelObserver(tracer_provider, meter_provider, propagate_context=False)
        ),
    }
    results = await _measure(arms, settings.calls_small, settings.reps)
    base = min(results["not instrumented (the hooks read one attribute)"])
    for name, values in results.items():
        best = min(values)
        report.add(
            SECTION,
            f"patients.create, in-memory transport: {name}",
            f"{best:,.0f} µs CPU",
            f"{best / base:.2f}x not instrumented",
            "",
            f"best of {settings.reps} {spread(values)}",
        )
    await facade.aclose()


def run(settings: Settings, report: Report) -> None:
    _imports(report, max(settings.reps, 5))
    asyncio.run(_per_call(settings, report))
