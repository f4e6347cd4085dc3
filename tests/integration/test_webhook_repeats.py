"""A payment provider's webhook sent twice at once, on PostgreSQL: the second waits for the
first and is a duplicate, never a second application nor a failure on the key."""

import asyncio
from datetime import UTC, datetime

from kit.db import Database
from orders.models import Base
from orders.payments import repository
from tests.conftest import CreateDatabase

NOW = datetime(2026, 12, 5, 0, 0, tzinfo=UTC)


async def handling(database: Database, hold: asyncio.Event) -> bool:
    """Records the event as the webhook's handler does; commits once ``hold`` is set."""
    async with database.transaction() as db:
        first = await repository.first_handling(
            db, event_id="evt-1", type="payment.succeeded", now=NOW
        )
        await hold.wait()
    return first


async def test_a_repeat_sent_during_the_first_waits_and_is_a_duplicate(
    fresh_database: CreateDatabase,
) -> None:
    database = Database(await fresh_database("webhooks"))
    try:
        async with database.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        first_commits, repeat_commits = asyncio.Event(), asyncio.Event()
        repeat_commits.set()
        first = asyncio.create_task(handling(database, first_commits))
        await asyncio.sleep(0.3)
        repeat = asyncio.create_task(handling(database, repeat_commits))
        await asyncio.sleep(0.5)
        assert not repeat.done()  # waiting on the first one's row
        first_commits.set()
        assert list(await asyncio.gather(first, repeat)) == [True, False]
        async with database.transaction() as db:  # and later, after both
            assert not await repository.first_handling(
                db, event_id="evt-1", type="payment.succeeded", now=NOW
            )
    finally:
        await database.dispose()
