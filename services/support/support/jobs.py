"""Every scheduled job of the support service (the worker runs them, ``support.worker``).

- the restricted archive's purge (kit's, hourly);
- tickets left ``resolved`` ``resolved_ticket_close_days`` are closed, and closed tickets go
  ``closed_ticket_retention_days`` after closing, with their messages;
- partner contacts go ``partner_contact_retention_years`` after the last contact.

Each runs every ``support_purge_seconds`` with an injectable clock (``now``): on the day, not a
day before.
"""

import calendar
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from kit.worker import Job, retention_purge
from support.config import Settings
from support.models import subject_data
from support.partners import repository as partners
from support.tickets import repository as tickets


def years_before(moment: datetime, years: int) -> datetime:
    """The latest start whose ``years``-th anniversary is at or before ``moment``, counted as
    ``kit.privacy.declarations.Retention`` does (29 February + 1 year is 28 February)."""
    year = moment.year - years
    if (moment.month, moment.day) == (2, 29) and not calendar.isleap(year):
        # Every moment of that 28 February had its anniversary yesterday.
        midnight = moment.replace(year=year, month=3, day=1, hour=0, minute=0, second=0)
        return midnight.replace(microsecond=0) - timedelta(microseconds=1)
    start = moment.replace(year=year)
    if (
        (moment.month, moment.day) == (2, 28)
        and not calendar.isleap(moment.year)
        and calendar.isleap(year)
    ):
        start = start.replace(day=29)  # 29 February's anniversary is this 28 February
    return start


async def purge_tickets(
    db: AsyncSession, *, now: datetime, retention_days: int, close_after_days: int
) -> int:
    """Close the tickets left resolved too long, then delete those closed ``retention_days``
    ago or more (on the day, not a day before), with their messages."""
    closed = await tickets.close_idle_resolved(
        db, idle_since=now - timedelta(days=close_after_days), now=now
    )
    deleted = await tickets.delete_closed_tickets(
        db, closed_before=now - timedelta(days=retention_days)
    )
    return closed + deleted


async def purge_partner_contacts(db: AsyncSession, *, now: datetime, years: int) -> int:
    """Delete the partner requests whose last contact is ``years`` old (prospects rule)."""
    return await partners.delete_partner_requests(db, last_contact_before=years_before(now, years))


def scheduled(settings: Settings) -> list[Job]:
    """The worker's jobs, their periods and settings."""

    async def closed_tickets(session: AsyncSession, now: datetime) -> int:
        return await purge_tickets(
            session,
            now=now,
            retention_days=settings.closed_ticket_retention_days,
            close_after_days=settings.resolved_ticket_close_days,
        )

    async def partner_contacts(session: AsyncSession, now: datetime) -> int:
        return await purge_partner_contacts(
            session, now=now, years=settings.partner_contact_retention_years
        )

    return [
        retention_purge(subject_data),
        Job("closed tickets purge", settings.support_purge_seconds, closed_tickets),
        Job("partner contacts purge", settings.support_purge_seconds, partner_contacts),
    ]
