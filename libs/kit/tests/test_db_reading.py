"""``Database.reading``: a session for routes that only read, which refuses every write
(PostgreSQL, where it also opens no transaction: tests/integration/test_reading_sessions.py)."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import String, delete, insert, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import Database, ReadOnly


class Base(DeclarativeBase):
    pass


class Thing(Base):
    __tablename__ = "things"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'things.db'}")
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    async with db.transaction() as session:
        session.add(Thing(id="a", name="first"))
    yield db
    await db.dispose()


async def names(database: Database) -> list[str]:
    async with database.reading() as db:
        return list((await db.execute(select(Thing.name).order_by(Thing.id))).scalars())


async def test_a_reading_session_reads(database: Database) -> None:
    assert await names(database) == ["first"]


@pytest.mark.parametrize(
    "statement",
    [
        insert(Thing).values(id="b", name="second"),
        update(Thing).values(name="renamed"),
        delete(Thing),
    ],
    ids=["insert", "update", "delete"],
)
async def test_a_statement_that_writes_is_refused(database: Database, statement: object) -> None:
    async with database.reading() as db:
        with pytest.raises(ReadOnly):
            await db.execute(statement)  # type: ignore[call-overload]
    assert await names(database) == ["first"]


async def test_a_changed_or_added_object_is_refused_at_the_flush(database: Database) -> None:
    async with database.reading() as db:
        thing = await db.get(Thing, "a")
        assert thing is not None
        thing.name = "renamed"
        with pytest.raises(ReadOnly):
            await db.flush()
    async with database.reading() as db:
        db.add(Thing(id="b", name="second"))
        with pytest.raises(ReadOnly):
            await db.flush()
    assert await names(database) == ["first"]


async def test_the_writing_sessions_of_the_same_database_still_write(database: Database) -> None:
    async with database.transaction() as db:
        await db.execute(update(Thing).values(name="renamed"))
    assert await names(database) == ["renamed"]
