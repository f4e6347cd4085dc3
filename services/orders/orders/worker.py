"""The orders service's event worker: ``python -m orders.worker``."""

import asyncio

from kit.mail import mail_subscription
from kit.worker import retention_purge, run_worker
from orders.config import get_settings
from orders.handlers import participant
from orders.models import events, subject_data


def main() -> None:
    settings = get_settings()
    asyncio.run(
        run_worker(
            settings=settings,
            events=events,
            subscriptions=[participant.subscription(), mail_subscription(settings)],
            jobs=[retention_purge(subject_data)],
        )
    )


if __name__ == "__main__":
    main()
