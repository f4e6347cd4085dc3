"""A request's commands to the services and their answers: the state machine.

A request is a set of tasks, one per (service, action), in phases. Phase 1 goes out at once;
a later phase goes out when every task before it has answered (an erasure reaches the account
last). A task that gets no answer stays ``waiting`` and its command is sent again, less and
less often (``retry_waiting``): nothing is skipped silently, and the services make a repeated
command harmless. The request is ``completed`` only when every task has answered.
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kit import tracing
from kit.events import Envelope
from kit.metrics import DSR_SECONDS
from kit.privacy.protocol import COMMAND, Action, command_key
from privacy.archives import service as archives
from privacy.archives.models import ExportPart
from privacy.base import events, subject_data
from privacy.context import Context
from privacy.erasures import service as erasures
from privacy.requests import repository
from privacy.requests.models import (
    FINAL,
    READ_ONLY,
    Request,
    RequestStatus,
    RequestType,
    Task,
    TaskStatus,
)

#: A command unanswered after ``retry_seconds`` is sent again, then after twice as long, and
#: so on up to 32 times as long: after an outage, a backlog is not sent again and again while
#: the services work through it (each repeat is answered from the first effect anyway).
RETRY_BACKOFF = (1, 2, 4, 8, 16, 32)


async def send(db: AsyncSession, request: Request, task: Task, now: datetime) -> None:
    """The task's command, to its service (through the outbox); the task waits for it.

    It goes out in the trace of the call that filed the request (``Request.traceparent``),
    whoever sends it: the filing itself, an answer that opens the next phase, the identity
    check, or the worker's retry job, which otherwise starts a trace of its own."""
    with tracing.continued(
        request.traceparent,
        "dsr.command send",
        kind=tracing.PRODUCER,
        attributes={
            "dsr.type": request.type,
            "dsr.service": task.service,
            "dsr.action": task.action,
            "dsr.attempt": task.attempts + 1,
        },
    ):
        await _send(db, request, task, now)


async def _send(db: AsyncSession, request: Request, task: Task, now: datetime) -> None:
    payload: dict[str, Any] = {
        "request_id": request.id,
        "action": task.action,
        "subject": request.subject,
        "tenant": request.tenant_id,
    }
    if task.action == Action.RECTIFY:
        payload["corrections"] = request.corrections or {}
    await events.add(
        db,
        COMMAND,
        tenant=request.tenant_id,
        subject=request.subject,
        payload=payload,
        routing_key=command_key(task.service),
    )
    task.status, task.sent_at, task.attempts = TaskStatus.WAITING, now, task.attempts + 1


async def record_answer(db: AsyncSession, ctx: Context, envelope: Envelope, now: datetime) -> None:
    """A service answered: mark its task, send the next phase, or complete the request.

    A failed task stops the request there: an erasure never reaches the account while data
    may remain elsewhere."""
    answer = envelope.payload
    request = await repository.request_by_id(db, str(answer["request_id"]), lock=True)
    if request is None or request.status in FINAL:
        return
    task = await repository.waiting_task(
        db, request_id=request.id, service=str(answer["service"]), action=str(answer["action"])
    )
    if task is None:
        return  # a repeated answer: already counted
    task.status = TaskStatus.DONE if answer.get("status") == TaskStatus.DONE else TaskStatus.FAILED
    task.answered_at, task.result = now, dict(answer.get("result") or {})
    if answer.get("sealed") and task.status == TaskStatus.DONE:
        db.add(
            ExportPart(
                request_id=request.id,
                service=task.service,
                sealed=answer["sealed"],
                received_at=now,
            )
        )
    await db.flush()
    tasks = list(await repository.tasks_of(db, request.id))
    if any(t.status == TaskStatus.WAITING for t in tasks):
        return
    pending = [t for t in tasks if t.status == TaskStatus.PENDING]
    if pending and not any(t.status == TaskStatus.FAILED for t in tasks):
        phase = min(t.phase for t in pending)
        for t in pending:
            if t.phase == phase:
                await send(db, request, t, now)
        return
    await _complete(db, ctx, request, tasks, now)


async def _complete(
    db: AsyncSession, ctx: Context, request: Request, tasks: list[Task], now: datetime
) -> None:
    report: dict[str, Any] = {}
    for t in sorted(tasks, key=lambda t: (t.phase, t.service)):
        report.setdefault(t.service, {})[t.action] = t.result
    request.report = report
    failed = sorted({t.service for t in tasks if t.status == TaskStatus.FAILED})
    if failed:
        # The DPO sees it in the queue with the reason; pending phases are not sent.
        await close(db, request, RequestStatus.FAILED, now, f"failed in {', '.join(failed)}")
        return
    request.status, request.completed_at = RequestStatus.COMPLETED, now
    DSR_SECONDS.labels(request.type, RequestStatus.COMPLETED).observe(
        (now - request.received_at).total_seconds()
    )
    if request.type in READ_ONLY:
        if request.subject is None:  # the person was erased meanwhile
            await close(db, request, RequestStatus.REJECTED, now, ERASED_MEANWHILE)
            return
        await archives.make_archive(db, ctx, request, now)
    elif request.type == RequestType.ERASURE and request.subject:
        await _forget(db, ctx, request, now)


ERASED_MEANWHILE = "the person's data was erased meanwhile"


async def _forget(db: AsyncSession, ctx: Context, request: Request, now: datetime) -> None:
    """After an erasure: remember the person by keyed hash only, end their other open requests,
    and drop our own copies of their data."""
    assert request.subject is not None
    key = subject_data.subject_key(request.subject)
    await erasures.remember(
        db, ctx.settings, key=key, tenant_id=request.tenant_id, request_id=request.id, now=now
    )
    for other in await repository.open_requests_of(db, request.subject):
        if other.id != request.id:
            await close(db, other, RequestStatus.REJECTED, now, ERASED_MEANWHILE)
    await archives.discard_archives_of(db, ctx, request.subject)  # once the erasure commits
    await erasures.forget_records(db, subject=request.subject, key=key)


async def close(
    db: AsyncSession,
    request: Request,
    status: RequestStatus,
    now: datetime,
    reason: str | None = None,
) -> None:
    """End a request before it completes: its open tasks and any export parts end too."""
    request.status, request.completed_at, request.failure_reason = status, now, reason
    DSR_SECONDS.labels(request.type, status).observe((now - request.received_at).total_seconds())
    for task in await repository.tasks_of(db, request.id):
        if task.status in (TaskStatus.WAITING, TaskStatus.PENDING):
            task.status = TaskStatus(status)
    await archives.discard_parts(db, request.id)


async def retry_waiting(db: AsyncSession, ctx: Context, now: datetime) -> int:
    """Send again the commands still unanswered: after ``retry_seconds`` the first time,
    doubling with each send (``RETRY_BACKOFF``), unless the service is working through a
    backlog that holds the command (``_queued_behind_backlog``)."""
    retry = ctx.settings.retry_seconds
    sent_before = [now - timedelta(seconds=retry * factor) for factor in RETRY_BACKOFF]
    answers = await repository.answers_by_service(db, since=now - ANSWERS_WINDOW)
    count = 0
    for task in await repository.overdue_tasks(db, sent_before=sent_before):
        if _queued_behind_backlog(task, answers.get(task.service), now, retry):
            continue
        request = await repository.request_by_id(db, task.request_id)
        if request is not None and request.status not in FINAL:
            await send(db, request, task, now)
            count += 1
    return count


#: How far back the answers that tell a busy service from a silent one are read.
ANSWERS_WINDOW = timedelta(hours=1)


def _queued_behind_backlog(
    task: Task,
    answers: tuple[datetime | None, datetime | None] | None,
    now: datetime,
    retry_seconds: float,
) -> bool:
    """True when sending ``task`` again would only add a copy to a queue that still holds it:
    its service answered within the last ``retry_seconds`` (it is alive and working through
    its queue, oldest first), and no command sent after this one was answered yet (so the
    service has not reached it). A command that a later one overtook was lost: sent again.
    A service silent for ``retry_seconds`` gets the copies as before (it may be down).

    Without this, 1,000 erasures filed at once had each command sent five or six times
    while the services worked through the first copies, and each copy cost a transaction
    and an answer: the backlog grew with its own repeats."""
    if answers is None or task.sent_at is None:
        return False
    last_answer, latest_sent_answered = answers
    if last_answer is None or last_answer < now - timedelta(seconds=retry_seconds):
        return False
    return latest_sent_answered is None or latest_sent_answered <= task.sent_at
