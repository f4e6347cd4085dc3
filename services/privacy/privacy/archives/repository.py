"""Queries of export parts and archives."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from privacy.archives.models import Archive, ExportPart
from privacy.requests.models import Request


async def export_parts(db: AsyncSession, request_id: str) -> Sequence[ExportPart]:
    return (await db.scalars(select(ExportPart).where(ExportPart.request_id == request_id))).all()


async def archive_of(db: AsyncSession, request_id: str) -> Archive | None:
    return await db.get(Archive, request_id)


async def archive_file_names(db: AsyncSession) -> set[str]:
    """Every archive's file name (a few days of exports at most: they expire after
    ``archive_days``)."""
    return set((await db.scalars(select(Archive.file_name))).all())


async def expired_archives(db: AsyncSession, *, now: datetime) -> Sequence[Archive]:
    return (await db.scalars(select(Archive).where(Archive.expires_at <= now))).all()


async def archives_of_subject(db: AsyncSession, subject: str) -> Sequence[Archive]:
    return (
        await db.scalars(
            select(Archive)
            .join(Request, Request.id == Archive.request_id)
            .where(Request.subject == subject)
        )
    ).all()
