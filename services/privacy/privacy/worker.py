"""The privacy service's event worker: ``python -m privacy.worker``."""

import asyncio
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kit.privacy.protocol import account_mail_key, command_key
from kit.worker import Job, Subscription, platform_publications, retention_purge, run_worker
from privacy import service
from privacy.config import Settings, get_settings
from privacy.handlers import context, subscription
from privacy.models import events, subject_data


async def retry_unanswered(db: AsyncSession, now: datetime) -> int:
    return await service.retry_waiting(db, context(), now)


async def purge_archives(db: AsyncSession, now: datetime) -> int:
    return await service.purge_archives(db, context(), now)


async def purge_audit(db: AsyncSession, now: datetime) -> int:
    return await service.purge_audit(db, context(), now)


def publishes(settings: Settings) -> list[str]:
    """The routing keys this service publishes (topic patterns): the broker account of the
    service may publish these and nothing else (devstack.rabbitmq)."""
    return [*platform_publications(settings.service_name), command_key("*"), account_mail_key("*")]


def subscriptions(settings: Settings) -> list[Subscription]:
    """The worker's queues (also the source of the broker's definitions, devstack.rabbitmq)."""
    return [subscription]


def main() -> None:
    settings = get_settings()
    asyncio.run(
        run_worker(
            settings=settings,
            events=events,
            declarations=subject_data,
            subscriptions=subscriptions(settings),
            jobs=[
                Job(
                    "retry unanswered commands",
                    max(1.0, settings.retry_seconds / 2),
                    retry_unanswered,
                ),
                Job("expired archives", 600, purge_archives),
                Job("audit trail retention", 3600, purge_audit),
                retention_purge(subject_data),
            ],
        )
    )


if __name__ == "__main__":
    main()
