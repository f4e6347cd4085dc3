"""Helpers of the services' tests: every service runs on its own schema, a stand-in for the
gateway's token in route tests, and reading a paged list to its end."""

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData

from kit.auth import INTERNAL_TOKEN_HEADER, Principal, StaticKeys, TokenVerifier
from kit.db import Database
from kit.errors import Unauthenticated
from kit.pagination import NEXT_CURSOR_HEADER
from kit.privacy.declarations import unclassified

if TYPE_CHECKING:
    from fastapi.testclient import TestClient


def assert_every_column_classified(metadata: MetaData) -> None:
    """Every column declared personal (with purpose, basis...) or not personal, and why."""
    missing = unclassified(metadata)
    assert missing == [], f"columns without a personal-data declaration: {missing}"


def assert_migrations_match_models(alembic_ini: Path, workdir: Path) -> None:
    """``alembic upgrade head`` on an empty database, then ``alembic check`` finds no drift."""
    env = os.environ | {"DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'migrations.db'}"}
    alembic = [sys.executable, "-m", "alembic", "-c", str(alembic_ini)]
    subprocess.run([*alembic, "upgrade", "head"], env=env, check=True, capture_output=True)
    check = subprocess.run(
        [*alembic, "check"], env=env, capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr


@asynccontextmanager
async def database_with_tables(
    url: str, metadata: MetaData, *, pool_size: int = 6, max_overflow: int = 2
) -> AsyncIterator[Database]:
    """A ``Database`` on ``url`` (an empty database) with ``metadata``'s tables created, its
    pool disposed of at the end."""
    database = Database(url, pool_size=pool_size, max_overflow=max_overflow)
    try:
        async with database.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        yield database
    finally:
        await database.dispose()


@asynccontextmanager
async def sqlite_database(folder: Path, metadata: MetaData) -> AsyncIterator[Database]:
    """A fresh SQLite database with ``metadata``'s tables, for unit tests."""
    async with database_with_tables(f"sqlite+aiosqlite:///{folder / 'unit.db'}", metadata) as db:
        yield db


class BadgeVerifier(TokenVerifier):
    """Stands in for the gateway's signed token in in-process route tests: the token is the
    caller's name in ``people``."""

    def __init__(self, people: Mapping[str, Principal]) -> None:  # no keys, no cache
        self.people = people
        self.source = StaticKeys(dict)  # ready at once: nothing to fetch

    async def verify(self, token: str) -> Principal:
        if token not in self.people:
            raise Unauthenticated("invalid token")
        return self.people[token]


def badge(who: str) -> dict[str, str]:
    """The headers of a request by ``who`` (a name ``BadgeVerifier`` knows), as the gateway
    forwards a signed token."""
    return {INTERNAL_TOKEN_HEADER: who}


def every_page(
    client: "TestClient",
    path: str,
    who: str | Mapping[str, str],
    limit: int,
    cursor: str | None = None,
) -> list[list[dict[str, Any]]]:
    """Read a paged list route (kit.pagination) to its end, as ``who`` (a badge name, or the
    headers to send): every page, in order. Asserts each page is a JSON list, only the last
    one is short, and the cursor moves."""
    headers = badge(who) if isinstance(who, str) else who
    pages: list[list[dict[str, Any]]] = []
    while True:
        params: dict[str, Any] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        response = client.get(path, params=params, headers=dict(headers))
        assert response.status_code == 200, response.text
        assert isinstance(response.json(), list)  # the body is the list, as before
        pages.append(response.json())
        cursor = response.headers.get(NEXT_CURSOR_HEADER)
        if cursor is None:
            return pages
        assert len(pages[-1]) == limit  # only the last page is short
        assert len(pages) < 1000, "the cursor does not move"


def ordered(rows: list[dict[str, Any]], by: str, *, newest_first: bool) -> list[str]:
    """The rows' ids in the order of a keyset list by the date ``by``, then the id."""
    sign = -1 if newest_first else 1
    return [r["id"] for r in sorted(rows, key=lambda r: (sign * r[by].timestamp(), r["id"]))]
