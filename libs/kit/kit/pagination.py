"""Keyset pagination, the same in every service: a list is never cut silently (issue 14).

A list route answers one page: at most ``limit`` items (``DEFAULT_LIMIT``, at most
``MAX_LIMIT``) in an order the database produces, and, when more follow, an opaque cursor for
the next page. The cursor holds the sort key of the last item sent, never an offset: a row
added or removed meanwhile does not make the next page repeat or skip one, and the database
starts from an index position instead of counting the rows before it. Loading "the newest N"
and sorting them in Python is what this replaces: the rows beyond N were never seen.

The order is a ``Keyset``: expressions, each ascending or descending, the last one unique (an
id), none of them NULL. A list whose order comes in parts (the DPO's queue: open requests by
due date, then the answered ones, newest first) is a sequence of ``Part``s, each with its own
query and keyset; the cursor names the part it stopped in.

Routes whose answer is a JSON list keep it, and send the cursor in the ``X-Next-Cursor``
header (absent on the last page), so that existing clients go on working; a new route may
answer ``Page[Item]`` (``items`` and ``next_cursor``) as its body.
"""

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query, Response
from sqlalchemy import Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import ColumnElement

from kit.errors import Invalid

T = TypeVar("T")
U = TypeVar("U")
R = TypeVar("R")

CursorValue = str | int | datetime

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
#: The response header of a list route whose body is a JSON list.
NEXT_CURSOR_HEADER = "X-Next-Cursor"
#: A cursor is a few ids and dates: anything longer is not one of ours.
MAX_CURSOR_LENGTH = 400
INVALID_CURSOR = "invalid cursor: send the cursor of the previous page unchanged"

#: A route's ``limit`` query parameter.
Limit = Annotated[
    int,
    Query(ge=1, le=MAX_LIMIT, description=f"Items per page (at most {MAX_LIMIT})."),
]
#: A route's ``cursor`` query parameter: the previous page's ``X-Next-Cursor`` / ``next_cursor``.
Cursor = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=MAX_CURSOR_LENGTH,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Where the previous page stopped (its next cursor); none: the first page.",
    ),
]
#: ``responses=`` of a route that answers a list and pages with ``X-Next-Cursor``.
PAGED_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "headers": {
            NEXT_CURSOR_HEADER: {
                "description": "Present when more items follow: pass it as ``cursor``.",
                "schema": {"type": "string"},
            }
        }
    }
}


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: ``next_cursor`` is None on the last one."""

    items: list[T]
    next_cursor: str | None = None

    def map(self, convert: Callable[[T], U]) -> "Page[U]":
        return Page([convert(item) for item in self.items], self.next_cursor)

    def send(self, response: Response) -> list[T]:
        """The items, for a route whose body is a list; the cursor goes in the header."""
        if self.next_cursor is not None:
            response.headers[NEXT_CURSOR_HEADER] = self.next_cursor
        return self.items


@dataclass(frozen=True)
class By:
    """One expression of an order: never NULL, of a type a cursor can carry."""

    expression: ColumnElement[Any] | QueryableAttribute[Any]
    type: type[str] | type[int] | type[datetime]
    descending: bool = False


@dataclass(frozen=True)
class Keyset(Generic[R]):
    """The order of a list (``by``, the last expression unique) and how to read a row's
    values of it (``key``); ``kind`` names it inside cursors, so that a cursor of another
    list is refused instead of read as this one's."""

    kind: str
    by: tuple[By, ...]
    key: Callable[[R], tuple[CursorValue, ...]]

    def order_by(self) -> list[ColumnElement[Any]]:
        return [b.expression.desc() if b.descending else b.expression.asc() for b in self.by]

    def after(self, values: Sequence[CursorValue]) -> ColumnElement[bool]:
        """The rows after ``values`` in this order: (a > x) or (a = x and b > y) or ..."""
        clauses = []
        for i, (by, value) in enumerate(zip(self.by, values, strict=True)):
            same = [b.expression == v for b, v in zip(self.by[:i], values[:i], strict=True)]
            beyond = by.expression < value if by.descending else by.expression > value
            clauses.append(and_(*same, beyond))
        return or_(*clauses)

    def cursor(self, row: R | None) -> str:
        """The cursor of the rows after ``row``; None: the start of this keyset's part."""
        return encode_cursor(self.kind, () if row is None else self.key(row))


@dataclass(frozen=True)
class Part(Generic[R]):
    """One part of a list: its rows (``query``, filters only) in its keyset's order."""

    query: Select[R]
    keyset: Keyset[R]


def encode_cursor(kind: str, values: Sequence[CursorValue]) -> str:
    """Opaque to clients: URL-safe base64 of the list's kind and the last item's key."""
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    data = json.dumps([kind, *plain], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _value(raw: Any, expected: type[str] | type[int] | type[datetime]) -> CursorValue:
    if expected is datetime:
        if not isinstance(raw, str):
            raise ValueError(raw)
        moment = datetime.fromisoformat(raw)
        if moment.tzinfo is None:
            raise ValueError(raw)
        return moment
    if expected is int and (isinstance(raw, bool) or not isinstance(raw, int)):
        raise ValueError(raw)
    if expected is str and not isinstance(raw, str):
        raise ValueError(raw)
    return raw  # type: ignore[no-any-return]


def decode_cursor(cursor: str, keysets: Sequence[Keyset[R]]) -> tuple[int, tuple[CursorValue, ...]]:
    """Which of ``keysets`` the cursor belongs to (its index) and the values it holds (none:
    the start of that part). 422, saying nothing of its content, for anything else."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        data = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        kind, *raw = json.loads(data)
        index = next(i for i, k in enumerate(keysets) if k.kind == kind)
        by = keysets[index].by
        if raw and len(raw) != len(by):
            raise ValueError("wrong length")
        return index, tuple(_value(v, b.type) for v, b in zip(raw, by, strict=False))
    except (ValueError, TypeError, StopIteration, binascii.Error, UnicodeDecodeError) as exc:
        raise Invalid(INVALID_CURSOR) from exc


async def fetch(
    db: AsyncSession, parts: Sequence[Part[R]], *, cursor: str | None, limit: int
) -> Page[R]:
    """One page of the list made of ``parts`` in order, from where ``cursor`` stopped.

    Each part is read with one query from its keyset position; the next part is read only
    when the page has room left."""
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"limit must be between 1 and {MAX_LIMIT}")
    start, values = 0, tuple[CursorValue, ...]()
    if cursor is not None:
        start, values = decode_cursor(cursor, [p.keyset for p in parts])
    items: list[R] = []
    for index in range(start, len(parts)):
        part = parts[index]
        query = part.query
        if index == start and values:
            query = query.where(part.keyset.after(values))
        room = limit - len(items)
        rows = list(
            (await db.scalars(query.order_by(*part.keyset.order_by()).limit(room + 1))).all()
        )
        more = len(rows) > room  # more after this page, in this part
        rows = rows[:room]
        last = rows[-1] if rows else None
        # Each part is its own statement: a row that changed between two of them (a request
        # answered while its DPO's queue is read) can match both. It is listed once, where
        # it was first read (the session's identity map gives the same object twice).
        shown = {id(item) for item in items}
        items += [row for row in rows if id(row) not in shown]
        if more:
            return Page(items, part.keyset.cursor(last))
    return Page(items)
