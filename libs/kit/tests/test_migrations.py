"""kit's migration step for its own tables: what kit declares and a database lacks is added."""

from pathlib import Path

from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import Column, MetaData, String, Table, create_engine, inspect

from kit.migrations import kit_tables, sync_kit_tables


def test_sync_adds_the_missing_kit_tables_and_columns_and_keeps_the_rest(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    old = MetaData()
    # An older kit: an outbox without its last two columns, and no inbox yet.
    Table("outbox", old, Column("id", String(36), primary_key=True), Column("type", String(100)))
    Table("orders", old, Column("id", String(36), primary_key=True))
    old.create_all(engine)
    with engine.begin() as connection, Operations.context(MigrationContext.configure(connection)):
        done = sync_kit_tables()
    found = inspect(engine)
    tables = set(found.get_table_names())
    assert set(kit_tables().tables) <= tables
    assert "orders" in tables  # the service's own tables are not kit's business
    columns = {c["name"] for c in found.get_columns("outbox")}
    assert {"claimed_until", "last_error", "body"} <= columns
    assert "inbox" in done and "outbox.last_error" in done
    assert "ix_outbox_pending" in {i["name"] for i in found.get_indexes("outbox")}
    with engine.begin() as connection, Operations.context(MigrationContext.configure(connection)):
        assert sync_kit_tables() == []  # a second run has nothing to do
