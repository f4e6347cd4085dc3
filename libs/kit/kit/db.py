"""Async SQLAlchemy per service: SQLite (aiosqlite) by default, PostgreSQL (asyncpg) by URL.

Services never commit: the request dependency commits when the route returns and rolls back
when it raises, so a route is one transaction, business rows and outbox rows together.
"""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import DateTime, Dialect, TypeDecorator, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def new_id() -> str:
    """A random UUID4 as text: row ids are never sequential, never guessable."""
    return str(uuid.uuid4())


#: Named constraints: SQLite's batch migrations need a name to drop or rebuild one.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
}


def create_engine(url: str, *, pool_size: int = 6, max_overflow: int = 2) -> AsyncEngine:
    """An engine for ``url``; SQLite files get their folder, WAL and foreign keys.

    PostgreSQL connections are few on purpose: every process of every service has its own pool,
    and the server's ``max_connections`` (100 by default) is shared by all of them; a request
    waits for a free connection rather than failing with "too many clients"."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 10})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(
        url, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow, pool_timeout=30
    )


def dialect_insert(session: AsyncSession) -> Any:
    """The dialect's ``insert`` (PostgreSQL or SQLite), which has ``on_conflict_do_update``."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert


class Database:
    """One service's database: engine and session factory."""

    def __init__(self, url: str, *, pool_size: int = 6, max_overflow: int = 2) -> None:
        self.engine = create_engine(url, pool_size=pool_size, max_overflow=max_overflow)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction: committed on success, rolled back on error."""
        async with self.sessionmaker() as session, session.begin():
            yield session

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    database: Database = request.app.state.db
    async with database.transaction() as session:
        yield session


#: The route's session. ``scope="function"`` commits before the response is sent, so a client
#: never sees a success whose commit failed.
SessionDep = Annotated[AsyncSession, Depends(_request_session, scope="function")]


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite drops the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: use datetime.now(UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


#: SQLSTATEs that say "the database cannot serve right now", not "this statement is wrong":
#: connection exceptions (08), too many connections and other insufficient resources (53),
#: the server shutting down or starting (57P), a serialization failure or a deadlock (40001,
#: 40P01: the transaction may simply be run again).
TRANSIENT_SQLSTATES = ("08", "53", "57P", "40001", "40P01")
#: Errors that say the database could not be reached at all.
UNREACHABLE = (ConnectionError, OSError, TimeoutError, OperationalError, InterfaceError)


def is_transient(exc: BaseException) -> bool:
    """True when ``exc`` says the database is away or busy for now (try again later), False
    when the statement itself failed (a constraint, a bad value)."""
    if isinstance(
        exc, ConnectionError | OSError | TimeoutError | OperationalError | InterfaceError
    ):
        return True
    if isinstance(exc, DBAPIError):
        code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        return isinstance(code, str) and code.startswith(TRANSIENT_SQLSTATES)
    return False
