"""The orders service's event worker: ``python -m orders.worker``."""

import asyncio

from kit.mail import mail_subscription
from kit.worker import Subscription, retention_purge, run_worker
from orders.config import Settings, get_settings
from orders.handlers import participant, partner_subscription
from orders.models import events, subject_data
from orders.partners import SandboxPartners


def subscriptions(settings: Settings) -> list[Subscription]:
    """The worker's queues (also the source of the broker's definitions, devstack.rabbitmq)."""
    # The sandbox until a real partner's adapter is configured (same port, same messages).
    partners = SandboxPartners(settings.partners_dir or settings.var_dir / "partners")
    return [
        participant.subscription(),
        mail_subscription(settings),
        partner_subscription(partners),
    ]


def main() -> None:
    settings = get_settings()
    asyncio.run(
        run_worker(
            settings=settings,
            events=events,
            declarations=subject_data,
            subscriptions=subscriptions(settings),
            jobs=[retention_purge(subject_data)],
        )
    )


if __name__ == "__main__":
    main()
