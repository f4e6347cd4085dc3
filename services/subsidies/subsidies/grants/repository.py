"""The grants' queries."""

import hashlib
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, func, select
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


#: What a person used of each rule this year, and an order's or a booking's live grants (every
#: eligibility, every order's events): built once with bound parameters, as every statement a
#: frequent operation runs (docs/performance.md).
_USED_BY_RULE = (
    select(Grant.rule_id, func.sum(Grant.amount_cents))
    .where(
        Grant.tenant_id == bindparam("tenant_id"),
        Grant.user_id == bindparam("user_id"),
        Grant.year == bindparam("year"),
        Grant.status.in_(LIVE),
    )
    .group_by(Grant.rule_id)
)
_LIVE_OF_ORDER = select(Grant).where(
    Grant.status.in_(LIVE), Grant.order_id == bindparam("order_id")
)
_LIVE_OF_BOOKING = select(Grant).where(
    Grant.status.in_(LIVE), Grant.booking_id == bindparam("booking_id")
)


async def used_by_rule(
    db: AsyncSession, *, tenant_id: str, user_id: str, year: int
) -> dict[str, int]:
    rows = await db.execute(
        _USED_BY_RULE, {"tenant_id": tenant_id, "user_id": user_id, "year": year}
    )
    return {rule_id: int(total or 0) for rule_id, total in rows.all()}


async def grants_for(
    db: AsyncSession, *, order_id: str | None = None, booking_id: str | None = None
) -> Sequence[Grant]:
    """The live grants of an order or of a booking (one of the two)."""
    if (order_id is None) == (booking_id is None):
        raise ValueError("an order or a booking, one of the two")
    if order_id is not None:
        return (await db.scalars(_LIVE_OF_ORDER, {"order_id": order_id})).all()
    return (await db.scalars(_LIVE_OF_BOOKING, {"booking_id": booking_id})).all()


async def expired_holds(db: AsyncSession, *, now: datetime, limit: int = 500) -> Sequence[Grant]:
    query = select(Grant).where(Grant.status == GrantStatus.HELD, Grant.hold_until <= now)
    return (await db.scalars(query.limit(limit))).all()
