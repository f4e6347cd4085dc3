"""Every command of a data-subject request goes out in the trace of the call that filed it,
whoever sends it later: the worker's retry job (which runs outside any trace) or an answer
that opens the next phase of an erasure. A hosted APM then shows one request as one trace."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import select

from kit import tracing
from kit.db import Database
from kit.events import Envelope
from kit.privacy.protocol import COMMAND, Action
from privacy.base import events
from privacy.config import Settings
from privacy.context import Context
from privacy.requests import commands, repository, service
from privacy.requests.models import RequestType, TaskStatus

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
RETRY = 10.0
#: The gateway's request that filed the data-subject request, and its span.
FILED_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
GATEWAY_SPAN = "00f067aa0ba902b7"
#: Another request's trace (an answer handled later, under its own trace).
OTHER_TRACE = "0af7651916cd43dd8448eb211c80319c"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path, retry_seconds=RETRY)


def trace_of(traceparent: str | None) -> str | None:
    return traceparent.split("-")[1] if traceparent else None


async def file(database: Database, ctx: Context, request_type: RequestType) -> str:
    """A request filed inside the service's server span, child of the gateway's."""
    with tracing.span(
        "POST /api/privacy/requests",
        parent=tracing.extract(f"00-{FILED_TRACE}-{GATEWAY_SPAN}-01"),
    ):
        async with database.transaction() as db:
            request = await service.open_request(
                db, ctx, tenant_id="t-1", subject="u-1", request_type=request_type, now=NOW
            )
            return request.id


async def commands_sent(database: Database) -> list[Envelope]:
    async with database.transaction() as db:
        bodies = (await db.scalars(select(events.outbox.c.body))).all()
    envelopes = [Envelope.model_validate_json(body) for body in bodies]
    return [e for e in envelopes if e.type == COMMAND]


def sends(spans: InMemorySpanExporter) -> list[ReadableSpan]:
    return [s for s in spans.get_finished_spans() if s.name == "dsr.command send"]


async def test_a_command_sent_again_by_the_retry_job_carries_the_filing_trace(
    database: Database, ctx: Context, spans: InMemorySpanExporter
) -> None:
    request_id = await file(database, ctx, RequestType.ACCESS)
    async with database.transaction() as db:
        request = await repository.request_by_id(db, request_id)
        assert request is not None
        assert trace_of(request.traceparent) == FILED_TRACE
        tasks = len(await repository.tasks_of(db, request_id))
    first = await commands_sent(database)
    assert len(first) == tasks >= 4
    assert {trace_of(e.traceparent) for e in first} == {FILED_TRACE}
    filing_span = next(s for s in spans.get_finished_spans() if s.name.startswith("POST "))
    spans.clear()

    # The worker's job runs in no span: without the stored context, a trace of its own.
    async with database.transaction() as db:
        resent = await commands.retry_waiting(db, ctx, NOW + timedelta(seconds=RETRY + 1))
    assert resent == tasks
    again = (await commands_sent(database))[tasks:]
    assert len(again) == tasks
    assert {trace_of(e.traceparent) for e in again} == {FILED_TRACE}
    retried = sends(spans)
    assert len(retried) == tasks
    for span in retried:
        assert span.context is not None and span.parent is not None
        assert span.context.trace_id == int(FILED_TRACE, 16)
        assert filing_span.context is not None
        assert span.parent.span_id == filing_span.context.span_id
        assert (span.attributes or {})["dsr.attempt"] == 2
        assert not span.links  # no other trace to point to
        # Only the request's type, the service, the action and the attempt: no person's id.
        assert "u-1" not in repr(dict(span.attributes or {}))


async def test_a_request_filed_before_the_column_still_has_its_commands_sent_again(
    database: Database, ctx: Context, spans: InMemorySpanExporter
) -> None:
    request_id = await file(database, ctx, RequestType.ACCESS)
    async with database.transaction() as db:
        request = await repository.request_by_id(db, request_id)
        assert request is not None
        request.traceparent = None  # a row from before migration 0008
    async with database.transaction() as db:
        assert await commands.retry_waiting(db, ctx, NOW + timedelta(seconds=RETRY + 1)) > 0
    again = [e for e in await commands_sent(database) if trace_of(e.traceparent) != FILED_TRACE]
    assert again and all(e.traceparent for e in again)  # a new trace, as before


async def test_the_next_phase_of_an_erasure_goes_out_in_the_filing_trace(
    database: Database, ctx: Context, spans: InMemorySpanExporter
) -> None:
    request_id = await file(database, ctx, RequestType.ERASURE)
    async with database.transaction() as db:
        tasks = await repository.tasks_of(db, request_id)
        first = [t for t in tasks if t.status == TaskStatus.WAITING]
        last = [t for t in tasks if t.status == TaskStatus.PENDING]
    assert first and len(last) == 1 and last[0].action == Action.ERASE
    spans.clear()
    # The answers arrive in consumer spans of another trace (a message without the context).
    answer_parent = tracing.extract(f"00-{OTHER_TRACE}-{GATEWAY_SPAN}-01")
    for task in first:
        answer = Envelope(
            type="privacy.answer",
            source=task.service,
            payload={
                "request_id": request_id,
                "service": task.service,
                "action": task.action,
                "status": "done",
            },
        )
        with tracing.span("privacy.answer process", parent=answer_parent):
            async with database.transaction() as db:
                await commands.record_answer(db, ctx, answer, NOW + timedelta(seconds=5))
    last_command = (await commands_sent(database))[-1]
    assert last_command.payload["action"] == Action.ERASE
    assert last_command.payload["request_id"] == request_id
    assert trace_of(last_command.traceparent) == FILED_TRACE
    (span,) = sends(spans)
    assert span.context is not None and span.context.trace_id == int(FILED_TRACE, 16)
    # ...linked to the answer's span that triggered it.
    assert [link.context.trace_id for link in span.links] == [int(OTHER_TRACE, 16)]
