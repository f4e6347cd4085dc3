"""The subsidies service's event worker: ``python -m subsidies.worker``."""

import asyncio

from kit.worker import Job, Subscription, platform_publications, retention_purge, run_worker
from subsidies import service
from subsidies.config import Settings, get_settings
from subsidies.handlers import orders_subscription, participant
from subsidies.models import events, subject_data


def publishes(settings: Settings) -> list[str]:
    """The routing keys this service publishes (topic patterns): the broker account of the
    service may publish these and nothing else (devstack.rabbitmq)."""
    return [*platform_publications(settings.service_name)]


def subscriptions(settings: Settings) -> list[Subscription]:
    """The worker's queues (also the source of the broker's definitions, devstack.rabbitmq)."""
    return [participant.subscription(settings), orders_subscription()]


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
                Job("expired subsidy holds", 60, service.release_expired_holds),
                Job("mandate lapse", 24 * 3600, service.lapse_job(settings)),
                Job("field key rotation", 60, service.rotate_batch),
            ],
        )
    )


if __name__ == "__main__":
    main()
