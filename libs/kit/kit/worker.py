"""A service's event worker: its consumers, an outbox relay and its scheduled jobs.

    asyncio.run(run_worker(settings=..., events=..., subscriptions=[...], jobs=[...],
                           declarations=subject_data))

Every service's ``worker.py`` is a few lines calling this; ``make run`` starts one per service.
Given ``declarations``, the worker publishes them at start (``declarations.published``): the
privacy service builds the register of processing from what each service declares.
"""

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import uvloop
from prometheus_client import start_http_server
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import Database
from kit.events.broker import Broker
from kit.events.consumer import Consumer
from kit.events.relay import Relay
from kit.events.store import EventStore
from kit.events.subscription import Subscription
from kit.heap import freeze_startup_heap
from kit.logs import configure_logging
from kit.metrics import DEAD_LETTERS, OUTBOX_BACKLOG, OUTBOX_OLDEST, PURGED
from kit.privacy.declarations import DECLARATIONS_KEY, DECLARATIONS_PUBLISHED
from kit.privacy.subject import SubjectData
from kit.publications import platform_publications
from kit.security import BROKER_REFUSED, declare_security_events
from kit.settings import ServiceSettings
from kit.tracing import configure_tracing

log = logging.getLogger("kit.worker")

#: Re-exported: services import them from here or from their own modules.
__all__ = [
    "Job",
    "Subscription",
    "live_retention",
    "platform_publications",
    "retention_purge",
    "run_worker",
    "serve",
]


@dataclass
class Job:
    """Work run every ``every_seconds`` (the retention purge, retries...), first at start."""

    name: str
    every_seconds: float
    #: Runs in one transaction; returns how many things it did (logged when not zero).
    run: Callable[[AsyncSession, datetime], Awaitable[int]]


def retention_purge(data: SubjectData) -> Job:
    """The hourly purge of the restricted archive: records whose legal date has come go."""

    async def purge(session: AsyncSession, now: datetime) -> int:
        return await data.purge_due(session, now=now)

    return Job("retention purge", 3600, purge)


#: How often the rows past their lifetime are taken out: a day late at most.
LIVE_RETENTION_SECONDS = 3600


def live_retention(data: SubjectData) -> Job:
    """The hourly end of the rows past their table's lifetime while the account exists
    (``SubjectData.expire``, Art. 5(1)(e)): archived when the law still keeps them, else
    deleted."""

    async def expire(session: AsyncSession, now: datetime) -> int:
        return await data.expire(session, now=now)

    return Job("retention while the account exists", LIVE_RETENTION_SECONDS, expire)


async def _repeat(job: Job, database: Database, service: str = "service") -> None:
    while True:
        try:
            async with database.transaction() as session:
                count = await job.run(session, datetime.now(UTC))
            if count:
                log.info("job ran", extra={"job": job.name, "count": count})
                if "purge" in job.name or "retention" in job.name:
                    PURGED.labels(service, job.name).inc(count)
        except Exception as exc:  # a failed run is retried at the next tick
            log.warning("job failed", extra={"job": job.name, "error": type(exc).__name__})
        await asyncio.sleep(job.every_seconds)


def outbox_age(oldest: datetime | None, now: datetime) -> float:
    """Seconds the oldest unsent event has waited (0 when none waits)."""
    if oldest is None:
        return 0.0
    if oldest.tzinfo is None:  # SQLite keeps no offset; the outbox writes UTC
        oldest = oldest.replace(tzinfo=UTC)
    return max(0.0, (now - oldest).total_seconds())


def _gauges(
    service: str, events: EventStore, broker: Broker, consumers: Sequence[Consumer]
) -> Callable[[AsyncSession, datetime], Awaitable[int]]:
    """Refresh the outbox backlog and its oldest event's age, and the dead-letter depths
    (returns 0: nothing to log)."""

    async def refresh(session: AsyncSession, now: datetime) -> int:
        outbox = events.outbox
        unsent = outbox.c.sent_at.is_(None)
        backlog, oldest = (
            await session.execute(select(func.count(), func.min(outbox.c.created_at)).where(unsent))
        ).one()
        OUTBOX_BACKLOG.labels(service).set(int(backlog or 0))
        OUTBOX_OLDEST.labels(service).set(outbox_age(oldest, now))
        await broker.connect()  # idempotent; while RabbitMQ is away the job fails and retries
        if broker.channel is not None:
            for consumer in consumers:
                dead = f"{consumer.queue_name}.dead"
                try:
                    queue = await broker.channel.declare_queue(dead, passive=True)
                    DEAD_LETTERS.labels(service, dead).set(
                        queue.declaration_result.message_count or 0
                    )
                except Exception:  # not declared yet: nothing dead there
                    DEAD_LETTERS.labels(service, dead).set(0)
        return 0

    return refresh


async def publish_declarations(
    session: AsyncSession, events: EventStore, data: SubjectData
) -> None:
    """Write the service's declarations (``SubjectData.inventory()``) to the outbox, in the
    caller's transaction, for the privacy service: the register of processing's source."""
    await events.add(
        session,
        DECLARATIONS_PUBLISHED,
        payload={"service": data.service, "inventory": data.inventory()},
        routing_key=DECLARATIONS_KEY,
    )


async def _announce(
    database: Database, events: EventStore, data: SubjectData, retry_seconds: float = 5.0
) -> None:
    """Publish the declarations once, at start; retried while the database is away."""
    while True:
        try:
            async with database.transaction() as session:
                await publish_declarations(session, events, data)
            log.info("declarations published", extra={"service": data.service})
            return
        except Exception as exc:  # the database is not there yet: try again shortly
            log.warning("declarations not published", extra={"error": type(exc).__name__})
            await asyncio.sleep(retry_seconds)


async def run_worker(
    *,
    settings: ServiceSettings,
    events: EventStore,
    subscriptions: Sequence[Subscription] = (),
    jobs: Sequence[Job] = (),
    declarations: SubjectData | None = None,
    security_events: Sequence[str] = (),
) -> None:
    """Run until SIGTERM or SIGINT, then stop cleanly (unacknowledged messages come back).

    ``security_events``: the kinds its handlers and jobs may count (``kit.security``), made at
    0 with the consumers' ``broker.refused``."""
    configure_logging(f"{settings.service_name}-worker", settings.log_level)
    configure_tracing(f"{settings.service_name}-worker")
    declare_security_events(settings.service_name, [BROKER_REFUSED, *security_events])
    database = Database(
        settings.database_url,
        pool_size=max(1, settings.db_pool_size // 2),
        max_overflow=max(1, settings.db_max_overflow // 2),
    )
    broker = Broker(settings.amqp_url, settings.events_exchange)
    relay = Relay(database, events, broker, poll_seconds=settings.relay_poll_seconds)
    # Stacks sharing one broker (a local run beside the tests) each use their own exchange;
    # their queues are named after it, so that no queue collects another stack's events.
    prefix = "" if settings.events_exchange == "events" else f"{settings.events_exchange}."
    consumers = [
        Consumer(
            database=database,
            store=events,
            broker=broker,
            queue=prefix + sub.queue,
            handlers=sub.handlers,
            service=settings.service_name,
            senders=sub.senders,
            bindings=sub.bindings,
        )
        for sub in subscriptions
    ]
    tasks = [asyncio.create_task(relay.run(), name="relay")]
    tasks += [asyncio.create_task(c.run(), name=f"consumer:{c.queue_name}") for c in consumers]
    tasks += [
        asyncio.create_task(_repeat(job, database, settings.service_name), name=f"job:{job.name}")
        for job in jobs
    ]
    if settings.worker_metrics_port:
        start_http_server(settings.worker_metrics_port, addr=settings.worker_metrics_host)
        gauges = Job("metrics", 5, _gauges(settings.service_name, events, broker, consumers))
        tasks.append(asyncio.create_task(_repeat(gauges, database), name="job:metrics"))
    if declarations is not None:
        tasks.append(
            asyncio.create_task(_announce(database, events, declarations), name="declarations")
        )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    freeze_startup_heap()
    log.info("worker started", extra={"queues": [c.queue_name for c in consumers]})
    try:
        await stop.wait()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await broker.close()
        await database.dispose()


def serve(
    settings: ServiceSettings,
    *,
    events: EventStore,
    declarations: SubjectData,
    subscriptions: Sequence[Subscription],
    jobs: Sequence[Job],
    security_events: Sequence[str] = (),
) -> None:
    """A worker module's ``main()``: run the worker until SIGTERM or SIGINT, on uvloop's event
    loop as the APIs under uvicorn: the consumers' reads, writes and wake-ups cost less CPU
    than asyncio's own loop, whose ``select`` was about a fifth of a worker's samples under
    make load (docs/performance.md)."""
    uvloop.run(
        run_worker(
            settings=settings,
            events=events,
            declarations=declarations,
            subscriptions=subscriptions,
            jobs=jobs,
            security_events=security_events,
        )
    )
