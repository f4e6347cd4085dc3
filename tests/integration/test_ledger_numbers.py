"""The books' numbering on PostgreSQL with two transactions at once: numbers follow the dates
even when an entry waited for the counter's row while another, dated later, committed."""

import asyncio
from datetime import UTC, date, datetime

from sqlalchemy import select

from kit.db import Database
from kit.testing import database_with_tables
from subsidies.accounting import service
from subsidies.accounting.models import LedgerEntry
from subsidies.config import Settings
from subsidies.models import Base
from tests.conftest import CreateDatabase

TENANT = "t-1"
PAID_AT = datetime(2026, 6, 30, 21, 0, tzinfo=UTC)


async def paid(database: Database, order: str, written: datetime, hold: asyncio.Event) -> None:
    """``order.paid`` written at ``written``; the transaction commits once ``hold`` is set."""
    async with database.transaction() as db:
        await service.record_order_paid(
            db,
            tenant_id=TENANT,
            user_id=None,
            order_id=order,
            total_cents=1000,
            subsidy_cents=0,
            when=PAID_AT,
            now=written,
        )
        await hold.wait()


async def test_an_entry_that_waited_for_the_counter_is_booked_on_the_later_day(
    fresh_database: CreateDatabase,
) -> None:
    settings = Settings()
    service.books.bind(settings.accounting_chart, timezone=settings.accounting_timezone)
    async with database_with_tables(await fresh_database("ledger"), Base.metadata) as database:
        late_commits, early_commits = asyncio.Event(), asyncio.Event()
        early_commits.set()
        # 00:01 on 1 July in Paris takes number 1 and holds the counter's row...
        late = asyncio.create_task(
            paid(database, "o-late", datetime(2026, 6, 30, 22, 1, tzinfo=UTC), late_commits)
        )
        await asyncio.sleep(0.5)
        # ... while one whose clock said 23:59 on 30 June waits for it, then takes number 2.
        early = asyncio.create_task(
            paid(database, "o-early", datetime(2026, 6, 30, 21, 59, tzinfo=UTC), early_commits)
        )
        await asyncio.sleep(0.5)
        assert not early.done()  # waiting on the counter's row
        late_commits.set()
        await asyncio.gather(late, early)
        async with database.transaction() as db:
            rows = (
                await db.execute(
                    select(
                        LedgerEntry.number, LedgerEntry.piece_ref, LedgerEntry.entry_date
                    ).order_by(LedgerEntry.number)
                )
            ).all()
        assert [tuple(r) for r in rows] == [
            (1, "o-late", date(2026, 7, 1)),
            (2, "o-early", date(2026, 7, 1)),  # not 30 June: the numbers follow the dates
        ]
