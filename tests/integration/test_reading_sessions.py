"""Routes that only read (``kit.db.ReadSessionDep``) on PostgreSQL: no transaction around
their statements, so no BEGIN and COMMIT round trips, and every write refused."""

import pytest
from sqlalchemy import Column, MetaData, String, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from kit.db import ReadOnly, apart
from kit.testing import database_with_tables
from tests.conftest import CreateDatabase

metadata = MetaData()
things = Table("things", metadata, Column("id", String(36), primary_key=True))


async def in_transaction(session: object) -> bool:
    """Whether asyncpg's connection under ``session`` is inside a transaction."""
    connection = await session.connection()  # type: ignore[attr-defined]
    raw = await connection.get_raw_connection()
    return bool(raw.driver_connection.is_in_transaction())


async def test_a_reading_session_opens_no_transaction_and_writes_nothing(
    fresh_database: CreateDatabase,
) -> None:
    async with database_with_tables(await fresh_database("reading"), metadata) as database:
        async with database.transaction() as db:
            await db.execute(insert(things).values(id="kept"))
            assert await in_transaction(db)  # a writing route: one transaction, as before
        async with database.reading() as db:
            assert (await db.execute(select(things.c.id))).scalars().all() == ["kept"]
            assert not await in_transaction(db)
            with pytest.raises(ReadOnly):
                await db.execute(update(things).values(id="changed"))
            with pytest.raises(ReadOnly):
                await db.execute(insert(things).values(id="added"))
        # The pool's connections go back to transactions for the next writing route.
        async with database.transaction() as db:
            await db.execute(insert(things).values(id="second"))
            assert await in_transaction(db)
        async with database.reading() as db:
            rows = (await db.execute(select(things.c.id).order_by(things.c.id))).scalars().all()
        assert rows == ["kept", "second"]


async def test_reads_apart_from_a_request_open_no_transaction_either(
    fresh_database: CreateDatabase,
) -> None:
    # Two connections and no more: the request's, and the one apart reads on; both are
    # checked at the end.
    async with database_with_tables(
        await fresh_database("apart"), metadata, pool_size=2, max_overflow=0
    ) as database:
        async with database.transaction() as db:
            await db.execute(insert(things).values(id="kept"))
            async with apart(db) as reading:  # what orders reads before calling subsidies
                assert (await reading.execute(select(things.c.id))).scalars().all() == []
                assert not await in_transaction(reading)
                with pytest.raises(ReadOnly):
                    await reading.execute(insert(things).values(id="added"))
            assert await in_transaction(db)  # the request's own transaction goes on
        # Both of the pool's connections open transactions again for the next writing routes.
        async with database.transaction() as db, database.transaction() as other:
            rows = (await db.execute(select(things.c.id))).scalars().all()
            await other.execute(select(things.c.id))
            assert await in_transaction(db)
            assert await in_transaction(other)
        assert rows == ["kept"]


async def test_a_statement_on_its_own_opens_no_transaction_and_leaves_none_behind(
    fresh_database: CreateDatabase,
) -> None:
    # One connection: the statement's is the one the next transaction gets.
    async with database_with_tables(
        await fresh_database("statement"), metadata, pool_size=1, max_overflow=0
    ) as database:
        rows = await database.statement(
            insert(things).values(id="alone").returning(things.c.id), {}
        )
        assert [tuple(r) for r in rows] == [("alone",)]
        with pytest.raises(IntegrityError):  # a failed statement leaves nothing open either
            await database.statement(insert(things).values(id="alone"), {})
        async with database.transaction() as db:
            await db.execute(insert(things).values(id="then"))
            assert await in_transaction(db)  # the pool's connection is as before
        async with database.reading() as db:
            ids = (await db.execute(select(things.c.id).order_by(things.c.id))).scalars().all()
        assert ids == ["alone", "then"]
