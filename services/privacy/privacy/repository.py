"""Every query of the privacy service. Request reads always carry the tenant."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from kit.db import mark_erasure
from kit.pagination import By, Keyset, Page, Part, fetch
from privacy.models import (
    Archive,
    AuditEntry,
    Consent,
    ConsentEvent,
    DataMapEntry,
    ExportPart,
    Forgotten,
    Request,
    Task,
    UnsubscribeToken,
)

FINAL_STATUSES = ("completed", "failed", "rejected", "cancelled")


async def request_in_tenant(
    db: AsyncSession, *, tenant_id: str, request_id: str, lock: bool = False
) -> Request | None:
    query = select(Request).where(Request.id == request_id, Request.tenant_id == tenant_id)
    return await db.scalar(query.with_for_update() if lock else query)


async def request_by_id(db: AsyncSession, request_id: str, *, lock: bool = False) -> Request | None:
    query = select(Request).where(Request.id == request_id)
    return await db.scalar(query.with_for_update() if lock else query)


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
            Part(mine.where(Request.status.not_in(FINAL_STATUSES)), OPEN_BY_DEADLINE),
            Part(mine.where(Request.status.in_(FINAL_STATUSES)), ANSWERED),
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
        Request.type == "erasure",
        Request.status.not_in(FINAL_STATUSES),
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
    return (await db.scalars(select(Task).where(Task.request_id == request_id))).all()


async def tasks_of_many(db: AsyncSession, request_ids: list[str]) -> Sequence[Task]:
    return (await db.scalars(select(Task).where(Task.request_id.in_(request_ids)))).all()


async def waiting_task(
    db: AsyncSession, *, request_id: str, service: str, action: str
) -> Task | None:
    return await db.scalar(
        select(Task).where(
            Task.request_id == request_id,
            Task.service == service,
            Task.action == action,
            Task.status == "waiting",
        )
    )


async def request_by_idempotency_key(db: AsyncSession, key: str) -> Request | None:
    found: Request | None = await db.scalar(select(Request).where(Request.idempotency_key == key))
    return found


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
                Task.status == "waiting",
                Task.sent_at.is_not(None),
                due,
                Request.status.not_in(FINAL_STATUSES),
            )
            .order_by(Task.sent_at)
            .limit(limit)
            .with_for_update(skip_locked=True, of=Task)
        )
    ).all()


async def services_holding(db: AsyncSession, subject: str) -> list[str]:
    return list(
        (
            await db.scalars(select(DataMapEntry.service).where(DataMapEntry.subject == subject))
        ).all()
    )


async def data_map_entry(db: AsyncSession, *, subject: str, service: str) -> DataMapEntry | None:
    return await db.get(DataMapEntry, (subject, service))


async def export_parts(db: AsyncSession, request_id: str) -> Sequence[ExportPart]:
    return (await db.scalars(select(ExportPart).where(ExportPart.request_id == request_id))).all()


async def archive_of(db: AsyncSession, request_id: str) -> Archive | None:
    return await db.get(Archive, request_id)


async def archive_file_names(db: AsyncSession) -> set[str]:
    """Every archive's file name (a week of exports at most: they expire after 7 days)."""
    return set((await db.scalars(select(Archive.file_name))).all())


async def expired_archives(db: AsyncSession, *, now: datetime) -> Sequence[Archive]:
    return (await db.scalars(select(Archive).where(Archive.expires_at <= now))).all()


async def archives_of_subject(db: AsyncSession, subject: str) -> Sequence[Archive]:
    return (
        await db.scalars(
            select(Archive)
            .join(Request, Request.id == Archive.request_id)
            .where(Request.subject == subject)
        )
    ).all()


async def forget_subject(db: AsyncSession, *, subject: str, key: str) -> None:
    """Our own records of an erased person keep the keyed hash and the reports, nothing else;
    the transaction is an erasure (``kit.db.mark_erasure``: nothing stays in SQLite's files)."""
    mark_erasure(db)
    await db.execute(
        update(Request)
        .where(Request.subject == subject)
        .values(subject=None, subject_key=key, corrections=None, identity_check=None)
    )
    await db.execute(delete(DataMapEntry).where(DataMapEntry.subject == subject))
    await db.execute(
        update(AuditEntry)
        .where(AuditEntry.subject == subject)
        .values(subject=None, subject_key=key)
    )
    # Consents go; their history stays as the proof, under the keyed hash.
    await db.execute(delete(Consent).where(Consent.subject == subject))
    await db.execute(delete(UnsubscribeToken).where(UnsubscribeToken.subject == subject))
    await db.execute(
        update(ConsentEvent)
        .where(ConsentEvent.subject == subject)
        .values(subject=None, subject_key=key)
    )


async def is_forgotten(db: AsyncSession, key: str) -> bool:
    return await db.get(Forgotten, key) is not None


async def open_requests_of(db: AsyncSession, subject: str) -> Sequence[Request]:
    query = select(Request).where(Request.subject == subject, Request.status.not_in(FINAL_STATUSES))
    return (await db.scalars(query)).all()


#: The access log: the latest first.
LATEST_ACCESS_FIRST = Keyset[AuditEntry](
    "access-log",
    (By(AuditEntry.at, datetime, descending=True), By(AuditEntry.id, str)),
    key=lambda e: (e.at, e.id),
)


async def audit_page(
    db: AsyncSession, *, subject: str, cursor: str | None, limit: int
) -> Page[AuditEntry]:
    """The person's access log, every entry reachable (it used to stop at the latest 1,000)."""
    query = select(AuditEntry).where(AuditEntry.subject == subject)
    return await fetch(db, [Part(query, LATEST_ACCESS_FIRST)], cursor=cursor, limit=limit)


async def delete_audit_before(db: AsyncSession, *, before: datetime) -> int:
    result = await db.execute(delete(AuditEntry).where(AuditEntry.at < before))
    return int(result.rowcount)  # type: ignore[attr-defined]
