"""The subsidies service's event worker: ``python -m subsidies.worker``."""

import asyncio

from kit.worker import retention_purge, run_worker
from subsidies.config import get_settings
from subsidies.handlers import participant
from subsidies.models import events, subject_data


def main() -> None:
    settings = get_settings()
    asyncio.run(
        run_worker(
            settings=settings,
            events=events,
            subscriptions=[participant.subscription()],
            jobs=[retention_purge(subject_data)],
        )
    )


if __name__ == "__main__":
    main()
