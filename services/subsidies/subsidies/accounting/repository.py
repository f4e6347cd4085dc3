"""Every query of the books."""

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import take_next
from subsidies.accounting.models import LedgerCounter, LedgerEntry, LedgerLine


async def next_number(db: AsyncSession, *, tenant_id: str) -> int:
    """The tenant's next entry number, taken for good: concurrent entries wait on the
    counter's row, never share a number, and leave no gap."""
    return await take_next(db, LedgerCounter, tenant_id=tenant_id)


async def date_of_number(db: AsyncSession, *, tenant_id: str, number: int) -> date | None:
    """The booking date of the tenant's entry ``number`` (None: there is none).

    A statement of its own, after the counter's: on PostgreSQL (READ COMMITTED) it reads a
    snapshot taken after the wait on the counter's row, so it sees the entry the transaction
    it waited for committed. Read in the counter's own statement (its RETURNING), it would
    not: that statement's snapshot is taken before the wait."""
    return await db.scalar(
        select(LedgerEntry.entry_date).where(
            LedgerEntry.tenant_id == tenant_id, LedgerEntry.number == number
        )
    )


async def entry_of(db: AsyncSession, *, tenant_id: str, source_key: str) -> LedgerEntry | None:
    return await db.scalar(
        select(LedgerEntry).where(
            LedgerEntry.tenant_id == tenant_id, LedgerEntry.source_key == source_key
        )
    )


async def entries_between(
    db: AsyncSession, *, tenant_id: str, start: date, end: date
) -> Sequence[LedgerEntry]:
    """The tenant's entries written in [start, end] (their booking date, ``entry_date``), in
    their number's order, with their lines."""
    return (
        await db.scalars(
            select(LedgerEntry)
            .where(
                LedgerEntry.tenant_id == tenant_id,
                LedgerEntry.entry_date >= start,
                LedgerEntry.entry_date <= end,
            )
            .order_by(LedgerEntry.number)
        )
    ).all()


async def totals_between(
    db: AsyncSession, *, tenant_id: str, start: date, end: date
) -> list[tuple[str, int, int, int]]:
    """Per budget: entries, debits and credits in cents."""
    rows = await db.execute(
        select(
            LedgerEntry.budget,
            func.count(func.distinct(LedgerEntry.id)),
            func.coalesce(func.sum(LedgerLine.debit_cents), 0),
            func.coalesce(func.sum(LedgerLine.credit_cents), 0),
        )
        .join(LedgerLine, LedgerLine.entry_id == LedgerEntry.id)
        .where(
            LedgerEntry.tenant_id == tenant_id,
            LedgerEntry.entry_date >= start,
            LedgerEntry.entry_date <= end,
        )
        .group_by(LedgerEntry.budget)
    )
    return [(str(b), int(n), int(d), int(c)) for b, n, d, c in rows.all()]
