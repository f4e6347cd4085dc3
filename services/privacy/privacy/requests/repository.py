"""Queries of requests and their tasks. Request reads always carry the tenant, but the
worker's (an answer, a retry) and an erasure's."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from kit.pagination import By, Keyset, Page, Part, fetch
from kit.privacy.protocol import Action
from privacy.requests.models import FINAL, Request, RequestStatus, RequestType, Task, TaskStatus


async def request_in_tenant(
    db: AsyncSession, *, tenant_id: str, request_id: str, lock: bool = False
) -> Request | None:
    query = select(Request).where(Request.id == request_id, Request.tenant_id == tenant_id)
    return await db.scalar(query.with_for_update() if lock else query)


#: A request and its tasks, read at each step of every request as the services answer: built
#: once with bound parameters, as every statement a frequent operation runs (docs/performance.md).
_REQUEST = select(Request).where(Request.id == bindparam("request_id"))
_REQUEST_LOCKED = _REQUEST.with_for_update()
_TASKS_OF = select(Task).where(Task.request_id == bindparam("request_id"))
_WAITING_TASK = select(Task).where(
    Task.request_id == bindparam("request_id"),
    Task.service == bindparam("service"),
    Task.action == bindparam("action"),
    Task.status == TaskStatus.WAITING,
)


async def request_by_id(db: AsyncSession, request_id: str, *, lock: bool = False) -> Request | None:
    return await db.scalar(_REQUEST_LOCKED if lock else _REQUEST, {"request_id": request_id})


#: The deadline of a request: the extended one, if the DPO extended it.
EFFECTIVE_DUE = func.coalesce(Request.extended_due_at, Request.due_at)

#: A person's requests: the newest first.
NEWEST_FIRST = Keyset[Request](
    "requests",
    (By(Request.received_at, datetime, descending=True), By(Request.id, str)),
    key=lambda r: (r.received_at, r.id),
)
#: The DPO's queue, first part: open requests, the earliest deadline first, so the overdue
#: ones (their deadline is past) come first, the longest overdue at the top.
OPEN_BY_DEADLINE = Keyset[Request](
    "queue-open",
    (By(EFFECTIVE_DUE, datetime), By(Request.id, str)),
    key=lambda r: (r.extended_due_at or r.due_at, r.id),
)
#: Then the answered ones (completed, failed, rejected, cancelled), the newest first.
ANSWERED = Keyset[Request](
    "queue-answered",
    (By(Request.received_at, datetime, descending=True), By(Request.id, str)),
    key=lambda r: (r.received_at, r.id),
)


async def requests_page(
    db: AsyncSession, *, tenant_id: str, subject: str | None, cursor: str | None, limit: int
) -> Page[Request]:
    """A person's requests (``subject``), or with None the tenant's queue for its DPO, ordered
    by the database and paged by keyset: no request is ever beyond what the DPO can reach."""
    mine = select(Request).where(Request.tenant_id == tenant_id)
    if subject is not None:
        parts = [Part(mine.where(Request.subject == subject), NEWEST_FIRST)]
    else:
        parts = [
            Part(mine.where(Request.status.not_in(FINAL)), OPEN_BY_DEADLINE),
            Part(mine.where(Request.status.in_(FINAL)), ANSWERED),
        ]
    return await fetch(db, parts, cursor=cursor, limit=limit)


async def requests_of(db: AsyncSession, *, tenant_id: str, subject: str) -> Sequence[Request]:
    """Every request of one person (a handful), newest first; lists for a client page
    (``requests_page``)."""
    query = select(Request).where(Request.tenant_id == tenant_id, Request.subject == subject)
    return (await db.scalars(query.order_by(*NEWEST_FIRST.order_by()))).all()


async def open_erasure_of(db: AsyncSession, *, tenant_id: str, subject: str) -> Request | None:
    """The person's erasure under way, if any."""
    query = select(Request).where(
        Request.tenant_id == tenant_id,
        Request.subject == subject,
        Request.type == RequestType.ERASURE,
        Request.status.not_in(FINAL),
    )
    return await db.scalar(query.limit(1))


async def request_on_channel(
    db: AsyncSession, *, tenant_id: str, subject: str, channel: str
) -> Request | None:
    """Any request about ``subject`` that came through ``channel``, whatever its status."""
    query = select(Request).where(
        Request.tenant_id == tenant_id, Request.subject == subject, Request.channel == channel
    )
    return await db.scalar(query.limit(1))


async def tasks_of(db: AsyncSession, request_id: str) -> Sequence[Task]:
    return (await db.scalars(_TASKS_OF, {"request_id": request_id})).all()


async def tasks_of_many(db: AsyncSession, request_ids: list[str]) -> Sequence[Task]:
    return (await db.scalars(select(Task).where(Task.request_id.in_(request_ids)))).all()


async def waiting_task(
    db: AsyncSession, *, request_id: str, service: str, action: str
) -> Task | None:
    return await db.scalar(
        _WAITING_TASK, {"request_id": request_id, "service": service, "action": action}
    )


async def request_by_idempotency_key(db: AsyncSession, key: str) -> Request | None:
    found: Request | None = await db.scalar(select(Request).where(Request.idempotency_key == key))
    return found


async def answers_by_service(
    db: AsyncSession, *, since: datetime
) -> dict[str, tuple[datetime | None, datetime | None]]:
    """Per service, of the tasks answered since ``since``: when the last answer came, and
    when the latest-sent of the answered commands was sent."""
    rows = await db.execute(
        select(Task.service, func.max(Task.answered_at), func.max(Task.sent_at))
        .where(Task.answered_at >= since)
        .group_by(Task.service)
    )
    return {service: (answered, sent) for service, answered, sent in rows}


async def overdue_tasks(
    db: AsyncSession, *, sent_before: Sequence[datetime], limit: int = 500
) -> Sequence[Task]:
    """Unanswered tasks of open requests, oldest first; locked, so that two workers never send
    the same ones again. ``sent_before[n]``: the cut-off of a task sent ``n + 1`` times (the
    last one for every task sent more often)."""
    last = len(sent_before)

    def sent(times: int) -> ColumnElement[bool]:
        if times == 1:
            return Task.attempts <= 1
        return Task.attempts >= times if times == last else Task.attempts == times

    due = or_(
        *(and_(sent(n), Task.sent_at < cutoff) for n, cutoff in enumerate(sent_before, start=1))
    )
    return (
        await db.scalars(
            select(Task)
            .join(Request, Request.id == Task.request_id)
            .where(
                Task.status == TaskStatus.WAITING,
                Task.sent_at.is_not(None),
                due,
                Request.status.not_in(FINAL),
            )
            .order_by(Task.sent_at)
            .limit(limit)
            .with_for_update(skip_locked=True, of=Task)
        )
    ).all()


async def open_requests_of(db: AsyncSession, subject: str) -> Sequence[Request]:
    query = select(Request).where(Request.subject == subject, Request.status.not_in(FINAL))
    return (await db.scalars(query)).all()


async def objected(db: AsyncSession, *, tenant_id: str) -> set[str | None]:
    """The tenant's people whose objection (Art. 21) is completed."""
    found = await db.scalars(
        select(Request.subject).where(
            Request.tenant_id == tenant_id,
            Request.type == RequestType.OBJECTION,
            Request.status == RequestStatus.COMPLETED,
        )
    )
    return set(found)


async def restricted(db: AsyncSession, *, tenant_id: str) -> set[str | None]:
    """The tenant's people whose data is restricted (Art. 18): a restriction under way or
    completed, and not lifted (a lift adds ``lift_restriction`` tasks to the request)."""
    lifted = select(Task.id).where(
        Task.request_id == Request.id, Task.action == Action.LIFT_RESTRICTION.value
    )
    found = await db.scalars(
        select(Request.subject).where(
            Request.tenant_id == tenant_id,
            Request.type == RequestType.RESTRICTION,
            Request.status.in_((RequestStatus.IN_PROGRESS, RequestStatus.COMPLETED)),
            ~lifted.exists(),
        )
    )
    return set(found)


async def forget(db: AsyncSession, *, subject: str, key: str) -> None:
    """An erased person's requests keep the keyed hash and the reports, nothing else."""
    await db.execute(
        update(Request)
        .where(Request.subject == subject)
        .values(subject=None, subject_key=key, corrections=None, identity_check=None)
    )


async def open_by_type(db: AsyncSession) -> dict[str, tuple[int, datetime]]:
    """Per type, the requests not answered yet and their earliest due date (extended if so)."""
    due = func.coalesce(Request.extended_due_at, Request.due_at)
    rows = await db.execute(
        select(Request.type, func.count(), func.min(due))
        .where(Request.status.not_in(FINAL))
        .group_by(Request.type)
    )
    return {str(kind): (int(count), earliest) for kind, count, earliest in rows.all()}
