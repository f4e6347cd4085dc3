"""The grants' queries."""

import hashlib
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from subsidies.grants.models import LIVE, Grant, GrantStatus


async def lock_person(db: AsyncSession, *, tenant_id: str, user_id: str) -> None:
    """One grant of a person at a time, until the transaction ends (a transaction-scoped
    advisory lock on a 64-bit key of the person): two orders of theirs at once never both pass
    a yearly cap on the same figures. Other people's grants do not wait for it."""
    if db.get_bind().dialect.name != "postgresql":
        return  # SQLite (unit tests) runs one writing transaction at a time anyway
    digest = hashlib.blake2b(f"grants:{tenant_id}:{user_id}".encode(), digest_size=8).digest()
    await db.execute(select(func.pg_advisory_xact_lock(int.from_bytes(digest, signed=True))))


async def used_by_rule(
    db: AsyncSession, *, tenant_id: str, user_id: str, year: int
) -> dict[str, int]:
    rows = await db.execute(
        select(Grant.rule_id, func.sum(Grant.amount_cents))
        .where(
            Grant.tenant_id == tenant_id,
            Grant.user_id == user_id,
            Grant.year == year,
            Grant.status.in_(LIVE),
        )
        .group_by(Grant.rule_id)
    )
    return {rule_id: int(total or 0) for rule_id, total in rows.all()}


async def grants_for(
    db: AsyncSession, *, order_id: str | None = None, booking_id: str | None = None
) -> Sequence[Grant]:
    query = select(Grant).where(Grant.status.in_(LIVE))
    if order_id is not None:
        query = query.where(Grant.order_id == order_id)
    if booking_id is not None:
        query = query.where(Grant.booking_id == booking_id)
    return (await db.scalars(query)).all()


async def expired_holds(db: AsyncSession, *, now: datetime, limit: int = 500) -> Sequence[Grant]:
    query = select(Grant).where(Grant.status == GrantStatus.HELD, Grant.hold_until <= now)
    return (await db.scalars(query.limit(limit))).all()
