"""OpenTelemetry traces and metrics of the client and the sync, with no patient data in them.

::

    from legithealth_async import telemetry

    telemetry.instrument()          # the global tracer and meter providers
    async with LegitHealth() as lh:
        await lh.patients.get("a449")   # a span for the call, a CLIENT span per attempt

Needs the ``otel`` extra (``pip install 'legithealth-async[otel]'``: ``opentelemetry-api``
only; the SDK and exporters are the application's). Until :func:`instrument` is called nothing
of OpenTelemetry is imported and the client pays one attribute read per call.

What is recorded, after the OpenTelemetry HTTP client semantic conventions:

- a span per API call (INTERNAL, named by the operation id, e.g. ``createPatient``), and under it a
  CLIENT span per attempt (``POST /patients``) with ``http.request.method``, ``server.address``,
  ``server.port``, ``url.template`` (never ``url.full`` nor a query: they carry external ids),
  ``http.response.status_code``, ``http.request.resend_count``, ``error.type``,
  ``legithealth.operation`` and ``legithealth.request_id`` (only when it looks like an id);
- a ``legithealth.reconcile`` child span around the lookup that resolves a create whose outcome was
  unknown;
- a ``legithealth.sync`` span per sync run, with its outcome counts when it ends;
- metrics: ``http.client.request.duration`` (histogram, seconds, one per attempt),
  ``legithealth.client.requests`` (by operation and ``http.status_class``),
  ``legithealth.client.retries``, ``legithealth.client.rate_limited`` (429s),
  ``legithealth.client.reconciliations``, ``legithealth.sync.records`` (by outcome),
  ``legithealth.sync.records.in_flight`` and ``legithealth.sync.pacer.rate``.

No external id, name, email, phone, birth date, token or patient id is put in any attribute,
event, metric attribute or status; an error is recorded by its class name only (no exception
event: a message may quote a server).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import _observe
from ..errors import ConfigurationError

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

__all__ = ["instrument", "is_instrumented", "uninstrument"]

_MISSING = "legithealth_async.telemetry needs OpenTelemetry: pip install 'legithealth-async[otel]'"


def instrument(
    *,
    tracer_provider: TracerProvider | None = None,
    meter_provider: MeterProvider | None = None,
    propagate: bool = False,
) -> None:
    """Record traces and metrics of every client and sync in this process from now on.

    ``tracer_provider`` / ``meter_provider``: the providers to use (default: OpenTelemetry's
    global ones, as set by the application or ``opentelemetry-instrument``). ``propagate=True``
    also sends the W3C ``traceparent`` (and ``tracestate``) header on each request, so the
    server's traces can join yours; it is off by default (a header the API may not expect).
    Calling it again replaces the previous setup. Raises :class:`ConfigurationError` when
    ``opentelemetry-api`` is not installed.
    """
    try:
        from ._otel import OtelObserver
    except ImportError as exc:  # pragma: no cover - exercised without the extra installed
        raise ConfigurationError(_MISSING) from exc
    _observe.observer = OtelObserver(tracer_provider, meter_provider, propagate_context=propagate)


def uninstrument() -> None:
    """Stop recording (calls in progress finish their spans)."""
    _observe.observer = None


def is_instrumented() -> bool:
    """Whether :func:`instrument` is in force."""
    return _observe.observer is not None
