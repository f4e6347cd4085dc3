"""``python -m identity.inactivity run-once``: the inactivity job now, with the service's
settings, then the outbox published at once (rather than at the worker's next poll)."""

import argparse
import asyncio
from datetime import UTC, datetime

from identity.base import events, subject_data
from identity.config import Settings, get_settings
from identity.inactivity.service import Outcome, check
from kit.db import Database
from kit.events.broker import Broker
from kit.events.relay import Relay


async def run_once(settings: Settings) -> tuple[Outcome, bool]:
    """One run now, then the outbox published at once. Returns the outcome and whether
    RabbitMQ took the events (if not, the worker will)."""
    database = Database(settings.database_url, pool_size=1, max_overflow=1)
    try:
        async with database.transaction() as db:
            outcome = await check(db, settings, now=datetime.now(UTC))
        broker = Broker(settings.amqp_url, settings.events_exchange)
        try:
            await Relay(database, events, broker).drain()
            published = True
        except Exception:  # RabbitMQ away: the rows wait in the outbox for the worker's relay
            published = False
        finally:
            await broker.close()
        return outcome, published
    finally:
        await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m identity.inactivity")
    parser.add_argument("action", choices=["run-once"], help="warn and erase what is due, now")
    parser.parse_args()
    settings = get_settings()
    subject_data.bind(settings)
    outcome, published = asyncio.run(run_once(settings))
    print(
        f"{outcome.warned} account(s) warned, {outcome.erasing} erasure(s) asked of the privacy "
        f"service, {outcome.kept} past their date kept (last tenant admin, platform admin)"
    )
    if not published:
        print("RabbitMQ did not answer: the identity worker's relay will publish the events")


if __name__ == "__main__":
    main()
