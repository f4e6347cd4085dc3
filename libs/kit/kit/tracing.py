"""Traces: W3C trace context from the gateway through every service and every event.

The gateway sends a ``traceparent`` made from its request id (the id is the trace id), so one
data-subject request is one trace: the request middleware (``kit.web``) continues it in a server
span, calls to other services (``kit.clients``) carry it on, an event written in the outbox keeps
it in its envelope (``Envelope.traceparent``), and the consumer that handles the event runs in a
span whose parent is the request's. Work done later for a request (a command sent again by a
scheduled job) runs in ``continued``: a span in the trace of the ``traceparent`` the request
stored. Each process has one ``TracerProvider`` named after its
service; its spans are exported over OTLP/HTTP only when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set
(any hosted APM reads OTLP); otherwise the context still travels and nothing leaves the process.

Span names and attributes never carry personal data: route templates, event types, statuses,
random event ids; never a path with its values, an exception's message or a person's id.
"""

import functools
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode, TraceState
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import Attributes

ENDPOINT_VARIABLE = "OTEL_EXPORTER_OTLP_ENDPOINT"
TRACEPARENT = "traceparent"
#: A span that sends a message (a service needs no OpenTelemetry import for it).
PRODUCER = SpanKind.PRODUCER

_propagator = TraceContextTextMapPropagator()
#: The process's provider, once made (``configure_tracing``).
_providers: list[TracerProvider] = []


def otlp_exporter(environ: Mapping[str, str] | None = None) -> SpanExporter | None:
    """The OTLP/HTTP exporter for ``OTEL_EXPORTER_OTLP_ENDPOINT``, or None when it is not set.

    The exporter reads the other standard variables itself (``OTEL_EXPORTER_OTLP_HEADERS`` for
    an APM's key, timeouts, compression)."""
    env = os.environ if environ is None else environ
    endpoint = env.get(ENDPOINT_VARIABLE, "").strip()
    if not endpoint:
        return None
    return OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces")


class _WhileExported(Sampler):
    """Records spans only while something receives them: with no span processor (no OTLP
    endpoint), a span is a ``NonRecordingSpan`` with its own span id in its parent's trace, so
    the context still travels (calls, events) but no span object, attributes or end time is
    made for nothing: under ``make load`` those were 3.5 % of the APIs' samples
    (docs/performance.md). The parent's sampled flag is not followed: each process records
    when it exports. A span not recorded goes on with the flags ``00`` (not sampled) in the
    ``traceparent`` it passes on, and with the caller's ``tracestate``."""

    def __init__(self) -> None:
        self.recording = False

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        parent = trace.get_current_span(parent_context).get_span_context()
        trace_state = parent.trace_state if parent.is_valid else None
        if not self.recording:  # the caller's tracestate still travels on
            return SamplingResult(Decision.DROP, None, trace_state)
        return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes, trace_state)

    def get_description(self) -> str:
        return "WhileExported"


class _Provider(TracerProvider):
    """A provider whose sampler starts recording when the first span processor is added (the
    OTLP exporter, or the tests' memory)."""

    def __init__(self, resource: Resource) -> None:
        self._sampling = _WhileExported()
        super().__init__(sampler=self._sampling, resource=resource)

    def add_span_processor(self, span_processor: SpanProcessor) -> None:
        super().add_span_processor(span_processor)
        self._sampling.recording = True


def build_provider(service: str, environ: Mapping[str, str] | None = None) -> TracerProvider:
    """A provider for ``service``: spans batched to OTLP when an endpoint is set; else none is
    recorded, and the trace context still travels."""
    provider = _Provider(resource=Resource.create({"service.name": service}))
    exporter = otlp_exporter(environ)
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def configure_tracing(service: str) -> TracerProvider:
    """The process's provider, made on the first call (a later call, another app built in the
    same process by the tests, keeps the first)."""
    if not _providers:
        _providers.append(build_provider(service))
        trace.set_tracer_provider(_providers[0])
    return _providers[0]


@functools.cache
def tracer() -> trace.Tracer:
    """kit's tracer, made once: the SDK builds a new one, with its instrumentation scope, on
    every ``get_tracer``, and a span is made for every request, call and event (3.4 % of the
    session check's CPU, docs/performance.md). Made before ``configure_tracing``, it is the
    API's proxy, which hands over to the provider once one is set."""
    return trace.get_tracer("kit")


def extract(traceparent: str | None) -> Context | None:
    """The context a ``traceparent`` value names (None when absent or malformed: a new trace)."""
    if not traceparent:
        return None
    context = _propagator.extract({TRACEPARENT: traceparent})
    if not trace.get_current_span(context).get_span_context().is_valid:
        return None
    return context


def current_traceparent() -> str | None:
    """The ``traceparent`` of the current span, to carry with a call or an event."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get(TRACEPARENT)


def inject(headers: dict[str, str]) -> dict[str, str]:
    """``headers`` with the current span's ``traceparent`` (when there is one)."""
    _propagator.inject(headers)
    return headers


@contextmanager
def no_span() -> Iterator[Span]:
    """Where a span is not wanted: one that records nothing."""
    yield trace.INVALID_SPAN


@contextmanager
def span(
    name: str,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    parent: Context | None = None,
    attributes: Mapping[str, str | int] | None = None,
    links: Sequence[Link] = (),
) -> Iterator[Span]:
    """A current span that records a failure by its exception's class only: an exception's
    message (what the default recording keeps) may quote personal data."""
    with tracer().start_as_current_span(
        name,
        context=parent,
        kind=kind,
        attributes=dict(attributes or {}),
        links=links,
        record_exception=False,
        set_status_on_exception=False,
    ) as current:
        try:
            yield current
        except BaseException as exc:
            current.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            current.set_attribute("error.type", type(exc).__name__)
            raise


@contextmanager
def continued(
    traceparent: str | None,
    name: str,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: Mapping[str, str | int] | None = None,
) -> Iterator[Span]:
    """A span in the trace a stored ``traceparent`` names, for work done later on behalf of the
    request that started it (a command sent again by a scheduled job, the next stage of a
    data-subject request): its parent is that request's span, so the hosted APM shows it in the
    request's trace. When the work runs inside a span of another trace (the answer or the
    request that triggered it), the new span links to that one too. Without a valid
    ``traceparent`` (a row older than the column), the span continues the current trace."""
    stored = extract(traceparent)
    current = trace.get_current_span().get_span_context()
    links: list[Link] = []
    if stored is not None and current.is_valid:
        origin = trace.get_current_span(stored).get_span_context()
        if current.trace_id != origin.trace_id:
            links.append(Link(current))
    with span(name, kind=kind, parent=stored, attributes=attributes, links=links) as current_span:
        yield current_span
