"""The command line's ``--otel``: export a run's traces and metrics as ``OTEL_*`` variables say.

The standard variables choose and configure the exporters, as every OpenTelemetry SDK reads them:
``OTEL_TRACES_EXPORTER`` and ``OTEL_METRICS_EXPORTER`` (``otlp``, the default, ``console``, or
``none``), ``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``_PROTOCOL`` / ``_HEADERS`` (read by the OTLP
exporters themselves), ``OTEL_SERVICE_NAME`` and ``OTEL_RESOURCE_ATTRIBUTES``. Needs the SDK and,
for ``otlp``, an OTLP exporter package (the ``otel-export`` extra).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from ..errors import ConfigurationError

_SERVICE = "legithealth-sync"
_NEEDS = "pip install 'legithealth-async[otel-export]'"


def _choice(variable: str) -> str:
    value = os.environ.get(variable, "otlp").strip().lower() or "otlp"
    if value not in ("otlp", "console", "none"):
        raise ConfigurationError(f"{variable} must be otlp, console or none for --otel")
    return value


def _otlp(kind: str) -> Any:
    """The OTLP exporter class of ``kind`` (``trace`` or ``metric``), for the chosen protocol."""
    protocol = os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf").strip().lower()
    transport = "grpc" if protocol == "grpc" else "http"
    module_name = {"trace": "trace_exporter", "metric": "metric_exporter"}[kind]
    cls = {"trace": "OTLPSpanExporter", "metric": "OTLPMetricExporter"}[kind]
    package = "grpc" if transport == "grpc" else "proto.http"
    try:
        module = __import__(f"opentelemetry.exporter.otlp.{package}.{module_name}", fromlist=[cls])
    except ImportError as exc:
        raise ConfigurationError(
            f"--otel with OTLP over {transport} needs the OTLP exporter: {_NEEDS}"
        ) from exc
    return getattr(module, cls)


def export_from_environment() -> Callable[[], None]:
    """Install SDK providers configured by ``OTEL_*``, instrument, and return the shutdown.

    The shutdown flushes what is buffered (the spans of the run, a last metrics export) and
    stops the exporters; call it once the run is over.
    """
    try:
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import (
            ConsoleMetricExporter,
            MetricReader,
            PeriodicExportingMetricReader,
        )
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
    except ImportError as exc:
        raise ConfigurationError(f"--otel needs the OpenTelemetry SDK: {_NEEDS}") from exc
    from . import instrument

    traces, metrics = _choice("OTEL_TRACES_EXPORTER"), _choice("OTEL_METRICS_EXPORTER")
    # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over this default (Resource.create).
    resource = Resource.create({"service.name": _SERVICE})
    tracer_provider = TracerProvider(resource=resource)
    if traces != "none":
        span_exporter = (
            ConsoleSpanExporter(out=sys.stderr) if traces == "console" else _otlp("trace")()
        )
        tracer_provider.add_span_processor(BatchSpanProcessor(span_exporter))
    readers: list[MetricReader] = []
    if metrics != "none":
        metric_exporter = (
            ConsoleMetricExporter(out=sys.stderr) if metrics == "console" else _otlp("metric")()
        )
        readers.append(PeriodicExportingMetricReader(metric_exporter))
    meter_provider = MeterProvider(resource=resource, metric_readers=readers)
    instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)

    def shutdown() -> None:
        from . import uninstrument

        uninstrument()
        tracer_provider.shutdown()  # flushes the batch processor
        meter_provider.shutdown()  # a last collection and export

    return shutdown
