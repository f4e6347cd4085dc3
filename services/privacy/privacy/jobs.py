"""The privacy worker's scheduled work: commands sent again, archives, the audit trail and
the spent proofs of consent past their date, the restricted archive's retention, and the
deadlines the monitoring alerts on."""

import math
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kit.metrics import BREACH_NEXT_DEADLINE, DSR_NEXT_DEADLINE, DSR_OPEN
from kit.worker import Job, live_retention, retention_purge
from privacy.archives import service as archives
from privacy.audit import service as audit
from privacy.breaches import repository as breaches
from privacy.breaches.service import AUTHORITY_DELAY
from privacy.closures import service as closures
from privacy.consents import service as consents
from privacy.context import Context
from privacy.models import subject_data
from privacy.requests import commands
from privacy.requests import repository as requests
from privacy.requests.models import RequestType


async def deadline_gauges(db: AsyncSession, _now: datetime) -> int:
    """The open requests per type and their earliest due date, and the earliest 72-hour
    deadline of a breach the authority was not told of (+Inf: nothing due), for Prometheus's
    alerts (deploy/monitoring/alerts.yml). Returns 0: nothing to log."""
    open_requests = await requests.open_by_type(db)
    for kind in RequestType:
        count, earliest = open_requests.get(kind, (0, None))
        DSR_OPEN.labels(kind).set(count)
        DSR_NEXT_DEADLINE.labels(kind).set(math.inf if earliest is None else earliest.timestamp())
    aware = await breaches.earliest_unnotified_awareness(db)
    BREACH_NEXT_DEADLINE.set(math.inf if aware is None else (aware + AUTHORITY_DELAY).timestamp())
    return 0


def scheduled(ctx: Context) -> list[Job]:
    """Every job of the worker, bound to its context."""

    async def retry_unanswered(db: AsyncSession, now: datetime) -> int:
        return await commands.retry_waiting(db, ctx, now)

    async def purge_archives(db: AsyncSession, now: datetime) -> int:
        return await archives.purge(db, ctx, now)

    async def purge_audit(db: AsyncSession, now: datetime) -> int:
        return await audit.purge(db, ctx.settings, now)

    async def purge_consent_proofs(db: AsyncSession, now: datetime) -> int:
        return await consents.purge_spent_proofs(db, ctx.settings, now)

    async def advance_closures(db: AsyncSession, now: datetime) -> int:
        return await closures.advance_all(db, ctx, now)

    async def purge_closure_archives(db: AsyncSession, now: datetime) -> int:
        return await closures.purge(db, ctx, now)

    return [
        Job(
            "retry unanswered commands",
            max(1.0, ctx.settings.retry_seconds / 2),
            retry_unanswered,
        ),
        Job("expired archives", 600, purge_archives),
        Job("tenant closures", max(1.0, ctx.settings.retry_seconds / 2), advance_closures),
        Job("expired client archives", 600, purge_closure_archives),
        Job("audit trail retention", 3600, purge_audit),
        Job("consent proof retention", 3600, purge_consent_proofs),
        Job("deadline gauges", 60, deadline_gauges),
        retention_purge(subject_data),
        # Dead unsubscribe links (Art. 5(1)(e)).
        live_retention(subject_data),
    ]
