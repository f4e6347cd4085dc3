"""Lists never cut silently (issue 14): the DPO's queue is ordered by the database, the oldest
overdue requests first, and every list pages by keyset until the last row, each row once.

Before, the queue loaded the tenant's newest 500 requests and sorted them in Python: with more
than 500, the oldest overdue requests were exactly the ones the DPO never saw. Run on SQLite
and on the machine's PostgreSQL (the production database), both built by the migrations.
"""

import os
import random
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import Database
from kit.errors import Invalid
from kit.pagination import Page, encode_cursor
from privacy.audit import repository as audit
from privacy.consents import repository as consents
from privacy.models import AuditEntry, ConsentEvent, Request
from privacy.requests import repository
from services.privacy.tests.factories import request_row

T = TypeVar("T")
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
TENANT, OTHER, PERSON = "t-1", "t-2", "u-1"
FINAL = ("completed", "failed", "rejected", "cancelled")
SERVICE = Path(__file__).resolve().parents[2]
PG_ADMIN_DSN = os.environ.get(
    "TEST_PG_DSN", "postgresql://platform_test:platform_test@127.0.0.1:5432/postgres"
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
async def any_database(
    request: pytest.FixtureRequest, database: Database
) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        yield database
        return
    name = f"privacy_lists_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    rest = PG_ADMIN_DSN.split("://", 1)[1].rsplit("/", 1)[0]
    url = f"postgresql+asyncpg://{rest}/{name}"
    alembic = [sys.executable, "-m", "alembic", "-c", str(SERVICE / "alembic.ini"), "upgrade"]
    subprocess.run(
        [*alembic, "head"], env=os.environ | {"DATABASE_URL": url}, check=True, capture_output=True
    )
    db = Database(url)
    try:
        yield db
    finally:
        await db.dispose()
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def tenant_requests() -> list[dict[str, Any]]:
    """1,260 requests of the tenant, and some of another one:
    - 40 open requests received 90 to 70 days ago: overdue, the oldest of all;
    - 1,200 received since (20 days ago to now), the newest 500 of them among them, of every
      status: answered ones, open ones not yet due, three extended;
    - 20 received the same instant with the same deadline (the id decides);
    - 30 of another tenant, overdue too."""
    rows = [
        request_row(
            tenant=TENANT,
            subject=f"p-{i}",
            received=NOW - timedelta(days=90) + timedelta(hours=12 * i),
            status=random.choice(["in_progress", "awaiting_code"]),
        )
        for i in range(40)
    ]
    for i in range(1200):
        rows.append(
            request_row(
                tenant=TENANT,
                subject=PERSON if i % 2 else f"q-{i}",
                received=NOW - timedelta(days=20) + timedelta(minutes=24 * i),
                status=random.choice([*FINAL, "in_progress", "in_progress"]),
                extended=1 if i in (3, 7, 11) else 0,
            )
        )
    same = NOW - timedelta(days=10)
    rows += [
        request_row(tenant=TENANT, subject=f"s-{i}", received=same, status="in_progress")
        for i in range(20)
    ]
    rows += [
        request_row(
            tenant=OTHER, subject=f"o-{i}", received=NOW - timedelta(days=95), status="in_progress"
        )
        for i in range(30)
    ]
    random.shuffle(rows)
    return rows


def queue_order(rows: list[dict[str, Any]]) -> list[str]:
    """What the DPO must see, in order: open requests by deadline (the overdue first, the
    longest overdue at the top), then the answered ones, newest first."""
    mine = [r for r in rows if r["tenant_id"] == TENANT]
    open_ = sorted(
        (r for r in mine if r["status"] not in FINAL),
        key=lambda r: (r["extended_due_at"] or r["due_at"], r["id"]),
    )
    answered = sorted(
        (r for r in mine if r["status"] in FINAL),
        key=lambda r: (-r["received_at"].timestamp(), r["id"]),
    )
    return [r["id"] for r in open_ + answered]


async def every_page(database: Database, limit: int, **where: Any) -> list[Page[Request]]:
    pages: list[Page[Request]] = []
    cursor = None
    while True:
        async with database.transaction() as db:
            page = await repository.requests_page(db, cursor=cursor, limit=limit, **where)
        pages.append(page)
        if page.next_cursor is None:
            return pages
        assert len(page.items) == limit  # only the last page is short
        cursor = page.next_cursor


async def test_the_dpos_queue_shows_the_oldest_overdue_first_and_pages_to_the_last(
    any_database: Database,
) -> None:
    rows = tenant_requests()
    async with any_database.transaction() as db:
        await db.execute(insert(Request), rows)
    expected = queue_order(rows)
    assert len(expected) == 1260
    oldest_overdue = expected[:40]
    # What the old queue loaded: the newest 500. None of the oldest overdue were in it.
    newest = sorted((r for r in rows if r["tenant_id"] == TENANT), key=lambda r: r["received_at"])[
        -500:
    ]
    assert not {r["id"] for r in newest} & set(oldest_overdue)

    [first, *_] = pages = await every_page(any_database, 100, tenant_id=TENANT, subject=None)
    assert [r.id for r in first.items[:40]] == oldest_overdue
    assert all((r.extended_due_at or r.due_at) < NOW for r in first.items[:40])
    seen = [r.id for page in pages for r in page.items]
    assert seen == expected  # every request once, in the order the DPO needs
    assert len(pages) == 13
    for limit in (7, 499, 500):  # any page size gives the same list
        pages = await every_page(any_database, limit, tenant_id=TENANT, subject=None)
        assert [r.id for page in pages for r in page.items] == expected
    assert await every_page_until(any_database, 60) == expected[:60]  # one at a time


async def every_page_until(database: Database, count: int) -> list[str]:
    """The first ``count`` requests of the queue, one page of one at a time."""
    seen: list[str] = []
    cursor = None
    while len(seen) < count:
        async with database.transaction() as db:
            page = await repository.requests_page(
                db, tenant_id=TENANT, subject=None, cursor=cursor, limit=1
            )
        seen += [r.id for r in page.items]
        assert page.next_cursor is not None
        cursor = page.next_cursor
    return seen


async def test_a_persons_requests_page_newest_first_to_the_last(any_database: Database) -> None:
    rows = tenant_requests()
    async with any_database.transaction() as db:
        await db.execute(insert(Request), rows)
    mine = sorted(
        (r for r in rows if r["subject"] == PERSON),
        key=lambda r: (-r["received_at"].timestamp(), r["id"]),
    )
    assert len(mine) == 600
    pages = await every_page(any_database, 250, tenant_id=TENANT, subject=PERSON)
    assert [len(p.items) for p in pages] == [250, 250, 100]
    assert [r.id for page in pages for r in page.items] == [r["id"] for r in mine]
    # The person's erasure under way is found among all of them, not the newest 500 only.
    oldest = mine[-1]
    async with any_database.transaction() as db:
        found = await db.get(Request, oldest["id"])
        assert found is not None
        found.type, found.status = "erasure", "in_progress"
    async with any_database.transaction() as db:
        erasure = await repository.open_erasure_of(db, tenant_id=TENANT, subject=PERSON)
        assert erasure is not None and erasure.id == oldest["id"]


async def test_the_access_log_and_the_consent_history_page_to_the_last(
    any_database: Database,
) -> None:
    """The access log stopped at the latest 1,000 entries; the history had no bound."""
    at = NOW - timedelta(days=30)
    async with any_database.transaction() as db:
        await db.execute(
            insert(AuditEntry),
            [
                {
                    "id": str(uuid.uuid4()),
                    "tenant_id": TENANT,
                    "subject": PERSON,
                    "actor_id": "agent",
                    "actor_roles": ["support_agent"],
                    "service": "support",
                    "action": "read",
                    "what": "support conversation",
                    "route": "GET /api/tickets/{ticket_id}",
                    "at": at + timedelta(minutes=i // 3),  # three at a time: the id decides
                }
                for i in range(1203)
            ],
        )
        await db.execute(
            insert(ConsentEvent),
            [
                {
                    "id": str(uuid.uuid4()),
                    "subject": PERSON,
                    "tenant_id": TENANT,
                    "purpose": "newsletter",
                    "granted": i % 2 == 0,
                    "notice_version": "2026-11",
                    "channel": "web",
                    "at": at + timedelta(seconds=i),
                }
                for i in range(601)
            ],
        )
    log: list[AuditEntry] = await every_item(
        any_database,
        lambda db, cursor: audit.audit_page(db, subject=PERSON, cursor=cursor, limit=500),
    )
    assert len(log) == len({e.id for e in log}) == 1203
    assert [e.at for e in log] == sorted((e.at for e in log), reverse=True)
    history: list[ConsentEvent] = await every_item(
        any_database,
        lambda db, cursor: consents.history(db, subject=PERSON, cursor=cursor, limit=200),
    )
    assert len(history) == len({e.id for e in history}) == 601
    assert [e.at for e in history] == sorted(e.at for e in history)


async def every_item(
    database: Database, page_of: Callable[[AsyncSession, str | None], Awaitable[Page[T]]]
) -> list[T]:
    """Every item of a list, read page after page (``page_of(db, cursor)``) to its end."""
    items: list[T] = []
    cursor = None
    while True:
        async with database.transaction() as db:
            page = await page_of(db, cursor)
        items += page.items
        if page.next_cursor is None:
            return items
        cursor = page.next_cursor


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        encode_cursor("access-log", [NOW, "x"]),  # another list's
        encode_cursor("queue-open", ["yesterday", "x"]),  # not a date
        encode_cursor("queue-open", [NOW.replace(tzinfo=None), "x"]),  # no time zone
        encode_cursor("queue-open", [NOW]),  # a value missing
        encode_cursor("queue-open", [NOW, 3]),  # an id that is no text
        "x" * 401,
    ],
)
async def test_a_cursor_that_is_not_the_lists_own_is_a_422(database: Database, cursor: str) -> None:
    async with database.transaction() as db:
        with pytest.raises(Invalid, match="invalid cursor") as refused:
            await repository.requests_page(
                db, tenant_id=TENANT, subject=None, cursor=cursor, limit=10
            )
    assert "yesterday" not in str(refused.value)  # says nothing of what it held
