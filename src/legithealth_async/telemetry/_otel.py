"""The OpenTelemetry observer: spans and metrics from the hooks of ``_observe``.

Imported only by :func:`legithealth_async.telemetry.instrument` (it needs ``opentelemetry-api``).
Every attribute it records comes from an allow-list of names whose values the hooks give
(``_observe``'s module doc): never a URL, a query, a header, a body or an exception's message.
"""

from __future__ import annotations

import functools
import itertools
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from urllib.parse import urlsplit

from opentelemetry import context as otel_context
from opentelemetry import metrics, propagate, trace
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.util.types import AttributeValue

from .. import _constants as C
from .._observe import CallScope, SyncScope
from .._version import __version__

#: The OpenTelemetry HTTP client semantic conventions' advisory buckets (seconds).
_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)
_SCOPE = "legithealth_async"


def _status_class(status: int | None) -> str:
    return "error" if status is None else f"{status // 100}xx"


def _epoch_ns(perf: float, now_perf: float, now_ns: int) -> int:
    """A ``time.perf_counter()`` reading as nanoseconds since the epoch."""
    return now_ns - int((now_perf - perf) * 1e9)


@functools.lru_cache(maxsize=64)
def _server(base_url: str) -> tuple[str, int]:
    """``server.address`` and ``server.port`` of a base URL."""
    parts = urlsplit(base_url)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


class OtelObserver:
    """Installed by ``instrument()``: one tracer, one meter, the instruments made once."""

    def __init__(
        self,
        tracer_provider: trace.TracerProvider | None,
        meter_provider: metrics.MeterProvider | None,
        *,
        propagate_context: bool,
    ) -> None:
        self.tracer = trace.get_tracer(_SCOPE, __version__, tracer_provider=tracer_provider)
        meter = metrics.get_meter(_SCOPE, __version__, meter_provider=meter_provider)
        self.propagate = propagate_context
        self.duration = meter.create_histogram(
            "http.client.request.duration",
            unit="s",
            description="Duration of HTTP client requests (one per attempt).",
            explicit_bucket_boundaries_advisory=list(_DURATION_BUCKETS),
        )
        self.requests = meter.create_counter(
            "legithealth.client.requests",
            unit="{request}",
            description="Requests sent (attempts), by operation and status class.",
        )
        self.retries = meter.create_counter(
            "legithealth.client.retries",
            unit="{request}",
            description="Requests that resent an operation (a retry after a failed attempt).",
        )
        self.throttled = meter.create_counter(
            "legithealth.client.rate_limited",
            unit="{request}",
            description="Requests answered 429 Too Many Requests.",
        )
        self.reconciliations = meter.create_counter(
            "legithealth.client.reconciliations",
            unit="{call}",
            description="Creates whose outcome was unknown, resolved by a lookup.",
        )
        self.records = meter.create_counter(
            "legithealth.sync.records",
            unit="{record}",
            description="Records a sync handed out, by outcome.",
        )
        self.in_flight = meter.create_up_down_counter(
            "legithealth.sync.records.in_flight",
            unit="{record}",
            description="Records a sync is working on now.",
        )
        self._rates: weakref.WeakValueDictionary[int, _SyncRun] = weakref.WeakValueDictionary()
        self._run_ids = itertools.count(1)
        self._lock = threading.Lock()
        meter.create_observable_gauge(
            "legithealth.sync.pacer.rate",
            callbacks=[self._observe_rates],
            unit="{request}/s",
            description="The rate a sync's pacer allows (absent while it has met no limit).",
        )

    # ---------------------------------------------------------------------------- calls

    @contextmanager
    def call(
        self, operation: str, method: str, template: str, base_url: str
    ) -> Iterator[CallScope]:
        """A span around one API call, current while it runs (its attempts are children)."""
        host, port = _server(base_url)
        attributes: dict[str, AttributeValue] = {
            "legithealth.operation": operation,
            "http.request.method": method,
            "url.template": template,
            "server.address": host,
            "server.port": port,
        }
        with self.tracer.start_as_current_span(
            operation,
            kind=SpanKind.INTERNAL,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            scope = _Call(self, operation, host, port, recording=span.is_recording())
            try:
                yield scope
            except BaseException as exc:
                # The class name only: a message may quote what a server said.
                span.set_attribute("error.type", type(exc).__name__)
                span.set_status(Status(StatusCode.ERROR))
                raise
            if scope.last_status is not None:
                span.set_attribute("http.response.status_code", scope.last_status)

    # ---------------------------------------------------------------------------- syncs

    @contextmanager
    def sync_run(
        self, concurrency: int, rate: Callable[[], float | None] | None
    ) -> Iterator[SyncScope]:
        """A span around one sync run (current inside it), with its counts when it ends."""
        with self.tracer.start_as_current_span(
            "legithealth.sync",
            kind=SpanKind.INTERNAL,
            attributes={"legithealth.sync.concurrency": concurrency},
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            run = _SyncRun(self, rate)
            if rate is not None:
                with self._lock:
                    self._rates[next(self._run_ids)] = run
            try:
                yield run
            except BaseException as exc:
                span.set_attribute("error.type", type(exc).__name__)
                span.set_status(Status(StatusCode.ERROR))
                raise
            finally:
                for outcome, count in sorted(run.counts.items()):
                    span.set_attribute(f"legithealth.sync.records.{outcome}", count)
                span.set_attribute("legithealth.sync.records.total", sum(run.counts.values()))
                span.set_attribute("legithealth.sync.records.from_journal", run.from_journal)

    def _observe_rates(self, options: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            runs = list(self._rates.items())
        for run_id, run in runs:
            rate = run.rate() if run.rate is not None else None
            if rate is not None:
                yield Observation(rate, {"legithealth.sync.run": run_id})


class _Call:
    """One observed call: its attempts become CLIENT spans, children of the call's span."""

    __slots__ = ("_host", "_observer", "_operation", "_port", "_recording", "_sent", "last_status")

    def __init__(
        self, observer: OtelObserver, operation: str, host: str, port: int, *, recording: bool
    ) -> None:
        self._observer = observer
        self._operation = operation
        self._recording = recording  # False: no SDK samples this trace, so no attempt spans
        self._host = host
        self._port = port
        self._sent: Counter[str] = Counter()
        self.last_status: int | None = None

    def attempt(
        self,
        operation: str,
        method: str,
        template: str,
        *,
        started: float,
        ended: float,
        status: int | None,
        error_type: str | None,
        request_id: str | None,
    ) -> None:
        """Record one attempt: a span (timed as it ran) and the request metrics."""
        o = self._observer
        resends = self._sent[operation]
        self._sent[operation] += 1
        attributes: dict[str, AttributeValue] = {
            "http.request.method": method,
            "server.address": self._host,
            "server.port": self._port,
            "url.template": template,
            "legithealth.operation": operation,
        }
        if status is not None:
            attributes["http.response.status_code"] = status
        if error_type is not None:
            attributes["error.type"] = error_type
        o.duration.record(ended - started, attributes)
        counted = {"legithealth.operation": operation, "http.status_class": _status_class(status)}
        o.requests.add(1, counted)
        if resends:
            o.retries.add(1, {"legithealth.operation": operation})
        if status == 429:
            o.throttled.add(1, {"legithealth.operation": operation})
        if resends:
            attributes["http.request.resend_count"] = resends
        if operation == self._operation:  # not a reconciling lookup's
            self.last_status = status
        if not self._recording:
            return
        if request_id is not None:
            attributes["legithealth.request_id"] = request_id
        now_perf, now_ns = time.perf_counter(), time.time_ns()
        span = o.tracer.start_span(
            f"{method} {template}",
            kind=SpanKind.CLIENT,
            attributes=attributes,
            start_time=_epoch_ns(started, now_perf, now_ns),
        )
        if error_type is not None:
            span.set_status(Status(StatusCode.ERROR))
        span.end(end_time=_epoch_ns(ended, now_perf, now_ns))

    @contextmanager
    def reconciling(self) -> Iterator[None]:
        """A child span around the lookup that resolves an unknown outcome."""
        self._observer.reconciliations.add(1)
        with self._observer.tracer.start_as_current_span(
            "legithealth.reconcile",
            kind=SpanKind.INTERNAL,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                yield
            except BaseException as exc:
                span.set_attribute("error.type", type(exc).__name__)
                span.set_status(Status(StatusCode.ERROR))
                raise

    def headers(self) -> Sequence[tuple[str, str]]:
        """``traceparent`` (and ``tracestate``) of the current span, when propagation is on."""
        if not self._observer.propagate:
            return ()
        carrier: dict[str, str] = {}
        propagate.inject(carrier, context=otel_context.get_current())
        return tuple((k, v) for k, v in carrier.items() if k.lower() in C.PROPAGATED_HEADERS)


class _SyncRun:
    """One observed sync run: outcome counts, records in flight, the pacer's rate."""

    __slots__ = ("__weakref__", "_observer", "counts", "from_journal", "rate")

    def __init__(self, observer: OtelObserver, rate: Callable[[], float | None] | None) -> None:
        self._observer = observer
        self.rate = rate
        self.counts: Counter[str] = Counter()
        self.from_journal = 0

    def started(self) -> None:
        """A worker took a record."""
        self._observer.in_flight.add(1)

    def finished(self) -> None:
        """A worker is done with a record."""
        self._observer.in_flight.add(-1)

    def outcome(self, outcome: str, *, from_journal: bool) -> None:
        """A record's outcome, counted by kind."""
        self.counts[outcome] += 1
        self.from_journal += from_journal
        self._observer.records.add(1, {"legithealth.sync.outcome": outcome})
