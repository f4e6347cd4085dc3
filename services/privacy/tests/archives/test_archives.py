"""Archives are encrypted at rest and deleted at their date, with a clock of our own; a file
exists only while its row does: written once its transaction commits, deleted once its row's
removal commits, and whatever a crash leaves is swept by the purge (issue 14)."""

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from kit.db import Database
from privacy.archives import files as archive
from privacy.archives import service as archives
from privacy.context import Context
from privacy.models import Archive, Request
from privacy.requests.models import RequestStatus
from privacy.requests.service import add_months
from services.privacy.tests.factories import NOW, make_request


class Abort(Exception):
    pass


async def archived(database: Database, ctx: Context, at: datetime = NOW, **fields: Any) -> Request:
    """A request (``make_request(**fields)``) with its archive made at ``at``, committed."""
    async with database.transaction() as db:
        request = make_request(**fields)
        db.add(request)
        await db.flush()
        await archives.make_archive(db, ctx, request, at)
    return request


def files(ctx: Context) -> list[str]:
    assert ctx.settings.exports_dir is not None
    return sorted(p.name for p in ctx.settings.exports_dir.iterdir())


async def test_archive_is_encrypted_and_purged_on_its_date(
    database: Database, ctx: Context
) -> None:
    request = await archived(database, ctx)
    async with database.transaction() as db:
        archive = await db.get(Archive, request.id)
        assert archive is not None
        path = ctx.archive_path(archive.file_name)
    stored = path.read_bytes()
    assert stored.startswith(b"a1:") and b"PK" not in stored[:40]  # not a readable zip on disk
    assert path.stat().st_mode & 0o077 == 0
    async with database.transaction() as db:
        assert await archives.purge(db, ctx, NOW + timedelta(days=7) - timedelta(seconds=1)) == 0
    assert path.exists()
    async with database.transaction() as db:
        assert await archives.purge(db, ctx, NOW + timedelta(days=7)) == 1
    assert not path.exists()


async def test_a_rolled_back_transaction_leaves_no_archive_file(
    database: Database, ctx: Context
) -> None:
    """The archive is built while the request completes; if that transaction rolls back (the
    answer's row could not be written, the worker died...), no file stays behind: before,
    it stayed on disk with no row, where no purge ever looked."""
    async with database.transaction() as db:
        request = make_request()
        db.add(request)
    with pytest.raises(Abort):
        async with database.transaction() as db:
            found = await db.get(Request, request.id)
            assert found is not None
            await archives.make_archive(db, ctx, found, NOW)
            [pending] = files(ctx)  # written (flushed to disk) before the commit, not named
            assert pending.endswith(archive.SUFFIX + archive.PENDING)
            raise Abort
    assert files(ctx) == []
    async with database.transaction() as db:
        assert await db.get(Archive, request.id) is None
    # Committed: the file has its name, and is the row's.
    async with database.transaction() as db:
        found = await db.get(Request, request.id)
        assert found is not None
        await archives.make_archive(db, ctx, found, NOW)
    async with database.transaction() as db:
        row = await db.get(Archive, request.id)
        assert row is not None and files(ctx) == [row.file_name]


async def test_an_archive_is_deleted_only_once_its_rows_removal_commits(
    database: Database, ctx: Context
) -> None:
    request = await archived(database, ctx)
    with pytest.raises(Abort):
        async with database.transaction() as db:
            await archives.purge(db, ctx, NOW + timedelta(days=8))
            raise Abort
    async with database.transaction() as db:
        row = await db.get(Archive, request.id)
        assert row is not None and files(ctx) == [row.file_name]  # still downloadable
    async with database.transaction() as db:
        assert await archives.purge(db, ctx, NOW + timedelta(days=8)) == 1
    assert files(ctx) == []


def age(path: Path, by: timedelta) -> None:
    moment = (datetime.now(UTC) - by).timestamp()
    os.utime(path, (moment, moment))


async def test_the_purge_sweeps_files_without_a_row(database: Database, ctx: Context) -> None:
    """What a crash leaves: a file whose row never committed (what a rollback used to leave),
    a pending file of a transaction long gone, a committed archive whose rename was lost."""
    assert ctx.settings.exports_dir is not None
    folder = ctx.settings.exports_dir
    # Made now: the files' ages are the clock's, and the archive must not be past its date
    # (made at the factories' fixed NOW, it was from 2026-12-04 noon on).
    await archived(database, ctx, at=datetime.now(UTC))
    async with database.transaction() as db:
        kept = (await db.scalars(select(Archive.file_name))).one()
    os.replace(folder / kept, archive.pending_path(folder / kept))  # its rename never happened
    orphan = folder / f"{'a' * 32}{archive.SUFFIX}"
    stale = archive.pending_path(folder / f"{'b' * 32}{archive.SUFFIX}")
    fresh = archive.pending_path(folder / f"{'c' * 32}{archive.SUFFIX}")
    for path in (orphan, stale, fresh):
        path.write_bytes(b"a1:ciphertext")
    age(stale, archive.PENDING_GRACE + timedelta(minutes=1))
    (folder / "notes.txt").write_text("not an archive")
    now = datetime.now(UTC)
    async with database.transaction() as db:
        assert await archives.purge(db, ctx, now) == 2
    # The orphan and the stale one are gone; the committed one has its name; a transaction
    # that may still commit keeps its pending file; nothing else is touched.
    assert files(ctx) == sorted([kept, fresh.name, "notes.txt"])
    age(fresh, archive.PENDING_GRACE + timedelta(minutes=1))
    async with database.transaction() as db:
        assert await archives.purge(db, ctx, now) == 1
    assert files(ctx) == sorted([kept, "notes.txt"])


async def test_a_download_finds_an_archive_whose_rename_was_lost(
    database: Database, ctx: Context
) -> None:
    assert ctx.settings.exports_dir is not None
    request = await archived(database, ctx, status=RequestStatus.COMPLETED)
    async with database.transaction() as db:
        row = await db.get(Archive, request.id)
        assert row is not None
    path = ctx.settings.exports_dir / row.file_name
    os.replace(path, archive.pending_path(path))
    assert archive.read(path) is not None
    assert files(ctx) == [row.file_name]
    path.unlink()
    assert archive.read(path) is None


def test_one_month_is_a_calendar_month() -> None:
    assert add_months(datetime(2026, 1, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2026, 11, 27, tzinfo=UTC), 3) == datetime(2027, 2, 27, tzinfo=UTC)
