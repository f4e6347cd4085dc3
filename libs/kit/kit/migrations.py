"""What every service's Alembic ``env.py`` does: run migrations on the async engine."""

import asyncio
from typing import Any

from alembic import context
from alembic.operations import ops
from sqlalchemy import Column, MetaData
from sqlalchemy.engine import Connection

from kit.db import create_engine


def _drop_declarations(_context: object, _revision: object, directives: list[Any]) -> None:
    """Personal-data declarations live in column ``info``; they are not schema, and must not be
    written into migration files."""
    for script in directives:
        for op in _walk(script.upgrade_ops):
            if isinstance(op, ops.CreateTableOp):
                op.info = {}
                for column in op.columns:
                    if isinstance(column, Column):
                        column.info = {}
            elif isinstance(op, ops.AddColumnOp):
                op.column.info = {}


def _walk(container: Any) -> list[Any]:
    found = []
    for op in getattr(container, "ops", []):
        found.append(op)
        found.extend(_walk(op))
    return found


def _run(connection: Connection, metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        process_revision_directives=_drop_declarations,
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
