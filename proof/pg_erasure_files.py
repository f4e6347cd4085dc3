"""What an erasure leaves in PostgreSQL's files (issue 14): a measurement, not a test.

A scratch database gets a table shaped like a service's (a person's email under a unique
index, a name under an index, a long text stored out of line in TOAST), 50 people and
statistics (ANALYZE). One person's name is then changed (UPDATE), their row deleted, the table
vacuumed (VACUUM) and rewritten (VACUUM FULL); after each step a CHECKPOINT writes the pages
to disk and the script counts how many copies of each value are in the raw bytes of the
table's file, its indexes, its TOAST table and index, the statistics catalog, and the
server's write-ahead log segments. docs/privacy.md, "What an erasure leaves in the database
files", gives the figures and what the design does about them.

Run as root on the machine of the server (it reads the server's data directory, and runs
CHECKPOINT as the ``postgres`` user): ``.venv/bin/python -m proof.pg_erasure_files``.
"""

import asyncio
import os
import secrets
import subprocess
from pathlib import Path

import asyncpg

from tests.conftest import drop_database, recreate_database

DATA_DIR = Path(os.environ.get("PGDATA", "/var/lib/postgresql/15/main"))


def checkpoint() -> None:
    """Dirty pages to their files (CHECKPOINT needs a superuser, or pg_checkpoint)."""
    subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-qAtc", "CHECKPOINT"], check=True)


def copies(path: Path, value: bytes) -> int:
    return path.read_bytes().count(value) if path.exists() else 0


async def files(conn: asyncpg.Connection) -> dict[str, Path]:
    """The files of the table, its indexes, its TOAST table and index, and pg_statistic."""
    rows = await conn.fetch(
        """
        SELECT c.relname AS name, pg_relation_filepath(c.oid) AS path
        FROM pg_class c
        WHERE c.oid IN (
            SELECT 'people'::regclass
            UNION SELECT indexrelid FROM pg_index WHERE indrelid = 'people'::regclass
            UNION SELECT reltoastrelid FROM pg_class WHERE oid = 'people'::regclass
            UNION SELECT indexrelid FROM pg_index WHERE indrelid = (
                SELECT reltoastrelid FROM pg_class WHERE oid = 'people'::regclass)
            UNION SELECT 'pg_statistic'::regclass
        )
        """
    )
    found = {}
    for row in rows:
        name = str(row["name"])
        label = "toast" if name.startswith("pg_toast_") else name
        label = "toast index" if label == "toast" and name.endswith("_index") else label
        found[label] = DATA_DIR / str(row["path"])
    return found


def wal_segments() -> list[Path]:
    return sorted(p for p in (DATA_DIR / "pg_wal").iterdir() if p.is_file())


async def main() -> None:
    name = f"erasure_files_{secrets.token_hex(4)}"
    url = await recreate_database(name)
    tag = secrets.token_hex(4)
    email, old, new = f"wipe-{tag}@example.test", f"Wipeold{tag}", f"Wipenew{tag}"
    # Random text does not compress: what TOAST stores is the text itself.
    note = f"Wipenote{tag} " + secrets.token_hex(4000)
    values = {"email": email, "old name": old, "new name": new, "note": f"Wipenote{tag}"}
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    # Segments already on disk before the run hold none of the values (they are new).
    wal_before = {p.name for p in wal_segments()}

    def measure(stage: str, where: dict[str, Path]) -> None:
        for label, value in values.items():
            encoded = value.encode()
            for file_label, path in where.items():
                count = copies(path, encoded)
                if count:
                    print(f"| {stage} | {label} | {file_label} | {count} |")
            segments = [p for p in wal_segments() if encoded in p.read_bytes()]
            if segments:
                total = sum(p.read_bytes().count(encoded) for p in segments)
                print(f"| {stage} | {label} | WAL ({len(segments)} segment(s)) | {total} |")

    try:
        await conn.execute(
            "CREATE TABLE people (id text PRIMARY KEY, email text UNIQUE, name text, note text)"
        )
        await conn.execute("CREATE INDEX ix_people_name ON people (name)")
        await conn.execute("ALTER TABLE people ALTER COLUMN note SET STORAGE EXTERNAL")
        # Those inserted after the person have long notes too: the person's TOAST chunks are
        # then in the middle of the TOAST table, not at its end (which VACUUM cuts off).
        others = [
            (f"p{i:03}", f"p{i}@example.test", f"Person {i}", secrets.token_hex(2000 * (i >= 25)))
            for i in range(50)
        ]
        await conn.executemany("INSERT INTO people VALUES ($1, $2, $3, $4)", others[:25])
        await conn.execute("INSERT INTO people VALUES ('erin', $1, $2, $3)", email, old, note)
        await conn.executemany("INSERT INTO people VALUES ($1, $2, $3, $4)", others[25:])
        await conn.execute("ANALYZE people")
        where = await files(conn)
        print(f"database {name}; WAL segments before: {len(wal_before)}")
        print("| stage | value | file | copies |\n|---|---|---|---|")
        checkpoint()
        measure("inserted, analyzed", where)
        await conn.execute("UPDATE people SET name = $1 WHERE id = 'erin'", new)
        checkpoint()
        measure("name updated", where)
        await conn.execute("DELETE FROM people WHERE id = 'erin'")
        checkpoint()
        measure("row deleted", where)
        await conn.execute("VACUUM people")
        checkpoint()
        measure("VACUUM", where)
        await conn.execute("ANALYZE people")
        checkpoint()
        measure("ANALYZE", where)
        old_files = dict(where)
        await conn.execute("VACUUM FULL people")
        checkpoint()
        checkpoint()  # the old files are unlinked at the checkpoint after the rewrite
        where = await files(conn)
        gone = [label for label, path in old_files.items() if not path.exists()]
        print(f"VACUUM FULL: new files for {sorted(where)}; old files gone: {sorted(gone)}")
        measure("VACUUM FULL", where)
        # The statistics' old row versions stay until pg_statistic itself is vacuumed (the
        # database's owner may; autovacuum does it when it runs).
        await conn.execute("VACUUM pg_statistic")
        checkpoint()
        measure("VACUUM pg_statistic", await files(conn))
    finally:
        await conn.close()
        await drop_database(name)


if __name__ == "__main__":
    asyncio.run(main())
