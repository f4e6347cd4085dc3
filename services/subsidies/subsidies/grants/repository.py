"""The grants' queries."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from subsidies.grants.models import LIVE, Grant, GrantStatus


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
