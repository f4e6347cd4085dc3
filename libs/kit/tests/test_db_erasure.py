"""Issue 14 on SQLite: once an erasure commits, the person's values are in no database file
(the database, its write-ahead log, its shared-memory index), neither in a row, nor in an
index, nor in a page's free space, nor in a freed page, nor in an old page image."""

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Column, ForeignKey, MetaData, String, Table, Text, select, text, update

from kit.db import ERASURE, Database, mark_erasure
from kit.privacy.declarations import LegalBasis, Purpose, not_personal, personal, subject_table
from kit.privacy.subject import SubjectData

P, C = Purpose.SUPPORT_REQUESTS, LegalBasis.CONTRACT
metadata = MetaData()
data = SubjectData(metadata, service="club", purpose=P, key=b"k" * 32)
members = Table(
    "members",
    metadata,
    Column("id", String(36), primary_key=True, info=personal("id", P, C, provided=False)),
    Column("email", String(254), unique=True, info=personal("contact", P, C)),
    Column("name", String(100), index=True, info=personal("identity", P, C)),
    info=subject_table("id"),
)
notes = Table(
    "notes",
    metadata,
    Column("id", String(36), primary_key=True, info=not_personal("random id")),
    Column("member", ForeignKey("members.id"), index=True, info=personal("author", P, C)),
    Column("body", Text, info=personal("what they wrote", P, C)),
    info=subject_table("member"),
)
NOW = datetime(2026, 11, 27, tzinfo=UTC)
EMAIL, OLD_NAME, NEW_NAME = "erin.wipe@example.test", "Erinwipeold", "Erinwipenew"
#: Longer than a page: it lives in overflow pages, which the erasure frees.
NOTE = "Wipenote " + "my payslip is wrong; " * 400
SHORT_NOTE = "Wipeshort call me back"
VALUES = [EMAIL, OLD_NAME, NEW_NAME, "Wipenote", "Wipeshort"]


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    """Many people (several pages per table and index), one of them the person to erase, whose
    name was rectified (an UPDATE: the old value is left in the log and in the page)."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'club.db'}")
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    async with db.transaction() as session:
        others = [
            {"id": f"m{i:04}", "email": f"m{i}@example.test", "name": f"Member {i}"}
            for i in range(600)
        ]
        await session.execute(members.insert(), others)
        await session.execute(
            notes.insert(),
            [
                {"id": f"n{i:04}", "member": f"m{i:04}", "body": f"note {i} " * 20}
                for i in range(600)
            ],
        )
    async with db.transaction() as session:
        person = {"id": "erin", "email": EMAIL, "name": OLD_NAME}
        await session.execute(members.insert().values(person))
        await session.execute(notes.insert().values(id="n-long", member="erin", body=NOTE))
        await session.execute(notes.insert().values(id="n-short", member="erin", body=SHORT_NOTE))
    async with db.transaction() as session:
        await data.rectify(session, "erin", {"members": {"name": NEW_NAME}})
    yield db
    await db.dispose()


def readable(folder: Path) -> dict[str, list[str]]:
    """Which of ``VALUES`` each file of ``folder`` holds, in UTF-8 or UTF-16."""
    found: dict[str, list[str]] = {}
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        raw = path.read_bytes()
        for value in VALUES:
            if value.encode() in raw or value.encode("utf-16-le") in raw:
                found.setdefault(path.name, []).append(value)
    return found


async def test_every_connection_zeroes_what_it_deletes_and_keeps_temp_data_in_memory(
    database: Database,
) -> None:
    async with database.engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA secure_delete"))).scalar() == 1
        assert (await conn.execute(text("PRAGMA temp_store"))).scalar() == 2  # memory


async def test_before_the_erasure_the_scan_finds_every_value(
    database: Database, tmp_path: Path
) -> None:
    found = readable(tmp_path)
    assert {v for hits in found.values() for v in hits} == set(VALUES), found
    assert "club.db-wal" in found, "the old name is in the log (the scan would see it)"


async def test_nothing_erased_stays_readable_in_any_file(
    database: Database, tmp_path: Path
) -> None:
    async with database.transaction() as session:
        report = await data.erase(session, "erin", now=NOW)
    assert {t.table: t.erased_rows for t in report} == {"members": 1, "notes": 2}
    assert readable(tmp_path) == {}
    assert (tmp_path / "club.db-wal").stat().st_size == 0
    # Nobody else's data was touched.
    async with database.transaction() as session:
        assert await session.scalar(select(members.c.email).where(members.c.id == "m0599"))
        count = await session.scalar(text("SELECT count(*) FROM notes"))
    assert count == 600
    with sqlite3.connect(tmp_path / "club.db") as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)


async def test_a_later_write_does_not_bring_an_erased_value_back(
    database: Database, tmp_path: Path
) -> None:
    """After the checkpoint, pages written again (here, the same pages of both tables and
    indexes) are images of zeroed pages: nothing of the person comes back into the log."""
    async with database.transaction() as session:
        await data.erase(session, "erin", now=NOW)
    async with database.transaction() as session:
        await session.execute(update(members).values(name=members.c.name + " (checked)"))
        await session.execute(notes.insert().values(id="n-new", member="m0001", body="a new note"))
    assert (tmp_path / "club.db-wal").stat().st_size > 0
    assert readable(tmp_path) == {}


async def test_a_purge_of_the_restricted_archive_is_an_erasure_too(database: Database) -> None:
    async with database.transaction() as session:
        await session.execute(
            data.archive.insert().values(
                id="a1", subject_key="k", source_table="members", data=EMAIL, keep_until=NOW
            )
        )
        assert await data.purge_due(session, now=NOW) == 1
        assert session.info[ERASURE] is True
    async with database.transaction() as session:
        assert await data.purge_due(session, now=NOW) == 0
        assert ERASURE not in session.info  # nothing purged: no checkpoint


async def test_an_erasure_rolled_back_leaves_the_log_as_it_was(
    database: Database, tmp_path: Path
) -> None:
    wal = tmp_path / "club.db-wal"
    size = wal.stat().st_size
    with pytest.raises(RuntimeError):
        async with database.transaction() as session:
            mark_erasure(session)
            await session.execute(notes.delete().where(notes.c.member == "erin"))
            raise RuntimeError("refused")
    assert wal.stat().st_size == size
    async with database.transaction() as session:
        assert await session.scalar(select(notes.c.body).where(notes.c.id == "n-short"))
