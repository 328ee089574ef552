"""OpenTelemetry traces through FastStream's middleware; context travels in Kafka headers.

A partner's ``traceparent`` header (W3C trace context) makes bureau's processing span a
child of the partner's trace; everything bureau publishes while handling that message
carries the same trace in its own headers.
"""

from __future__ import annotations

from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

from bureau.settings import Settings


class TracingUnavailableError(RuntimeError):
    """The configured exporter cannot be built (its package is missing)."""


def _exporter(kind: str) -> SpanExporter:
    if kind == "console":
        return ConsoleSpanExporter()
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    except ImportError as exc:
        raise TracingUnavailableError(
            "BUREAU_TRACE_EXPORTER=otlp needs the otlp extra: pip install 'bureau[otlp]'"
        ) from exc
    # Endpoint and headers come from the standard OTEL_EXPORTER_OTLP_* variables.
    exporter: SpanExporter = OTLPSpanExporter()
    return exporter


def tracer_provider(settings: Settings) -> TracerProvider | None:
    """A provider exporting as the settings say, or None when tracing is off."""
    if settings.trace_exporter == "none":
        return None
    provider = TracerProvider(resource=Resource.create({"service.name": "bureau"}))
    provider.add_span_processor(BatchSpanProcessor(_exporter(settings.trace_exporter)))
    return provider


def middleware(provider: TracerProvider) -> KafkaTelemetryMiddleware:
    """FastStream's Kafka tracing middleware on ``provider``."""
    return KafkaTelemetryMiddleware(tracer_provider=provider)
