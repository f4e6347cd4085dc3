"""Rows into a service's tables, fast: PostgreSQL's COPY, or SQLite's executemany.

Rows are tuples in the order of the columns named; the table is the service's own model
(``Model.__table__`` or a kit table), so a renamed or added column shows here at once (a
column left out takes its server default or NULL, as an INSERT would). Values go to the
database as they are, with no conversion per row (that is what makes it fast): JSON columns
take their text (``as_json``), datetimes must be timezone-aware (what ``UtcDateTime`` stores).
"""

import json
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import JSON, FromClause, Table, insert, text
from sqlalchemy.ext.asyncio import AsyncConnection

from kit.db import Database


def as_json(value: Any) -> str:
    """A JSON column's value as ``Bulk.write`` takes it (encode a repeated value once)."""
    return json.dumps(value)


class Bulk:
    """One service's database, written table by table; counts what it wrote."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.counts: Counter[str] = Counter()
        self.started = time.perf_counter()
        self.settled = 0.0

    @property
    def postgres(self) -> bool:
        return self.database.is_postgres

    async def write(
        self, table: FromClause, columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> int:
        """Write ``rows`` (tuples in the order of ``columns``) into ``table`` (a model's
        ``__table__``) in one transaction; returns how many."""
        assert isinstance(table, Table)
        unknown = set(columns) - set(table.c.keys())
        if unknown:
            raise ValueError(f"{table.name} has no column {sorted(unknown)}")
        rows = list(rows)
        if not rows:
            return 0
        async with self.database.engine.begin() as conn:
            if self.postgres:
                await self._copy(conn, table, columns, rows)
            else:  # SQLAlchemy encodes JSON itself
                decoded = [isinstance(table.c[name].type, JSON) for name in columns]
                await conn.execute(
                    insert(table),
                    [
                        {
                            name: json.loads(v) if d and v is not None else v
                            for name, v, d in zip(columns, r, decoded, strict=True)
                        }
                        for r in rows
                    ],
                )
        self.counts[table.name] += len(rows)
        return len(rows)

    @staticmethod
    async def _copy(
        conn: AsyncConnection, table: Table, columns: Sequence[str], rows: list[Sequence[Any]]
    ) -> None:
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        await driver.copy_records_to_table(table.name, records=rows, columns=list(columns))

    async def settle(self) -> None:
        """Bring the written tables to the state a client's database is in: vacuumed and
        analyzed. A freshly copied table has no statistics for the planner, no visibility map
        (no index-only scan) and no hint bits (the first reads of each page write it again);
        autovacuum would see to it within minutes on a server that runs it, and some do not
        (this machine's PostgreSQL runs without). Measured: ``settle_seconds``."""
        started = time.perf_counter()
        async with self.database.engine.connect() as opened:
            conn = await opened.execution_options(isolation_level="AUTOCOMMIT")
            for table in sorted(self.counts):
                verb = "VACUUM (ANALYZE)" if self.postgres else "ANALYZE"
                await conn.execute(text(f'{verb} "{table}"'))
        self.settled = round(time.perf_counter() - started, 1)

    def report(self) -> dict[str, Any]:
        return {
            "rows": dict(sorted(self.counts.items())),
            "total": sum(self.counts.values()),
            "seconds": round(time.perf_counter() - self.started, 1),
            "settle_seconds": self.settled,
        }
