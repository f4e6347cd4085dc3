"""Traces: one request's spans linked across a service and the worker that handles its event,
with no personal data in any span; OTLP export only when an endpoint is configured."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, Request
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from pydantic import BaseModel
from sqlalchemy import Column, MetaData, String, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit import tracing
from kit.clients import Answer, PeerRequest, Peers
from kit.db import Database
from kit.events import Envelope, EventStore
from kit.events.broker import Broker
from kit.events.consumer import Consumer
from kit.settings import ServiceSettings
from kit.web import create_app

metadata = MetaData()
store = EventStore(metadata, source="orders")
handled = Table("handled", metadata, Column("event_id", String(36), primary_key=True))

PERSON_ID = "5d0c1a7e-8f0b-4c57-9a4e-2f1d3c9b7a61"
EMAIL = "alice.martin@demo.test"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
GATEWAY_SPAN = "00f067aa0ba902b7"


@pytest.fixture(name="metadata")
def metadata_fixture() -> MetaData:
    return metadata


class Contact(BaseModel):
    email: str


router = APIRouter()


@router.post("/people/{person_id}/contact")
async def change_contact(person_id: str, body: Contact, request: Request) -> dict[str, str]:
    database: Database = request.app.state.test_db
    async with database.transaction() as session:
        envelope = await store.add(session, "contact.changed", subject=person_id)
    return {"event": envelope.id}


class Delivery:
    """What aio-pika hands the consumer: the body, the publishing account, ack on success."""

    def __init__(self, body: bytes, user_id: str) -> None:
        self.body = body
        self.user_id = user_id
        self.acked = False

    @asynccontextmanager
    async def process(self, requeue: bool = False) -> AsyncIterator[None]:
        yield
        self.acked = True


def _texts(span: ReadableSpan) -> list[str]:
    texts = [span.name, span.status.description or ""]
    texts += [f"{k}={v!r}" for k, v in (span.attributes or {}).items()]
    for event in span.events:
        texts += [event.name] + [f"{k}={v!r}" for k, v in (event.attributes or {}).items()]
    return texts


async def test_one_request_is_one_trace_across_the_service_and_its_worker(
    database: Database, tmp_path: Path, spans: InMemorySpanExporter
) -> None:
    app = create_app(
        settings=ServiceSettings(service_name="orders", var_dir=tmp_path), routers=[router]
    )
    app.state.test_db = database
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://orders"
    ) as client:
        response = await client.post(
            f"/people/{PERSON_ID}/contact",
            json={"email": EMAIL},
            headers={"traceparent": f"00-{TRACE_ID}-{GATEWAY_SPAN}-01"},
        )
    assert response.status_code == 200
    async with database.transaction() as session:
        body = await session.scalar(select(store.outbox.c.body))
    assert body is not None
    assert Envelope.model_validate_json(body).traceparent is not None

    async def handler(session: AsyncSession, envelope: Envelope) -> None:
        await session.execute(insert(handled).values(event_id=envelope.id))

    consumer = Consumer(
        database=database,
        store=store,
        broker=Broker("amqp://subsidies@unused"),
        queue="subsidies.events",
        handlers={"contact.changed": handler},
        service="subsidies",
    )
    delivery = Delivery(body.encode(), user_id="orders")  # what the relay published
    await consumer._on_message(delivery)  # type: ignore[arg-type]
    assert delivery.acked
    async with database.transaction() as session:
        assert await session.scalar(select(handled.c.event_id)) == response.json()["event"]

    finished = spans.get_finished_spans()
    server = [s for s in finished if s.kind is SpanKind.SERVER]
    consumed = [s for s in finished if s.kind is SpanKind.CONSUMER]
    assert len(server) == 1 and len(consumed) == 1
    request_span, consumer_span = server[0], consumed[0]
    assert request_span.name == "POST /people/{person_id}/contact"
    assert request_span.context is not None and consumer_span.context is not None
    # The gateway's trace continues in the service...
    assert request_span.context.trace_id == int(TRACE_ID, 16)
    assert request_span.parent is not None
    assert request_span.parent.span_id == int(GATEWAY_SPAN, 16)
    # ...and in the worker, whose span is the request span's child.
    assert consumer_span.context.trace_id == int(TRACE_ID, 16)
    assert consumer_span.parent is not None
    assert consumer_span.parent.span_id == request_span.context.span_id
    assert consumer_span.name == "contact.changed process"
    for span in finished:
        for text in _texts(span):
            assert PERSON_ID not in text
            assert EMAIL not in text


async def test_a_request_without_a_valid_traceparent_starts_its_own_trace(
    database: Database, tmp_path: Path, spans: InMemorySpanExporter
) -> None:
    app = create_app(
        settings=ServiceSettings(service_name="orders", var_dir=tmp_path), routers=[router]
    )
    app.state.test_db = database
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://orders"
    ) as client:
        await client.post(
            f"/people/{PERSON_ID}/contact",
            json={"email": EMAIL},
            headers={"traceparent": "00-not-a-trace-01"},
        )
        await client.get("/healthz")
    (request_span,) = spans.get_finished_spans()  # probes are not traced
    assert request_span.parent is None
    assert request_span.context is not None and request_span.context.trace_id != 0


async def test_calls_to_other_services_carry_the_trace(spans: InMemorySpanExporter) -> None:
    seen: list[str | None] = []

    async def peer(request: PeerRequest) -> Answer:
        seen.append(request.headers.get("traceparent"))
        return Answer.of(200, {})

    settings = ServiceSettings(service_name="orders")
    async with Peers(settings, transport=peer) as peers:
        with tracing.span("work"):
            await peers.send_checked("POST", f"http://identity/internal/users/{PERSON_ID}")
    (client_span,) = [s for s in spans.get_finished_spans() if s.kind is SpanKind.CLIENT]
    assert client_span.context is not None
    context = client_span.context
    assert seen == [f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"]
    assert all(PERSON_ID not in text for text in _texts(client_span))


def test_nothing_is_exported_without_an_endpoint() -> None:
    assert tracing.otlp_exporter({}) is None
    assert tracing.otlp_exporter({"OTEL_EXPORTER_OTLP_ENDPOINT": " "}) is None
    provider = tracing.build_provider("orders", {})
    assert provider._active_span_processor._span_processors == ()
    parent = TraceContextTextMapPropagator().extract(
        {"traceparent": f"00-{'ab' * 16}-{'cd' * 8}-01", "tracestate": "vendor=abc"}
    )
    with provider.get_tracer("test").start_as_current_span("kept", context=parent) as span:
        context = span.get_span_context()
        assert context.is_valid  # the context still travels, in the parent's trace
        assert context.trace_id == int("ab" * 16, 16)
        assert context.span_id != int("cd" * 8, 16)
        assert context.trace_state.get("vendor") == "abc"  # and the caller's tracestate
        assert not span.is_recording()  # nothing receives it: no span is recorded
    provider.add_span_processor(SimpleSpanProcessor(memory := InMemorySpanExporter()))
    with provider.get_tracer("test").start_as_current_span("recorded") as span:
        assert span.is_recording()
    assert [s.name for s in memory.get_finished_spans()] == ["recorded"]
    provider.shutdown()


def test_an_endpoint_configures_the_otlp_exporter() -> None:
    environ = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/"}
    exporter = tracing.otlp_exporter(environ)
    assert isinstance(exporter, OTLPSpanExporter)
    assert exporter._endpoint == "http://collector:4318/v1/traces"
    provider = tracing.build_provider("orders", environ)
    (processor,) = provider._active_span_processor._span_processors
    assert isinstance(processor, BatchSpanProcessor)
    assert provider.resource.attributes["service.name"] == "orders"
    provider.shutdown()


async def test_kits_tracer_is_made_once_and_its_spans_are_recorded(
    spans: InMemorySpanExporter,
) -> None:
    """The SDK makes a new tracer on each ``get_tracer``: kit's is made once, and the spans it
    starts still reach the processors added to the provider afterwards."""
    assert tracing.tracer() is tracing.tracer()
    with tracing.span("once"):
        pass
    assert "once" in [s.name for s in spans.get_finished_spans()]
