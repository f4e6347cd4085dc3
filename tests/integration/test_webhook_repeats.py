"""A payment provider's webhook sent twice at once, on PostgreSQL: the second waits for the
first and is a duplicate, never a second application nor a failure on the key."""

import asyncio
from datetime import UTC, datetime

from sqlalchemy import text

from kit.db import Database
from kit.testing import database_with_tables
from orders.models import Base
from orders.payments import repository
from tests.conftest import CreateDatabase

NOW = datetime(2026, 12, 5, 0, 0, tzinfo=UTC)


async def handling(database: Database, recorded: asyncio.Event, hold: asyncio.Event) -> bool:
    """Records the event as the webhook's handler does, says so (``recorded``), and commits
    once ``hold`` is set."""
    async with database.transaction() as db:
        first = await repository.first_handling(
            db, event_id="evt-1", type="payment.succeeded", now=NOW
        )
        recorded.set()
        await hold.wait()
    return first


async def waiting_on_a_lock(database: Database) -> bool:
    """Whether a session of this database waits on a lock (polled for up to 10 s)."""
    for _ in range(100):
        async with database.reading() as db:
            waiting = await db.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        if waiting:
            return True
        await asyncio.sleep(0.1)
    return False


async def test_a_repeat_sent_during_the_first_waits_and_is_a_duplicate(
    fresh_database: CreateDatabase,
) -> None:
    async with database_with_tables(await fresh_database("webhooks"), Base.metadata) as database:
        first_recorded, first_commits = asyncio.Event(), asyncio.Event()
        first = asyncio.create_task(handling(database, first_recorded, first_commits))
        await first_recorded.wait()  # the first has its row, uncommitted
        go_on = asyncio.Event()
        go_on.set()
        repeat = asyncio.create_task(handling(database, asyncio.Event(), go_on))
        assert await waiting_on_a_lock(database)  # the repeat waits on the first one's row
        assert not repeat.done()
        first_commits.set()
        assert list(await asyncio.gather(first, repeat)) == [True, False]
        async with database.transaction() as db:  # and later, after both
            assert not await repository.first_handling(
                db, event_id="evt-1", type="payment.succeeded", now=NOW
            )
