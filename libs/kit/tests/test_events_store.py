"""Outbox and inbox on SQLite: the event commits with the change; a duplicate has no effect."""

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from aio_pika.abc import AbstractExchange
from aiormq.exceptions import PublishError
from prometheus_client import REGISTRY
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import Database
from kit.events import Envelope, EventStore
from kit.events.broker import Broker
from kit.events.consumer import Consumer
from kit.events.relay import Relay
from kit.events.store import (
    OutboxRow,
    on_outbox_commit,
    register_local_relay,
    remove_local_relay,
    remove_outbox_callback,
)
from kit.worker import _gauges

metadata = MetaData()
store = EventStore(metadata, source="test")
effects = Table(
    "effects", metadata, Column("id", Integer, primary_key=True), Column("note", String)
)


@pytest.fixture(name="metadata")
def metadata_fixture() -> MetaData:
    """The tables of this file: kit's shared ``database`` fixture creates them."""
    return metadata


async def count(db: Database, table: Table) -> int:
    async with db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def test_event_is_written_with_the_business_change(database: Database) -> None:
    async with database.transaction() as session:
        await session.execute(insert(effects).values(note="change"))
        envelope = await store.add(session, "thing.happened", tenant="t1", subject="s1")
    async with database.transaction() as session:
        body = await session.scalar(select(store.outbox.c.body))
    assert Envelope.model_validate_json(body or "{}").id == envelope.id
    assert await count(database, effects) == 1


async def test_rolled_back_change_leaves_no_event(database: Database) -> None:
    with pytest.raises(RuntimeError):
        async with database.transaction() as session:
            await session.execute(insert(effects).values(note="change"))
            await store.add(session, "thing.happened")
            raise RuntimeError("the route failed")
    assert await count(database, store.outbox) == 0
    assert await count(database, effects) == 0


async def test_commit_with_events_wakes_the_relay(database: Database) -> None:
    woken: list[int] = []

    def wake() -> None:
        woken.append(1)

    on_outbox_commit(wake)
    try:
        async with database.transaction() as session:
            await session.execute(insert(effects).values(note="no event"))
        assert woken == []
        async with database.transaction() as session:
            await store.add(session, "thing.happened")
        assert woken == [1]
    finally:
        remove_outbox_callback(wake)


def consumer(database: Database, handler: object) -> Consumer:
    return Consumer(
        database=database,
        store=store,
        broker=Broker("amqp://unused"),
        queue="test.events",
        handlers={"thing.happened": handler},  # type: ignore[dict-item]
        service="guest",
    )


async def test_redelivered_event_has_one_effect(database: Database) -> None:
    async def handler(session: AsyncSession, envelope: Envelope) -> None:
        await session.execute(insert(effects).values(note=envelope.id))

    c = consumer(database, handler)
    envelope = store.envelope("thing.happened")
    assert await c.handle(envelope, handler) is True
    assert await c.handle(envelope, handler) is False
    assert await count(database, effects) == 1


async def test_failed_handler_leaves_no_inbox_row_so_it_can_retry(database: Database) -> None:
    calls = 0

    async def flaky(session: AsyncSession, envelope: Envelope) -> None:
        nonlocal calls
        calls += 1
        await session.execute(insert(effects).values(note="attempt"))
        if calls == 1:
            raise ConnectionError("downstream away")

    c = consumer(database, flaky)
    envelope = store.envelope("thing.happened")
    with pytest.raises(ConnectionError):
        await c.handle(envelope, flaky)
    assert await count(database, store.inbox) == 0
    assert await c.handle(envelope, flaky) is True
    assert await count(database, effects) == 1


async def test_database_outage_is_waited_out_without_losing_the_event(database: Database) -> None:
    calls = 0

    async def handler(session: AsyncSession, envelope: Envelope) -> None:
        nonlocal calls
        calls += 1
        if calls <= 2:
            raise OperationalError("SELECT 1", {}, ConnectionRefusedError("database restarting"))
        await session.execute(insert(effects).values(note=envelope.id))

    c = consumer(database, handler)
    c.infrastructure_delays = (0.01, 0.01, 0.01)
    await c._handle_patiently(store.envelope("thing.happened"), handler)
    assert calls == 3
    assert await count(database, effects) == 1


class _PgError(Exception):
    """What SQLAlchemy's asyncpg adapter raises: the server's SQLSTATE in ``sqlstate``."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


async def test_too_many_connections_is_waited_out_not_counted_against_the_event(
    database: Database,
) -> None:
    """SQLSTATE 53300 (every connection slot taken) came as a plain DBAPIError and was counted
    as the handler's failure: under load, events were dead-lettered. It is an outage."""
    calls = 0

    async def handler(session: AsyncSession, envelope: Envelope) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise DBAPIError("connect", {}, _PgError("53300"))
        if calls == 2:
            raise DBAPIError("UPDATE", {}, _PgError("40P01"))  # a deadlock: run it again
        await session.execute(insert(effects).values(note=envelope.id))

    c = consumer(database, handler)
    c.infrastructure_delays = (0.01, 0.01, 0.01)
    await c._handle_patiently(store.envelope("thing.happened"), handler)
    assert calls == 3
    assert await count(database, effects) == 1


async def test_a_failing_statement_is_the_handlers_failure(database: Database) -> None:
    async def handler(session: AsyncSession, envelope: Envelope) -> None:
        raise DBAPIError("INSERT", {}, _PgError("22001"))  # value too long: no retry helps

    c = consumer(database, handler)
    c.infrastructure_delays = (0.01, 0.01, 0.01)
    with pytest.raises(DBAPIError):
        await c._handle_patiently(store.envelope("thing.happened"), handler)


class NoBroker:
    channel = None

    async def connect(self) -> None:
        return None


async def test_the_metrics_job_says_how_long_the_oldest_event_has_waited(
    database: Database,
) -> None:
    refresh = _gauges("oldest-test", store, NoBroker(), [])  # type: ignore[arg-type]
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    labels = {"service": "oldest-test"}
    async with database.transaction() as session:
        await refresh(session, now)
    assert REGISTRY.get_sample_value("outbox_oldest_unsent_age_seconds", labels) == 0
    async with database.transaction() as session:
        await store.add(session, "thing.happened")
        await session.execute(store.outbox.update().values(created_at=now - timedelta(seconds=90)))
    async with database.transaction() as session:
        await refresh(session, now)
    assert REGISTRY.get_sample_value("outbox_oldest_unsent_age_seconds", labels) == 90
    assert REGISTRY.get_sample_value("outbox_backlog", labels) == 1


class HeldConfirms(Broker):
    """A broker whose confirms come when the test says: counts the messages in flight at once;
    ``unroutable`` ids come back as a message no queue takes."""

    def __init__(self, unroutable: set[str]) -> None:
        super().__init__("amqp://unused")
        self.unroutable = unroutable
        self.in_flight = self.most_in_flight = 0
        self.sent: list[str] = []
        self.release = asyncio.Event()
        self.connects = 0

    async def connect(self) -> AbstractExchange:
        self.connects += 1
        return cast(AbstractExchange, None)

    async def publish(
        self, body: bytes, *, routing_key: str, message_id: str, mandatory: bool = False
    ) -> None:
        self.sent.append(message_id)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        if self.in_flight == 5:
            self.release.set()
        with contextlib.suppress(TimeoutError):  # one at a time, they would wait here for ever
            await asyncio.wait_for(self.release.wait(), timeout=2)
        self.in_flight -= 1
        if message_id in self.unroutable:
            refused = PublishError.__new__(PublishError)  # what aiormq raises on a Return
            Exception.__init__(refused, "NO_ROUTE", routing_key)
            raise refused


async def test_relay_publishes_a_batch_together_and_puts_back_only_the_refused(
    database: Database,
) -> None:
    """The relay sends a batch without waiting for each confirm in turn (an erasure's messages
    from orders waited for 28 confirms one after the other); a command no queue takes goes
    back with a delay, the others are marked sent."""
    async with database.transaction() as session:
        ids = [
            (await store.add(session, "thing.happened", routing_key=f"cmd.{i}")).id
            for i in range(5)
        ]
    broker = HeldConfirms(unroutable={ids[2]})
    published = await Relay(database, store, broker).drain()
    assert broker.most_in_flight == 5  # all five awaited their confirm together
    assert broker.connects == 1  # one connection for the batch, not one each
    assert broker.sent == ids  # written in the order they were recorded
    assert published == 4
    async with database.transaction() as session:
        rows = {r.id: r for r in await session.execute(select(store.outbox))}
    assert [i for i in ids if rows[i].sent_at is None] == [ids[2]]
    assert rows[ids[2]].attempts == 1 and rows[ids[2]].claimed_until is not None


class Recording(Broker):
    """A broker that confirms at once and remembers what it was given."""

    def __init__(self) -> None:
        super().__init__("amqp://unused")
        self.sent: list[str] = []

    async def connect(self) -> AbstractExchange:
        return cast(AbstractExchange, None)

    async def publish(
        self, body: bytes, *, routing_key: str, message_id: str, mandatory: bool = False
    ) -> None:
        self.sent.append(message_id)


async def eventually(condition: object, seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.01)


async def test_an_event_committed_beside_a_running_relay_is_published_without_a_claim(
    database: Database,
) -> None:
    """The relay of the writing process gets the committed row handed over, already leased to
    it: it publishes at once, without a claiming transaction (one round trip less per hop)."""
    broker = Recording()
    relay = Relay(database, store, broker, poll_seconds=60)
    claims = 0
    claim = relay._claim

    async def counted() -> list[OutboxRow]:
        nonlocal claims
        claims += 1
        return await claim()

    relay._claim = counted  # type: ignore[method-assign]
    task = asyncio.create_task(relay.run())
    try:
        await eventually(lambda: claims == 1)  # the start-up look at the table
        async with database.transaction() as session:
            envelope = await store.add(session, "thing.happened")
            leased_to = await session.scalar(select(store.outbox.c.claimed_by))
        assert leased_to == relay.relay_id
        with pytest.raises(RuntimeError):
            async with database.transaction() as session:
                await store.add(session, "thing.rolled.back")
                raise RuntimeError("the route failed")
        await eventually(lambda: broker.sent == [envelope.id])
        await asyncio.sleep(0.05)
        assert claims == 1  # no claiming transaction for the handed row
        assert broker.sent == [envelope.id]  # the rolled-back one never left
        async with database.transaction() as session:
            row = (await session.execute(select(store.outbox))).one()
        assert row.sent_at is not None and row.body == ""
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_handed_row_is_left_to_its_relay_until_the_lease_ends(
    database: Database,
) -> None:
    """Another relay does not publish a row handed to a live one; if the process dies before
    publishing it, the row is published by any relay once the lease has ended."""
    local = Relay(database, store, Recording())
    engine = database.engine.sync_engine
    register_local_relay(engine, local)
    try:
        async with database.transaction() as session:
            envelope = await store.add(session, "thing.happened")
    finally:
        remove_local_relay(engine, local)
    assert [row.id for row in local._handed] == [envelope.id]
    other = Relay(database, store, Recording())
    assert await other.drain() == 0
    async with database.transaction() as session:  # the writing process died: lease runs out
        await session.execute(
            store.outbox.update().values(claimed_until=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert await other.drain() == 1
