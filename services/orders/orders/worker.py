"""The orders service's event worker: ``python -m orders.worker``."""

import asyncio

from kit.worker import Subscription, retention_purge, run_worker
from orders.config import get_settings
from orders.handlers import participant
from orders.models import events, subject_data


def main() -> None:
    asyncio.run(
        run_worker(
            settings=get_settings(),
            events=events,
            subscriptions=[
                Subscription("orders.dsr", participant.handlers(), [participant.binding])
            ],
            jobs=[retention_purge(subject_data)],
        )
    )


if __name__ == "__main__":
    main()
