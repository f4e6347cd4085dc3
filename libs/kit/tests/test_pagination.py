"""Keyset pagination (kit.pagination): every row once, in the order the database gives, for
every page size, across the parts of a list; cursors are opaque and a foreign one is a 422."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import Response
from sqlalchemy import String, func, insert, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import Database, UtcDateTime
from kit.errors import Invalid
from kit.pagination import (
    MAX_LIMIT,
    NEXT_CURSOR_HEADER,
    By,
    Keyset,
    Page,
    Part,
    decode_cursor,
    encode_cursor,
    fetch,
)
from kit.testing import sqlite_database

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"

    id: Mapped[str] = mapped_column(String(10), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime] = mapped_column(UtcDateTime)


OLDEST = Keyset[Item]("oldest", (By(Item.at, datetime), By(Item.id, str)), lambda i: (i.at, i.id))
NEWEST = Keyset[Item](
    "newest", (By(Item.at, datetime, descending=True), By(Item.id, str)), lambda i: (i.at, i.id)
)


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    async with sqlite_database(tmp_path, Base.metadata) as db:
        async with db.transaction() as session:
            await session.execute(
                insert(Item),
                [
                    {
                        "id": f"i{n:03d}",
                        "kind": "open" if n % 3 else "done",
                        "at": NOW + timedelta(minutes=n // 4),  # four at a time: ties
                    }
                    for n in range(60)
                ],
            )
        yield db


def parts() -> list[Part[Item]]:
    """Open items, oldest first; then the done ones, newest first."""
    return [
        Part(select(Item).where(Item.kind == "open"), OLDEST),
        Part(select(Item).where(Item.kind == "done"), NEWEST),
    ]


async def all_pages(database: Database, limit: int) -> list[Page[Item]]:
    pages, cursor = [], None
    while True:
        async with database.transaction() as db:
            page = await fetch(db, parts(), cursor=cursor, limit=limit)
        pages.append(page)
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


async def test_every_page_size_reaches_every_row_once_in_order(database: Database) -> None:
    async with database.transaction() as db:
        rows = (await db.scalars(select(Item))).all()
    expected = [
        *sorted((r for r in rows if r.kind == "open"), key=lambda r: (r.at, r.id)),
        *sorted((r for r in rows if r.kind == "done"), key=lambda r: (-r.at.timestamp(), r.id)),
    ]
    assert len([r for r in rows if r.kind == "open"]) == 40
    for limit in (1, 2, 3, 7, 39, 40, 41, 59, 60, 61, MAX_LIMIT):
        pages = await all_pages(database, limit)
        assert [i.id for p in pages for i in p.items] == [r.id for r in expected], limit
        assert all(len(p.items) == limit for p in pages[:-1])
        assert len(pages) == -(-60 // limit)  # never an empty last page


async def test_a_page_ending_at_a_parts_end_continues_in_the_next(database: Database) -> None:
    """Exactly the 40 open items fill the page: the cursor is the start of the done ones."""
    async with database.transaction() as db:
        first = await fetch(db, parts(), cursor=None, limit=40)
        assert {i.kind for i in first.items} == {"open"} and first.next_cursor is not None
        second = await fetch(db, parts(), cursor=first.next_cursor, limit=40)
    assert [i.kind for i in second.items] == ["done"] * 20 and second.next_cursor is None


def test_a_cursor_is_opaque_and_read_back() -> None:
    cursor = encode_cursor("oldest", [NOW, "i001"])
    assert "i001" not in cursor and "2026" not in cursor
    assert cursor.replace("-", "").replace("_", "").isalnum()
    assert decode_cursor(cursor, [NEWEST, OLDEST]) == (1, (NOW, "i001"))
    assert decode_cursor(encode_cursor("newest", []), [NEWEST, OLDEST]) == (0, ())


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "%%%",
        "bm90IGpzb24",  # base64 of "not json"
        encode_cursor("elsewhere", [NOW, "i001"]),
        encode_cursor("oldest", ["i001", NOW]),
        encode_cursor("oldest", [NOW]),
        encode_cursor("oldest", [NOW, "i001", "more"]),
        encode_cursor("oldest", [NOW.replace(tzinfo=None), "i001"]),
        encode_cursor("oldest", [NOW, 1]),
        "A" * 401,
    ],
)
def test_anything_else_is_a_422_that_says_nothing_of_it(cursor: str) -> None:
    with pytest.raises(Invalid, match="invalid cursor") as refused:
        decode_cursor(cursor, [OLDEST])
    assert "i001" not in refused.value.detail


async def test_the_limit_is_bounded(database: Database) -> None:
    async with database.transaction() as db:
        for limit in (0, -1, MAX_LIMIT + 1):
            with pytest.raises(Invalid, match="limit"):
                await fetch(db, parts(), cursor=None, limit=limit)


def test_a_list_route_keeps_its_body_and_sends_the_cursor_in_a_header() -> None:
    response = Response()
    assert Page([1, 2], "next").send(response) == [1, 2]
    assert response.headers[NEXT_CURSOR_HEADER] == "next"
    last = Response()
    assert Page([3]).map(str).send(last) == ["3"]
    assert NEXT_CURSOR_HEADER not in last.headers


async def test_a_row_that_matches_two_parts_is_listed_once(database: Database) -> None:
    """As a request answered while its DPO's queue is read: read as open by the first part's
    statement, then as answered by the second's."""
    overlapping = [
        Part(select(Item).where(Item.kind == "open"), OLDEST),
        Part(select(Item), NEWEST),  # every item: the open ones match both parts
    ]
    async with database.transaction() as db:
        total = await db.scalar(select(func.count()).select_from(Item))
        page = await fetch(db, overlapping, cursor=None, limit=500)
    ids = [item.id for item in page.items]
    assert len(ids) == len(set(ids)) == total
