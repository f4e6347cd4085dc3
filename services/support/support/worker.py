"""The support service's event worker: ``python -m support.worker``."""

import asyncio
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kit.worker import Job, Subscription, platform_publications, retention_purge, run_worker
from support import service
from support.config import Settings, get_settings
from support.handlers import participant
from support.models import events, subject_data


def retention_jobs(settings: Settings) -> list[Job]:
    """Closed tickets go ``CLOSED_TICKET_RETENTION_DAYS`` after closing (tickets left resolved
    are closed first); partner contacts ``PARTNER_CONTACT_RETENTION_YEARS`` after the last
    contact."""

    async def tickets(session: AsyncSession, now: datetime) -> int:
        return await service.purge_tickets(
            session,
            now=now,
            retention_days=settings.closed_ticket_retention_days,
            close_after_days=settings.resolved_ticket_close_days,
        )

    async def partners(session: AsyncSession, now: datetime) -> int:
        return await service.purge_partner_contacts(
            session, now=now, years=settings.partner_contact_retention_years
        )

    return [
        Job("closed tickets purge", settings.support_purge_seconds, tickets),
        Job("partner contacts purge", settings.support_purge_seconds, partners),
    ]


def publishes(settings: Settings) -> list[str]:
    """The routing keys this service publishes (topic patterns): the broker account of the
    service may publish these and nothing else (devstack.rabbitmq)."""
    return [*platform_publications(settings.service_name)]


def subscriptions(settings: Settings) -> list[Subscription]:
    """The worker's queues (also the source of the broker's definitions, devstack.rabbitmq)."""
    return [participant.subscription(settings)]


def main() -> None:
    settings = get_settings()
    asyncio.run(
        run_worker(
            settings=settings,
            events=events,
            declarations=subject_data,
            subscriptions=subscriptions(settings),
            jobs=[retention_purge(subject_data), *retention_jobs(settings)],
        )
    )


if __name__ == "__main__":
    main()
