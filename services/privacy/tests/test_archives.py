"""Archives are encrypted at rest and deleted at their date, with a clock of our own."""

from datetime import UTC, datetime, timedelta

from kit.db import Database
from privacy import service
from privacy.models import Archive, Request

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


async def test_archive_is_encrypted_and_purged_on_its_date(
    database: Database, ctx: service.Privacy
) -> None:
    async with database.transaction() as db:
        request = Request(
            tenant_id="t",
            subject="u",
            type="access",
            status="in_progress",
            channel="self-service",
            received_at=NOW,
            due_at=service.add_months(NOW, 1),
        )
        db.add(request)
        await db.flush()
        await service._make_archive(db, ctx, request, NOW)
    async with database.transaction() as db:
        archive = await db.get(Archive, request.id)
        assert archive is not None
        path = ctx.archive_path(archive.file_name)
    stored = path.read_bytes()
    assert stored.startswith(b"a1:") and b"PK" not in stored[:40]  # not a readable zip on disk
    assert path.stat().st_mode & 0o077 == 0
    async with database.transaction() as db:
        assert (
            await service.purge_archives(db, ctx, NOW + timedelta(days=7) - timedelta(seconds=1))
            == 0
        )
    assert path.exists()
    async with database.transaction() as db:
        assert await service.purge_archives(db, ctx, NOW + timedelta(days=7)) == 1
    assert not path.exists()


def test_one_month_is_a_calendar_month() -> None:
    assert service.add_months(datetime(2026, 1, 31, tzinfo=UTC), 1) == datetime(
        2026, 2, 28, tzinfo=UTC
    )
    assert service.add_months(datetime(2026, 11, 27, tzinfo=UTC), 3) == datetime(
        2027, 2, 27, tzinfo=UTC
    )
