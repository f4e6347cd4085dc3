"""What every service's Alembic ``env.py`` does: run migrations on the async engine."""

import asyncio

from alembic import context
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from kit.db import create_engine


def _run(connection: Connection, metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str, metadata: MetaData) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run, metadata)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations(metadata: MetaData, url: str) -> None:
    """Call from ``env.py``; offline mode is not supported (always run against a database)."""
    if context.is_offline_mode():
        raise SystemExit("offline migrations are not supported: give a DATABASE_URL")
    asyncio.run(_run_async(url, metadata))
