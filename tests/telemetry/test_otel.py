"""OpenTelemetry: spans and metrics of calls, attempts, reconciliations and syncs, in the SDK's
in-memory exporters; canary values through every operation and a sync never reach them."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from legithealth_async import (
    ConditionInput,
    Frequency,
    LegitHealth,
    PatientAlreadyExistsError,
    RetryPolicy,
    sync_patients,
    telemetry,
)
from legithealth_async.cli import main
from legithealth_async.sandbox import FaultPlan, Sandbox, SandboxServer
from legithealth_async.sync import PatientRecord

FAST = RetryPolicy(initial=0.001, maximum=0.01)
PSORIASIS = ConditionInput(pathology_code="EA90", body_site_code="armLeft")


@dataclass
class Otel:
    spans: InMemorySpanExporter
    metrics: InMemoryMetricReader

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())

    def points(self, name: str) -> list[tuple[dict[str, Any], Any]]:
        """``(attributes, value)`` of each data point of metric ``name`` (sums; counts)."""
        found = []
        data = self.metrics.get_metrics_data()
        for rm in data.resource_metrics if data else ():
            for sm in rm.scope_metrics:
                for metric in sm.metrics:
                    if metric.name == name:
                        for p in metric.data.data_points:
                            value = getattr(p, "value", None)
                            found.append(
                                (dict(p.attributes or {}), value if value is not None else p.count)
                            )
        return found

    def total(self, name: str, **attributes: Any) -> Any:
        return sum(
            v for a, v in self.points(name) if all(a.get(k) == x for k, x in attributes.items())
        )


@pytest.fixture
def otel() -> Iterator[Otel]:
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    telemetry.instrument(
        tracer_provider=tracer_provider, meter_provider=MeterProvider(metric_readers=[reader])
    )
    try:
        yield Otel(spans, reader)
    finally:
        telemetry.uninstrument()


@pytest.fixture(params=["in-process", "loopback"])
async def lh(
    request: pytest.FixtureRequest, legithealth_sandbox: Sandbox
) -> AsyncIterator[LegitHealth]:
    """A client on the sandbox: in-process, and over loopback HTTP on the default transport."""
    sb = legithealth_sandbox
    if request.param == "in-process":
        async with LegitHealth(
            sb.token, base_url=sb.base_url, transport=sb.transport(), retry_policy=FAST
        ) as client:
            yield client
    else:
        with SandboxServer(sb) as server:
            async with LegitHealth(
                server.token, base_url=server.base_url, retry_policy=FAST
            ) as client:
                yield client


def _children(spans: list[ReadableSpan], parent: ReadableSpan) -> list[ReadableSpan]:
    return [s for s in spans if s.parent is not None and s.parent.span_id == parent.context.span_id]


async def test_a_call_is_a_span_and_each_attempt_a_client_span_under_it(
    otel: Otel, lh: LegitHealth, legithealth_sandbox: Sandbox
) -> None:
    legithealth_sandbox.faults.set(
        "getPatients", FaultPlan(error_rate=1.0, retry_after=None, limit=2)
    )
    await lh.patients.create(external_id="a449", email="ada@example.org")
    assert await lh.patients.get("a449") is not None

    spans = otel.finished()
    [get] = [s for s in spans if s.name == "getPatients"]
    assert get.kind is SpanKind.INTERNAL
    attempts = _children(spans, get)
    assert [s.name for s in attempts] == ["GET /patients"] * 3
    assert all(s.kind is SpanKind.CLIENT for s in attempts)
    first, second, third = (dict(s.attributes or {}) for s in attempts)
    assert first["http.response.status_code"] == 503 and first["error.type"] == "503"
    assert "http.request.resend_count" not in first
    assert (second["http.request.resend_count"], third["http.request.resend_count"]) == (1, 2)
    assert third["http.response.status_code"] == 200 and "error.type" not in third
    for attributes in (first, third):
        assert attributes["url.template"] == "/patients"
        assert attributes["http.request.method"] == "GET"
        assert attributes["legithealth.operation"] == "getPatients"
        assert {"server.address", "server.port"} <= set(attributes)
        assert "url.full" not in attributes and "url.query" not in attributes
    assert attempts[0].status.status_code is StatusCode.ERROR
    assert attempts[2].status.status_code is StatusCode.UNSET
    assert dict(get.attributes or {})["http.response.status_code"] == 200

    assert otel.total("legithealth.client.retries", **{"legithealth.operation": "getPatients"}) == 2
    assert otel.total("legithealth.client.requests", **{"http.status_class": "5xx"}) == 2
    durations = otel.points("http.client.request.duration")
    assert sum(count for a, count in durations if a["legithealth.operation"] == "getPatients") == 3


async def test_a_reconciled_create_shows_its_lookup_as_a_child_span(
    otel: Otel, lh: LegitHealth, legithealth_sandbox: Sandbox
) -> None:
    legithealth_sandbox.faults.set("createPatient", FaultPlan(drop_after_rate=1.0, limit=1))
    await lh.patients.create(external_id="a449", email="ada@example.org")
    assert legithealth_sandbox.create_effects("a449") == 1

    spans = otel.finished()
    [create] = [s for s in spans if s.name == "createPatient"]
    children = _children(spans, create)
    assert [s.name for s in children] == ["POST /patients", "legithealth.reconcile"]
    [lookup] = _children(spans, children[1])
    assert lookup.name == "GET /patients"
    assert dict(children[0].attributes or {})["error.type"]  # the dropped answer, named
    assert otel.total("legithealth.client.reconciliations") == 1


async def test_a_failed_call_records_the_error_class_and_no_message(
    otel: Otel, lh: LegitHealth
) -> None:
    with pytest.raises(Exception) as caught:
        await lh.episodes_of_care.list_for_condition("no-such-condition")
    [span] = [s for s in otel.finished() if s.kind is SpanKind.INTERNAL]
    assert span.status.status_code is StatusCode.ERROR and not span.status.description
    assert dict(span.attributes or {})["error.type"] == type(caught.value).__name__
    assert span.events == ()  # no exception event: its message could quote a server


def _mock(seen: list[httpx.Request]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    return httpx.MockTransport(answer)


@pytest.mark.parametrize("propagate", [False, True])
async def test_traceparent_is_sent_only_when_turned_on(propagate: bool) -> None:
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    telemetry.instrument(
        tracer_provider=tracer_provider, meter_provider=MeterProvider(), propagate=propagate
    )
    seen: list[httpx.Request] = []
    try:
        async with LegitHealth(
            "t0ken", base_url="http://127.0.0.1:9/integration/v1", transport=_mock(seen)
        ) as lh:
            await lh.patients.get_many(["a", "b"])
    finally:
        telemetry.uninstrument()
    [request] = seen
    header = request.headers.get("traceparent")
    if propagate:
        assert header is not None
        parsed = re.fullmatch(r"00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}", header)
        assert parsed is not None
        [call] = [s for s in spans.get_finished_spans() if s.name == "getPatients"]
        # The request names the call's span as its parent.
        assert (int(parsed[1], 16), int(parsed[2], 16)) == (
            call.context.trace_id,
            call.context.span_id,
        )
    else:
        assert header is None
    assert "baggage" not in request.headers


async def test_uninstrumented_clients_record_nothing(legithealth_sandbox: Sandbox) -> None:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    telemetry.instrument(tracer_provider=provider, meter_provider=MeterProvider())
    telemetry.uninstrument()
    assert not telemetry.is_instrumented()
    sb = legithealth_sandbox
    async with LegitHealth(sb.token, base_url=sb.base_url, transport=sb.transport()) as lh:
        await lh.patients.get("a449")
    assert spans.get_finished_spans() == ()


# ---------------------------------------------------------------------------- a sync


def _canary_rows(count: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {
            "externalId": f"CANARYEXT{n:05d}",
            "firstName": "Canaryfirst",
            "lastName": "Canarylast",
            "email": f"canary.mail{n}@example.org",
            "phone": f"+3469{n:07d}",
            "birthDate": "1931-02-03",
            "conditions": [{"pathologyCode": "EA90", "bodySiteCode": "armLeft"}],
        }
        for n in range(count)
    ]
    rows[7]["email"] = "canary-not-an-email"  # failures, too
    rows[11]["birthDate"] = "1931-13-45"
    return rows


_SUMMARY_ROW = re.compile(r"[│|]\s*(created|updated|unchanged|failed)\s*[│|]\s*([\d,]+)")


def test_a_cli_sync_with_faults_counts_exactly_what_its_summary_says(
    otel: Otel, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "patients.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in _canary_rows(1000)) + "\n")
    code = main(["sync", str(path), "--sandbox", "--sandbox-faults", "--progress", "none"])
    assert code == 1  # two failed records
    summary = {k: int(v.replace(",", "")) for k, v in _SUMMARY_ROW.findall(capsys.readouterr().out)}
    assert summary["failed"] == 2 and sum(summary.values()) == 1000

    spans = otel.finished()
    [run] = [s for s in spans if s.name == "legithealth.sync"]
    run_attributes = dict(run.attributes or {})
    for outcome, count in summary.items():
        assert (
            otel.total("legithealth.sync.records", **{"legithealth.sync.outcome": outcome}) == count
        )
        assert run_attributes.get(f"legithealth.sync.records.{outcome}", 0) == count
    assert run_attributes["legithealth.sync.records.total"] == 1000
    assert otel.total("legithealth.sync.records.in_flight") == 0  # every record started, finished

    # Every call of the run is under the run's span; the faults show as retries and lookups.
    calls = [
        s for s in spans if s.kind is SpanKind.INTERNAL and s.name[0].islower() and s is not run
    ]
    calls = [s for s in calls if s.name != "legithealth.reconcile"]
    assert calls and all(
        s.parent is not None and s.parent.span_id == run.context.span_id for s in calls
    )
    assert otel.total("legithealth.client.retries") > 0
    assert any(s.name == "legithealth.reconcile" for s in spans)
    attempts = [s for s in spans if s.kind is SpanKind.CLIENT]
    assert otel.total("legithealth.client.requests") == len(attempts)


# ---------------------------------------------------------------------------- canaries


def _exported_text(otel: Otel) -> str:
    parts: list[str] = []
    for span in otel.finished():
        parts += [span.name, json.dumps(dict(span.attributes or {}), default=str)]
        parts += [str(span.status.description)]
        for event in span.events:
            parts += [event.name, json.dumps(dict(event.attributes or {}), default=str)]
        for link in span.links:
            parts.append(json.dumps(dict(link.attributes or {}), default=str))
    data = otel.metrics.get_metrics_data()
    for rm in data.resource_metrics if data else ():
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                parts.append(metric.name)
                parts += [
                    json.dumps(dict(p.attributes or {}), default=str)
                    for p in metric.data.data_points
                ]
    return "\n".join(parts)


CANARIES = (
    "CANARYEXT",
    "Canaryfirst",
    "Canarylast",
    "canary",
    "1931-02-03",
    "+3469",
    "t0kenCanary",
)


async def test_no_patient_value_reaches_spans_metrics_or_logs(
    otel: Otel, legithealth_sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sb = legithealth_sandbox
    sb.faults.set("createPatient", FaultPlan(drop_after_rate=1.0, limit=1))  # a reconciliation
    sb.faults.set("patchPatient", FaultPlan(error_rate=1.0, retry_after=None, limit=1))  # a retry
    patient_ids: list[str] = []
    with SandboxServer(sb) as server:
        async with LegitHealth(server.token, base_url=server.base_url, retry_policy=FAST) as lh:
            p = await lh.patients.create(
                external_id="CANARYEXT00001",
                first_name="Canaryfirst",
                last_name="Canarylast",
                email="canary.mail@example.org",
                phone="+34690000001",
                birth_date=dt.date(1931, 2, 3),
                conditions=[PSORIASIS],
            )
            patient_ids.append(p.id)
            await lh.patients.get("CANARYEXT00001")
            await lh.patients.get_many(["CANARYEXT00001", "CANARYEXT-missing"])
            tracked = ConditionInput(
                pathology_code="EA90",
                body_site_code="armLeft",
                is_tracked=True,
                frequency=Frequency(every=2, unit="week"),
            )
            await lh.patients.patch(
                "CANARYEXT00001", conditions=[tracked], first_name="Canaryfirst"
            )
            await lh.patients.auth_tokens(["CANARYEXT00001"], send_link_by_email=False)
            await lh.patients.login_links(["CANARYEXT00001"])
            [episode] = await lh.episodes_of_care.list_for_condition(p.conditions[0].id)
            await lh.episodes_of_care.patch(episode.id, external_id="CANARYEXT-EP")
            await lh.encounters.create(episode.id, planned_for=dt.datetime.now(dt.UTC))
            specialties = await lh.practitioners.specialties()
            await lh.practitioners.create(
                external_id="CANARYEXT-DR",
                email="canary.dr@example.org",
                speciality=specialties[0].code,
            )
            await lh.practitioners.login_links(["CANARYEXT-DR"])
            with pytest.raises(PatientAlreadyExistsError):
                await lh.patients.create(
                    external_id="CANARYEXT00001", email="canary.mail@example.org"
                )
        # A sync with failures, on the same client kind.
        records = [
            PatientRecord(
                external_id=r["externalId"], email=r["email"], first_name=r["firstName"], line=n
            )
            for n, r in enumerate(_canary_rows(40), start=1)
        ]
        async with LegitHealth(server.token, base_url=server.base_url, retry_policy=FAST) as lh:
            async with sync_patients(lh, records, concurrency=8) as outcomes:
                results = [o async for o in outcomes]
    assert sum(o.failed for o in results) >= 1
    patient_ids += [o.patient_id for o in results if o.patient_id]

    exported = _exported_text(otel)
    assert "createPatient" in exported and "legithealth.sync" in exported  # something was exported
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert logged  # the DEBUG attempt lines were written
    for text in (exported, logged):
        for canary in (*CANARIES, *patient_ids):
            assert canary not in text, canary


async def test_429s_are_counted_and_the_pacers_rate_is_a_gauge(
    otel: Otel, legithealth_sandbox: Sandbox
) -> None:
    sb = legithealth_sandbox
    sb.faults.set("getPatients", FaultPlan(rate_limit_rate=1.0, retry_after="0", limit=1))
    async with LegitHealth(
        sb.token, base_url=sb.base_url, transport=sb.transport(), retry_policy=FAST
    ) as lh:
        await lh.patients.get("a449")
    assert (
        otel.total("legithealth.client.rate_limited", **{"legithealth.operation": "getPatients"})
        == 1
    )

    from legithealth_async import _observe

    observer = _observe.observer
    assert observer is not None
    rate: list[float | None] = [None]
    with observer.sync_run(8, lambda: rate[0]):
        assert otel.points("legithealth.sync.pacer.rate") == []  # no limit met: no value
        rate[0] = 12.5
        [(attributes, value)] = otel.points("legithealth.sync.pacer.rate")
        assert value == 12.5 and set(attributes) == {"legithealth.sync.run"}
