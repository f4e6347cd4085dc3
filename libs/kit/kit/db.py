"""Async SQLAlchemy per service: SQLite (aiosqlite) by default, PostgreSQL (asyncpg) by URL.

Services never commit: the request dependency commits when the route returns and rolls back
when it raises, so a route is one transaction, business rows and outbox rows together. A route
that only reads takes ``ReadSessionDep`` instead: no transaction (each statement on its own, as
READ COMMITTED reads anyway), and any write refused.

An erasure must leave nothing readable in the database files (issue 14): on SQLite every
connection zeroes what it deletes (``secure_delete``), and a transaction marked with
``mark_erasure`` ends, once committed, with a checkpoint that empties the write-ahead log,
which still holds the old page images. PostgreSQL: docs/privacy.md, "What an erasure leaves
in the database files".
"""

import logging
import time
import uuid
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import DateTime, Dialect, Executable, Row, TextClause, TypeDecorator, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session

log = logging.getLogger("kit.db")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # A deleted row, an index entry, the old value of an updated row and a freed page are
    # overwritten with zeros instead of staying readable in the file's free space.
    cursor.execute("PRAGMA secure_delete=ON")
    # Statement and savepoint journals (copies of the rows a statement changes) and sorts stay
    # in memory, never in a temporary file on disk.
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


#: The ``session.info`` key ``mark_erasure`` sets.
ERASURE = "kit.db.erasure"


def mark_erasure(session: AsyncSession) -> None:
    """Say that this transaction erases someone's data: once it commits, ``Database.transaction``
    empties SQLite's write-ahead log (``Database.wipe_log``), where the page images from before
    the erasure would otherwise stay readable until the log is overwritten. Nothing happens
    on PostgreSQL, nor when the transaction rolls back."""
    session.info[ERASURE] = True


def new_id() -> str:
    """A random UUID4 as text: row ids are never sequential, never guessable."""
    return str(uuid.uuid4())


#: Named constraints: SQLite's batch migrations need a name to drop or rebuild one.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
}


#: A pooled PostgreSQL connection idle for longer than this is checked (a ping) before it is
#: handed out; one used more recently is not.
PING_AFTER_IDLE_SECONDS = 10.0
_LAST_USED = "kit.db.last_used"


def _mark_used(_dbapi_connection: Any, record: Any, *_: Any) -> None:
    record.info[_LAST_USED] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """SQLAlchemy's ``pool_pre_ping`` checked every connection handed out, and asyncpg's ping
    is three round trips (BEGIN, an empty query, ROLLBACK): 10 to 20 % of every service's
    samples under ``make load`` (docs/performance.md). A connection back in the pool for less
    than ``PING_AFTER_IDLE_SECONDS`` is handed out as it is; an older one is pinged, and one
    that fails the ping is replaced (``DisconnectionError``: the pool connects again), as
    before. A server gone in between fails that request like any lost connection: a 503 with
    Retry-After (``is_transient``), and SQLAlchemy drops the pool's other connections."""
    if time.monotonic() - record.info.get(_LAST_USED, 0.0) <= PING_AFTER_IDLE_SECONDS:
        return
    try:
        dbapi_connection.ping()
    except Exception as exc:
        raise DisconnectionError("the pooled connection failed its ping") from exc


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
    engine = create_async_engine(
        url, pool_size=pool_size, max_overflow=max_overflow, pool_timeout=30
    )
    event.listen(engine.sync_engine, "connect", _mark_used)
    event.listen(engine.sync_engine, "checkin", _mark_used)
    event.listen(engine.sync_engine, "checkout", _ping_if_idle)
    return engine


#: Each engine's AUTOCOMMIT view, made once (``apart``): the same pool, no BEGIN.
_AUTOCOMMIT_VIEWS: "weakref.WeakKeyDictionary[AsyncEngine, AsyncEngine]" = (
    weakref.WeakKeyDictionary()
)


def _autocommit(engine: AsyncEngine) -> AsyncEngine:
    view = _AUTOCOMMIT_VIEWS.get(engine)
    if view is None:
        view = _AUTOCOMMIT_VIEWS[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return view


@asynccontextmanager
async def apart(db: AsyncSession) -> AsyncIterator[AsyncSession]:
    """A session of its own on ``db``'s database, closed at the end of the block: reads made
    before a call to another service, so that the request holds no pooled connection, and no
    open transaction, while it waits for the answer (a request's session keeps its connection
    from its first statement to its commit; under ``make load``, orders' placements held theirs
    across subsidies' answer and the other requests queued for the pool). It reads as
    ``Database.reading`` does, in no transaction (``ReadOnly`` on any write): no BEGIN and
    ROLLBACK around its reads, two round trips of an order's placement."""
    bind = db.bind
    if isinstance(bind, AsyncEngine):  # a session bound to one connection (a test's) keeps it
        bind = _autocommit(bind)
    async with AsyncSession(
        bind, expire_on_commit=False, sync_session_class=_ReadingSession
    ) as session:
        yield session


def dialect_insert(session_or_database: "AsyncSession | Database") -> Any:
    """The dialect's ``insert`` (PostgreSQL or SQLite), which has ``on_conflict_do_update``."""
    if isinstance(session_or_database, Database):
        dialect = session_or_database.engine.dialect.name
    else:
        dialect = session_or_database.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


async def take_next(db: AsyncSession, counter: Any, **key: Any) -> int:
    """The next number of ``counter`` (a mapped class with a unique ``key`` and a ``last``
    column), taken for good in one statement: the counter's row made at 1 or added one to,
    and read back. Concurrent transactions wait on its row, never share a number, and leave
    no gap. One statement where an insert-if-missing then an update took two."""
    statement = (
        dialect_insert(db)(counter)
        .values(**key, last=1)
        .on_conflict_do_update(index_elements=list(key), set_={"last": counter.last + 1})
        .returning(counter.last)
    )
    return int(await db.scalar(statement))


class ReadOnly(RuntimeError):
    """A write through a reading session (``Database.reading``, ``apart``): a bug of the code."""


class _ReadingSession(Session):
    """The sync session under ``Database.reading``'s and ``apart``'s, which the write guards
    listen on."""


def _refuse_writes(state: ORMExecuteState) -> None:
    statement = state.statement
    if isinstance(statement, TextClause):
        reads = statement.text.lstrip().upper().startswith("SELECT")
    else:
        reads = state.is_select and not state.is_insert and not state.is_update
    if not reads:
        raise ReadOnly("a reading session does not write; write through the request's SessionDep")


def _refuse_flush(session: Session, *_: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise ReadOnly("a reading session does not write; write through the request's SessionDep")


event.listen(_ReadingSession, "do_orm_execute", _refuse_writes)
event.listen(_ReadingSession, "before_flush", _refuse_flush)


class Database:
    """One service's database: engine and session factories."""

    def __init__(self, url: str, *, pool_size: int = 6, max_overflow: int = 2) -> None:
        self.engine = create_engine(url, pool_size=pool_size, max_overflow=max_overflow)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        # Same pool; a connection handed out through it starts no transaction. On PostgreSQL
        # (asyncpg) that is the BEGIN and the COMMIT of every request, two round trips of the
        # one or two a read page needs: 10 to 25 % of an API's samples under make load
        # (docs/performance.md). Under READ COMMITTED every statement reads its own snapshot
        # inside a transaction too, so a page reads what it read before.
        self.reader = async_sessionmaker(
            _autocommit(self.engine),
            expire_on_commit=False,
            sync_session_class=_ReadingSession,
        )

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction: committed on success, rolled back on error; an erasure
        (``mark_erasure``) is followed, once committed, by ``wipe_log``."""
        async with self.sessionmaker() as session:
            async with session.begin():
                yield session
            if session.info.pop(ERASURE, False):
                await self.wipe_log()

    async def statement(self, statement: Executable, params: dict[str, Any]) -> list[Row[Any]]:
        """One statement that writes, on its own: no BEGIN and COMMIT around it (a statement
        alone is atomic), so one round trip where a transaction takes three; its rows (a
        ``RETURNING``), fetched before the connection goes back to the pool. The outbox relay's
        claims and marks: one after each commit with events, in every process
        (docs/performance.md, "2026-12-05")."""
        async with self.engine.connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            result = await autocommit.execute(statement, params)
            return list(result.all()) if result.returns_rows else []

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session that only reads, in no transaction: ``ReadOnly`` on any write."""
        async with self.reader() as session:
            yield session

    async def wipe_log(self) -> bool:
        """SQLite: copy the write-ahead log into the database and truncate it to zero bytes
        (``wal_checkpoint(TRUNCATE)``), so the log holds no page image from before the last
        commit. True when done. PostgreSQL is left alone: its write-ahead log belongs to the
        server (docs/privacy.md, "What an erasure leaves in the database files").

        The checkpoint waits (``busy_timeout``) for other connections to finish their writes
        and their reads of an older snapshot; when one still holds it, the commit stands and a
        warning says so: the next erasure's checkpoint, or the last connection's close, empties
        the log."""
        if self.is_postgres:
            return True
        (busy, *_), *_ = await self.statement(text("PRAGMA wal_checkpoint(TRUNCATE)"), {})
        if not busy:
            return True
        name = Path(self.engine.url.database or "").name
        log.warning(
            "the write-ahead log could not be emptied after an erasure", extra={"database": name}
        )
        return False

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


async def _reading_session(request: Request) -> AsyncIterator[AsyncSession]:
    database: Database = request.app.state.db
    async with database.reading() as session:
        yield session


#: The session of a route that only reads (``Database.reading``). Not for a route that records
#: who read whose data (``kit.privacy.audit.Auditor``): the auditor writes through the request's
#: ``SessionDep``, and the route would then hold two pooled connections at once (enough such
#: requests together would each wait for a second one that none gives back).
ReadSessionDep = Annotated[AsyncSession, Depends(_reading_session, scope="function")]


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


def utcnow() -> datetime:
    """The platform's clock: an aware UTC time (routes, handlers and jobs pass it on as ``now``,
    so that tests set their own)."""
    return datetime.now(UTC)
