"""Every query of the privacy service. Request reads always carry the tenant."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from kit.db import mark_erasure
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


async def requests_of(
    db: AsyncSession, *, tenant_id: str, subject: str | None
) -> Sequence[Request]:
    query = select(Request).where(Request.tenant_id == tenant_id)
    if subject is not None:
        query = query.where(Request.subject == subject)
    return (await db.scalars(query.order_by(Request.received_at.desc()).limit(500))).all()


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


async def audit_of(db: AsyncSession, *, subject: str, limit: int = 1000) -> Sequence[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.subject == subject)
    return (await db.scalars(query.order_by(AuditEntry.at.desc()).limit(limit))).all()


async def delete_audit_before(db: AsyncSession, *, before: datetime) -> int:
    result = await db.execute(delete(AuditEntry).where(AuditEntry.at < before))
    return int(result.rowcount)  # type: ignore[attr-defined]
