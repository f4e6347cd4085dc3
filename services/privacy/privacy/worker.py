"""The privacy service's event worker: ``python -m privacy.worker``."""

import asyncio
from datetime import datetime

from kit.db import Database
from kit.worker import Job, run_worker
from privacy import service
from privacy.config import get_settings
from privacy.handlers import context, subscription
from privacy.models import events, subject_data


async def retry_unanswered(database: Database, now: datetime) -> int:
    async with database.transaction() as db:
        return await service.retry_waiting(db, context(), now)


async def purge_archives(database: Database, now: datetime) -> int:
    async with database.transaction() as db:
        return await service.purge_archives(db, context(), now)


async def retention_purge(database: Database, now: datetime) -> int:
    async with database.transaction() as db:
        return await subject_data.purge_due(db, now=now)


def main() -> None:
    settings = get_settings()
    asyncio.run(
        run_worker(
            settings=settings,
            events=events,
            subscriptions=[subscription],
            jobs=[
                Job(
                    "retry unanswered commands",
                    max(1.0, settings.retry_seconds / 2),
                    retry_unanswered,
                ),
                Job("expired archives", 600, purge_archives),
                Job("retention purge", 3600, retention_purge),
            ],
        )
    )


if __name__ == "__main__":
    main()
