"""The identity service's event worker: ``python -m identity.worker``."""

import asyncio
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from identity import inactivity, repository, service
from identity.config import Settings, get_settings
from identity.handlers import account_mail_subscription, participant
from identity.models import CONNECTION_LOG, events, subject_data
from kit.mail import mail_subscription
from kit.privacy.protocol import ACCOUNT_INACTIVE_KEY, ACCOUNT_REMOVED_KEY
from kit.worker import Job, Subscription, platform_publications, retention_purge, run_worker


async def housekeeping(db: AsyncSession, now: datetime) -> int:
    """Ended sessions and stale login counters are deleted (hourly)."""
    return sum(await service.purge_expired(db, now=now))


async def connection_log_purge(db: AsyncSession, now: datetime) -> int:
    """The connection log of live accounts is kept one year, then deleted (ID5)."""
    return await repository.delete_old_login_events(
        db, before=now - (CONNECTION_LOG.until(now) - now)
    )


def publishes(settings: Settings) -> list[str]:
    """The routing keys this service publishes (topic patterns): the broker account of the
    service may publish these and nothing else (devstack.rabbitmq)."""
    return [
        *platform_publications(settings.service_name),
        "user.*",
        "users.*",
        ACCOUNT_INACTIVE_KEY,
        ACCOUNT_REMOVED_KEY,
    ]


def subscriptions(settings: Settings) -> list[Subscription]:
    """The worker's queues (also the source of the broker's definitions, devstack.rabbitmq)."""
    return [
        participant.subscription(settings),
        mail_subscription(settings),
        account_mail_subscription(),
    ]


def main() -> None:
    settings = get_settings()
    asyncio.run(
        run_worker(
            settings=settings,
            events=events,
            declarations=subject_data,
            subscriptions=subscriptions(settings),
            jobs=[
                retention_purge(subject_data),
                Job("housekeeping", 3600, housekeeping),
                Job("connection log purge", 3600, connection_log_purge),
                inactivity.job(settings),
            ],
        )
    )


if __name__ == "__main__":
    main()
