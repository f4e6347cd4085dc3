"""Two reservations of one order at the same time, on the machine's PostgreSQL (SQLite has no
row locks): the second one waits for the first, finds its uses and takes nothing more."""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest
from sqlalchemy import select

from kit.db import Database
from services.subsidies.tests.campaigns.test_campaigns import balance, campaign, people
from services.subsidies.tests.factories import NOW, TENANT
from subsidies.campaigns import service
from subsidies.campaigns.models import VoucherUse
from subsidies.models import Base

pytestmark = pytest.mark.integration

#: The role deploy/local/test-services.sh creates (as the root tests' conftest).
PG_ADMIN_DSN = os.environ.get(
    "TEST_PG_DSN", "postgresql://platform_test:platform_test@127.0.0.1:5432/postgres"
)


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
async def pg() -> AsyncIterator[Database]:
    name = f"subsidies_race_{uuid.uuid4().hex[:8]}"
    await _admin(f'CREATE DATABASE "{name}"')
    rest = PG_ADMIN_DSN.split("://", 1)[1].rsplit("/", 1)[0]
    database = Database(f"postgresql+asyncpg://{rest}/{name}")
    try:
        async with database.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        yield database
    finally:
        await database.dispose()
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_two_reservations_of_one_order_at_once_take_once(pg: Database) -> None:
    await people(pg, a=0)
    await campaign(pg, 5_000)

    async def reserve() -> int:
        async with pg.transaction() as db:
            taken = await service.consume(
                db,
                tenant_id=TENANT,
                user_id="a",
                order_id="o-1",
                payable_cents=2_000,
                now=NOW,
                hold_until=NOW + timedelta(minutes=15),
            )
            await asyncio.sleep(0.3)  # both transactions are open at once
            return taken

    first, second = await asyncio.gather(reserve(), reserve())
    assert first == second == 2_000  # the same answer, taken once
    async with pg.transaction() as db:
        rows = (await db.scalars(select(VoucherUse))).all()
    assert [(u.order_id, u.amount_cents) for u in rows] == [("o-1", 2_000)]
    assert await balance(pg) == 3_000
