"""Checks every service runs on its own schema (used from each service's tests)."""

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import MetaData

from kit.db import Database
from kit.privacy.declarations import unclassified


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
async def sqlite_database(folder: Path, metadata: MetaData) -> AsyncIterator[Database]:
    """A fresh SQLite database with ``metadata``'s tables, for unit tests."""
    database = Database(f"sqlite+aiosqlite:///{folder / 'unit.db'}")
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    try:
        yield database
    finally:
        await database.dispose()
