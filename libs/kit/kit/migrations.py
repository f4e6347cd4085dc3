"""What every service's Alembic ``env.py`` does (run migrations on the async engine), and the
migration step for kit's own tables.

Kit declares tables in every service's database: the outbox and inbox (``EventStore``) and the
data-subject tables (``SubjectData``: restricted archive, restrictions, objections, data-map
marks, requests handled). When kit changes them, each service adds one revision whose upgrade
is ``sync_kit_tables()``: it brings those tables to what kit declares now (creates a missing
table, adds a missing column or index) and never drops anything, so the same line serves every
service and every change, instead of five hand-written copies of kit's schema.
"""

import asyncio
from typing import Any

from alembic import context
from alembic import op as migration
from alembic.operations import ops
from sqlalchemy import Column, MetaData, inspect
from sqlalchemy.engine import Connection

from kit.db import NAMING_CONVENTION, create_engine
from kit.events.store import EventStore
from kit.privacy.declarations import Purpose
from kit.privacy.subject import SubjectData


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


def kit_tables() -> MetaData:
    """Kit's tables as kit declares them today, on a metadata of their own."""
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    EventStore(metadata, source="kit")
    SubjectData(metadata, service="kit", purpose=Purpose.SITE_COMMUNICATION)
    return metadata


def sync_kit_tables() -> list[str]:
    """In a revision's ``upgrade()``: create what kit declares and the database lacks (tables,
    columns, indexes); returns what it did, e.g. ``["outbox.priority"]``. A new column must be
    nullable or have a server default, as for any column added to a table with rows."""
    bind = migration.get_bind()
    found = inspect(bind)
    done: list[str] = []
    existing = set(found.get_table_names())
    for table in kit_tables().sorted_tables:
        if table.name not in existing:
            table.create(bind)
            done.append(table.name)
            continue
        columns = {c["name"] for c in found.get_columns(table.name)}
        for column in table.columns:
            if column.name not in columns:
                migration.add_column(table.name, column._copy())
                done.append(f"{table.name}.{column.name}")
        indexes = {i["name"] for i in found.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in indexes:
                migration.create_index(
                    str(index.name),
                    table.name,
                    [c.name for c in index.columns],
                    unique=index.unique,
                )
                done.append(str(index.name))
    return done
