"""Every query of the books."""

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Date, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import take_next_with
from subsidies.accounting.models import LedgerCounter, LedgerEntry, LedgerLine

#: The booking date of the entry before the number just taken, in the counter's RETURNING
#: (written out: SQLAlchemy renders a returned subquery's columns unqualified).
_DATE_BEFORE = (
    "(SELECT e.entry_date FROM ledger_entries AS e"
    " WHERE e.tenant_id = ledger_counters.tenant_id AND e.number = ledger_counters.last - 1)"
)


async def next_number(db: AsyncSession, *, tenant_id: str) -> tuple[int, date | None]:
    """The tenant's next entry number, taken for good (concurrent entries wait on the
    counter's row, never share a number, and leave no gap), and the booking date of the entry
    numbered before it (None: there is none), read in the same statement: the row is held
    until the commit, one round trip less under it."""
    before = literal_column(_DATE_BEFORE, Date)
    number, day = await take_next_with(db, LedgerCounter, before, tenant_id=tenant_id)
    return number, day  # a date on both dialects: the column is typed Date


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
