"""The privacy worker's scheduled work: commands sent again, archives and the audit trail
past their date, and the restricted archive's retention."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kit.worker import Job, retention_purge
from privacy.archives import service as archives
from privacy.audit import service as audit
from privacy.context import Context
from privacy.models import subject_data
from privacy.requests import commands


def scheduled(ctx: Context) -> list[Job]:
    """Every job of the worker, bound to its context."""

    async def retry_unanswered(db: AsyncSession, now: datetime) -> int:
        return await commands.retry_waiting(db, ctx, now)

    async def purge_archives(db: AsyncSession, now: datetime) -> int:
        return await archives.purge(db, ctx, now)

    async def purge_audit(db: AsyncSession, now: datetime) -> int:
        return await audit.purge(db, ctx.settings, now)

    return [
        Job(
            "retry unanswered commands",
            max(1.0, ctx.settings.retry_seconds / 2),
            retry_unanswered,
        ),
        Job("expired archives", 600, purge_archives),
        Job("audit trail retention", 3600, purge_audit),
        retention_purge(subject_data),
    ]
