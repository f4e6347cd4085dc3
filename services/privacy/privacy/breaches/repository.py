"""Queries of breaches, their notifications and the people they concern."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import By, Keyset, Page, Part, fetch
from privacy.breaches.models import Breach, BreachAffected, BreachClientNotice, BreachNotification

#: The list's order, most urgent first: the breaches the authority was not told of yet, the
#: nearest deadline first (72 hours after awareness: the earliest awareness first)...
NOT_NOTIFIED = Keyset[Breach](
    "breaches-open",
    (By(Breach.aware_at, datetime), By(Breach.id, str)),
    key=lambda b: (b.aware_at, b.id),
)
#: ... then the others, the newest first.
NOTIFIED = Keyset[Breach](
    "breaches-notified",
    (By(Breach.aware_at, datetime, descending=True), By(Breach.id, str)),
    key=lambda b: (b.aware_at, b.id),
)


async def add_affected(db: AsyncSession, breach_id: str, subjects: Sequence[str]) -> None:
    await db.execute(
        insert(BreachAffected),
        [{"breach_id": breach_id, "subject": s, "notified_at": None} for s in subjects],
    )


async def breach_in_tenant(
    db: AsyncSession, *, tenant_id: str, breach_id: str, lock: bool = False
) -> Breach | None:
    query = select(Breach).where(Breach.id == breach_id, Breach.tenant_id == tenant_id)
    if lock:
        query = query.with_for_update()
    return await db.scalar(query)


async def breaches_page(
    db: AsyncSession, *, tenant_id: str, cursor: str | None, limit: int
) -> Page[Breach]:
    """The tenant's breaches, the most urgent first, ordered and paged by the database."""
    tenant = select(Breach).where(Breach.tenant_id == tenant_id)
    parts = [
        Part(tenant.where(Breach.authority_notified_at.is_(None)), NOT_NOTIFIED),
        Part(tenant.where(Breach.authority_notified_at.is_not(None)), NOTIFIED),
    ]
    return await fetch(db, parts, cursor=cursor, limit=limit)


async def counts(db: AsyncSession, breach_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
    """Per breach: the people concerned, and how many of them were told."""
    if not breach_ids:
        return {}
    rows = await db.execute(
        select(
            BreachAffected.breach_id,
            func.count(),
            func.count(BreachAffected.notified_at),
        )
        .where(BreachAffected.breach_id.in_(breach_ids))
        .group_by(BreachAffected.breach_id)
    )
    return {breach_id: (int(total), int(told)) for breach_id, total, told in rows.all()}


async def notifications_of(db: AsyncSession, breach_id: str) -> Sequence[BreachNotification]:
    found = await db.scalars(
        select(BreachNotification)
        .where(BreachNotification.breach_id == breach_id)
        .order_by(BreachNotification.at, BreachNotification.id)
    )
    return found.all()


async def affected_of(db: AsyncSession, breach_id: str) -> Sequence[BreachAffected]:
    found = await db.scalars(
        select(BreachAffected)
        .where(BreachAffected.breach_id == breach_id)
        .order_by(BreachAffected.subject)
    )
    return found.all()


async def not_told(db: AsyncSession, breach_id: str) -> list[str]:
    """The people concerned not told yet, by account id."""
    return list(
        await db.scalars(
            select(BreachAffected.subject)
            .where(BreachAffected.breach_id == breach_id, BreachAffected.notified_at.is_(None))
            .order_by(BreachAffected.subject)
        )
    )


async def mark_told(db: AsyncSession, breach_id: str, now: datetime) -> None:
    """Everyone concerned not told yet is told now (the caller locked the breach: the same
    rows as ``not_told``)."""
    await db.execute(
        update(BreachAffected)
        .where(BreachAffected.breach_id == breach_id, BreachAffected.notified_at.is_(None))
        .values(notified_at=now)
    )


async def earliest_unnotified_awareness(db: AsyncSession) -> datetime | None:
    """When the platform became aware of the oldest breach not notified to the authority."""
    return await db.scalar(
        select(func.min(Breach.aware_at)).where(Breach.authority_notified_at.is_(None))
    )


async def client_notices_of(db: AsyncSession, breach_id: str) -> Sequence[BreachClientNotice]:
    found = await db.scalars(
        select(BreachClientNotice)
        .where(BreachClientNotice.breach_id == breach_id)
        .order_by(BreachClientNotice.at, BreachClientNotice.id)
    )
    return found.all()
