"""Outbox relay and consumers on the real PostgreSQL and RabbitMQ."""

import asyncio
import subprocess
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aio_pika
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import Database
from kit.events import Envelope, EventStore
from kit.events.broker import Broker, account_of
from kit.events.consumer import Consumer, Handler
from kit.events.relay import Relay
from tests.conftest import AMQP_URL, CreateDatabase

pytestmark = pytest.mark.integration

metadata = MetaData()
#: The tests publish with the broker account of TEST_AMQP_URL: their events come from the
#: service of that name, as the consumers check (kit.events.consumer).
SERVICE = account_of(AMQP_URL)
store = EventStore(metadata, source=SERVICE)
effects = Table(
    "effects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(36)),
)


@dataclass
class World:
    database: Database
    exchange: str
    queue: str

    def broker(self) -> Broker:
        return Broker(AMQP_URL, self.exchange)


@pytest.fixture
async def world(fresh_database: CreateDatabase) -> AsyncIterator[World]:
    url = await fresh_database("kit_it")
    database = Database(url)
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    name = f"it.{uuid.uuid4().hex[:8]}"
    yield World(database, exchange=f"{name}.events", queue=f"{name}.q")
    await database.dispose()
    connection = await aio_pika.connect_robust(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        for queue in (f"{name}.q", f"{name}.q.dead", f"{name}.tap"):
            await channel.queue_delete(queue)
        await channel.exchange_delete(f"{name}.events")


async def write_events(database: Database, count: int) -> list[str]:
    ids = []
    async with database.transaction() as session:
        for _ in range(count):
            ids.append((await store.add(session, "thing.happened", tenant="t")).id)
    return ids


async def tap(
    world: World,
) -> tuple[aio_pika.abc.AbstractRobustConnection, aio_pika.abc.AbstractQueue]:
    """A durable queue bound to every event of the test exchange, to see what was published."""
    connection = await aio_pika.connect_robust(AMQP_URL)
    channel = await connection.channel()
    exchange = await channel.declare_exchange(
        world.exchange, aio_pika.ExchangeType.TOPIC, durable=True
    )
    queue = await channel.declare_queue(f"{world.queue.removesuffix('.q')}.tap", durable=True)
    await queue.bind(exchange, routing_key="#")
    return connection, queue


async def drain_ids(
    world: World, queue: aio_pika.abc.AbstractQueue, expected: int, timeout: float = 30
) -> list[str]:
    """The ids of the events the tap received: ``expected`` of them, then whatever came before
    a marker event published once they are in and the outbox holds none unsent. A duplicate
    a relay published is in the queue before that marker, so it is counted."""
    ids: list[str] = []
    deadline = asyncio.get_running_loop().time() + timeout
    while len(ids) < expected and asyncio.get_running_loop().time() < deadline:
        message = await queue.get(fail=False, no_ack=True)
        if message is None:
            await asyncio.sleep(0.05)
            continue
        ids.append(Envelope.model_validate_json(message.body).id)
    # Every event marked sent: no relay publishes any of them again after this point.
    while await pending(world.database) and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
    marker = store.envelope("marker.published")
    broker = world.broker()
    try:
        await publish(broker, marker)
    finally:
        await broker.close()
    while asyncio.get_running_loop().time() < deadline + 30:
        message = await queue.get(fail=False, no_ack=True)
        if message is None:
            await asyncio.sleep(0.05)
            continue
        received = Envelope.model_validate_json(message.body).id
        if received == marker.id:
            return ids
        ids.append(received)
    raise AssertionError("the marker event never came")


async def wait_settled(queue: str, timeout: float = 60) -> None:
    """Until RabbitMQ holds no message of ``queue``, neither ready nor delivered and waiting
    for its acknowledgement: every delivery has been handled (effect committed, or refused)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        listing = await asyncio.to_thread(
            subprocess.run,
            ["rabbitmqctl", "list_queues", "-q", "--no-table-headers", "name", "messages"],
            check=True,
            capture_output=True,
            text=True,
        )
        counts = dict(
            line.split() for line in listing.stdout.splitlines() if len(line.split()) == 2
        )
        if counts.get(queue) == "0":
            return
        assert asyncio.get_running_loop().time() < deadline, f"{queue}: {counts.get(queue)} left"
        await asyncio.sleep(0.2)


def rabbitmqctl(command: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", command], check=True, timeout=120)


async def wait_for_broker(timeout: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            connection = await aio_pika.connect(AMQP_URL, timeout=2)
            await connection.close()
            return
        except Exception:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)


async def test_relay_delivers_what_was_written_while_rabbitmq_was_stopped(world: World) -> None:
    connection, queue = await tap(world)
    await connection.close()
    broker = world.broker()
    relay = Relay(world.database, store, broker, poll_seconds=0.5, max_backoff=1.0)
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.to_thread(rabbitmqctl, "stop_app")
        try:
            ids = await write_events(world.database, 20)
            await asyncio.sleep(2)  # the relay tries and fails meanwhile
            async with world.database.transaction() as session:
                unsent = await session.scalar(
                    select(func.count())
                    .select_from(store.outbox)
                    .where(store.outbox.c.sent_at.is_(None))
                )
            assert unsent == 20
        finally:
            await asyncio.to_thread(rabbitmqctl, "start_app")
        await wait_for_broker()
        connection, queue = await tap(world)
        received = await drain_ids(world, queue, 20, timeout=60)
        await connection.close()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await broker.close()
    assert sorted(received) == sorted(ids)


async def test_two_relays_publish_each_event_once(world: World) -> None:
    connection, queue = await tap(world)
    ids = await write_events(world.database, 300)
    second_database = Database(str(world.database.engine.url.render_as_string(hide_password=False)))
    relays = [
        Relay(world.database, store, world.broker(), batch_size=10),
        Relay(second_database, store, world.broker(), batch_size=10),
    ]
    counts = await asyncio.gather(*(relay.drain() for relay in relays))
    received = await drain_ids(world, queue, 300)
    await connection.close()
    for relay in relays:
        await relay.broker.close()
    await second_database.dispose()
    assert sum(counts) == 300
    assert all(count > 0 for count in counts), counts  # both really worked in parallel
    assert len(received) == 300
    assert sorted(received) == sorted(ids)


async def count_effects(database: Database) -> int:
    async with database.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(effects)) or 0)


async def record_effect(session: AsyncSession, envelope: Envelope) -> None:
    await session.execute(insert(effects).values(event_id=envelope.id))


async def start_consumer(world: World, handler: Handler, senders: set[str] | None = None) -> Broker:
    """A consumer of ``thing.happened`` on the test queue; returns its broker to publish with."""
    broker = world.broker()
    consumer = Consumer(
        database=world.database,
        store=store,
        broker=broker,
        queue=world.queue,
        handlers={"thing.happened": handler},
        service=SERVICE,
        senders=senders,
        delivery_limit=3,
    )
    await consumer.start()
    return broker


async def publish(broker: Broker, envelope: Envelope) -> None:
    body = envelope.model_dump_json().encode()
    await broker.publish(body, routing_key=envelope.type, message_id=envelope.id)


async def first_dead_letter(broker: Broker, world: World) -> bytes | None:
    assert broker.connection is not None
    channel = await broker.connection.channel()
    dead = await channel.declare_queue(f"{world.queue}.dead", passive=True)
    for _ in range(200):
        message = await dead.get(fail=False, no_ack=True)
        if message is not None:
            return message.body
        await asyncio.sleep(0.05)
    return None


async def test_redelivered_event_has_one_effect(world: World) -> None:
    broker = await start_consumer(world, record_effect)
    envelope = store.envelope("thing.happened")
    for _ in range(3):  # the same event delivered three times
        await publish(broker, envelope)
    await publish(broker, store.envelope("thing.happened"))
    await wait_settled(world.queue)  # all four deliveries handled
    await broker.close()
    assert await count_effects(world.database) == 2


async def test_message_that_always_fails_ends_in_the_dead_letter_queue(world: World) -> None:
    attempts = 0

    async def broken(session: AsyncSession, envelope: Envelope) -> None:
        nonlocal attempts
        attempts += 1
        await record_effect(session, envelope)
        raise ValueError("this handler never succeeds")

    broker = await start_consumer(world, broken)
    envelope = store.envelope("thing.happened")
    await publish(broker, envelope)
    body = await first_dead_letter(broker, world)
    await broker.close()
    assert body is not None
    assert Envelope.model_validate_json(body).id == envelope.id
    assert attempts == 4  # first delivery and three redeliveries
    assert await count_effects(world.database) == 0  # every failed attempt rolled back


async def test_garbage_message_goes_straight_to_the_dead_letter_queue(world: World) -> None:
    broker = await start_consumer(world, record_effect)
    await broker.publish(b"{not json", routing_key="thing.happened", message_id="x")
    body = await first_dead_letter(broker, world)
    await broker.close()
    assert body == b"{not json"
    assert await count_effects(world.database) == 0


async def test_a_message_not_from_its_claimed_source_or_allowed_sender_has_no_effect(
    world: World,
) -> None:
    """The publisher is the broker account RabbitMQ validated: an envelope naming another
    source, one with no account on it, and one from a service the queue does not take are
    dead-lettered with no effect; a message naming another account is refused by RabbitMQ."""
    broker = await start_consumer(world, record_effect, senders={SERVICE})
    other = EventStore(MetaData(), source="privacy")
    await publish(broker, other.envelope("thing.happened"))  # claims to be privacy
    assert await first_dead_letter(broker, world) is not None
    exchange = await broker.connect()
    unsigned = store.envelope("thing.happened")
    await exchange.publish(  # no user_id: not checked by the broker, so not trusted
        aio_pika.Message(unsigned.model_dump_json().encode(), message_id=unsigned.id),
        routing_key="thing.happened",
    )
    assert await first_dead_letter(broker, world) is not None
    spoofing = await broker.connection.channel()  # type: ignore[union-attr]
    spoofed = await spoofing.get_exchange(world.exchange)
    with pytest.raises(aio_pika.exceptions.ChannelPreconditionFailed):
        await spoofed.publish(
            aio_pika.Message(b"{}", user_id="privacy"), routing_key="thing.happened"
        )
    await broker.close()
    strict = await start_consumer(world, record_effect, senders={"privacy"})
    await publish(strict, store.envelope("thing.happened"))  # a sender this queue refuses
    assert await first_dead_letter(strict, world) is not None
    await wait_settled(world.queue)
    await strict.close()
    assert await count_effects(world.database) == 0


async def test_relay_reconnects_after_rabbitmq_restarts_under_it(world: World) -> None:
    connection, queue = await tap(world)
    await connection.close()
    broker = world.broker()
    relay = Relay(world.database, store, broker, poll_seconds=0.5, max_backoff=1.0)
    task = asyncio.create_task(relay.run())
    try:
        first = await write_events(world.database, 1)
        for _ in range(100):  # the relay is connected and has published once
            if broker.connected and not await pending(world.database):
                break
            await asyncio.sleep(0.05)
        await asyncio.to_thread(rabbitmqctl, "stop_app")
        try:
            later = await write_events(world.database, 10)
            await asyncio.sleep(1.5)
        finally:
            await asyncio.to_thread(rabbitmqctl, "start_app")
        await wait_for_broker()
        connection, queue = await tap(world)
        received = await drain_ids(world, queue, 11, timeout=60)
        await connection.close()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await broker.close()
    assert sorted(received) == sorted(first + later)


async def pending(database: Database) -> int:
    async with database.transaction() as session:
        query = (
            select(func.count()).select_from(store.outbox).where(store.outbox.c.sent_at.is_(None))
        )
        return int(await session.scalar(query) or 0)


async def test_command_waits_in_the_outbox_until_its_queue_exists(world: World) -> None:
    """A command (own routing key) that no queue takes is kept and retried, not dropped."""
    async with world.database.transaction() as session:
        command = await store.add(session, "thing.requested", routing_key=f"{world.queue}.command")
    broker = world.broker()
    relay = Relay(world.database, store, broker)
    assert await relay.drain() == 0
    assert await pending(world.database) == 1  # returned by RabbitMQ, still in the outbox
    assert broker.exchange is not None and broker.channel is not None
    queue = await broker.channel.declare_queue(
        f"{world.queue.removesuffix('.q')}.tap", durable=True
    )
    await queue.bind(broker.exchange, routing_key=f"{world.queue}.command")
    async with world.database.transaction() as session:  # the retry delay, fast-forwarded
        await session.execute(store.outbox.update().values(claimed_until=None))
    assert await relay.drain() == 1
    message = await queue.get(fail=False, no_ack=True)
    await broker.close()
    assert message is not None
    assert Envelope.model_validate_json(message.body).id == command.id


async def test_two_instances_of_a_worker_handle_every_event_once(world: World) -> None:
    """Scale-out (X2): two copies of a worker, each with its relay and its consumer on the same
    queue, over one database: 300 events, each handled exactly once, by both instances."""
    second_database = Database(str(world.database.engine.url.render_as_string(hide_password=False)))
    seen: dict[str, list[str]] = {"a": [], "b": []}

    def handler(name: str) -> Handler:
        async def handle(session: AsyncSession, envelope: Envelope) -> None:
            await session.execute(insert(effects).values(event_id=envelope.id))
            seen[name].append(envelope.id)
            await asyncio.sleep(0.002)  # some work, so both instances get their share

        return handle

    brokers, consumers = [], []
    for name, database in (("a", world.database), ("b", second_database)):
        broker = world.broker()
        consumer = Consumer(
            database=database,
            store=store,
            broker=broker,
            queue=world.queue,
            handlers={"thing.happened": handler(name)},
            service=SERVICE,
            delivery_limit=3,
        )
        await consumer.start()
        brokers.append(broker)
        consumers.append(consumer)
    ids = await write_events(world.database, 300)
    relays = [
        Relay(world.database, store, brokers[0], batch_size=10),
        Relay(second_database, store, brokers[1], batch_size=10),
    ]
    published = await asyncio.gather(*(relay.drain() for relay in relays))
    await wait_settled(world.queue)  # every delivery handled: a second effect would be in
    for broker in brokers:
        await broker.close()
    await second_database.dispose()
    assert sum(published) == 300 and all(published), published
    assert await count_effects(world.database) == 300
    handled = seen["a"] + seen["b"]
    assert sorted(handled) == sorted(ids)  # each once
    assert seen["a"] and seen["b"], {k: len(v) for k, v in seen.items()}  # both competed


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[aio_pika.RobustConnection]:
    """Every connection the broker starts to open, in order."""
    made: list[aio_pika.RobustConnection] = []
    connect = aio_pika.RobustConnection.connect

    async def counting(self: aio_pika.RobustConnection, timeout: Any = None) -> None:
        made.append(self)
        await connect(self, timeout)

    monkeypatch.setattr(aio_pika.RobustConnection, "connect", counting)
    return made


async def test_callers_connecting_at_once_share_one_connection(
    world: World, opened: list[aio_pika.RobustConnection]
) -> None:
    """A worker's relay and consumers connect together as it starts: one connection is opened,
    none is left open and unreferenced (it used to be one per caller, all but the last lost)."""
    broker = world.broker()
    try:
        exchanges = await asyncio.gather(*(broker.connect() for _ in range(5)))
        assert len(opened) == 1
        assert all(exchange is exchanges[0] for exchange in exchanges)
    finally:
        await broker.close()
    assert all(connection.is_closed for connection in opened)


async def test_a_connection_interrupted_while_connecting_is_closed(
    opened: list[aio_pika.RobustConnection],
) -> None:
    """An app stopping while its relay connects (the task cancelled): the half-made connection
    is closed at once, not left to reconnect until the garbage collector finds it."""

    async def silent(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)  # accepts, never speaks AMQP: the client waits
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        broker = Broker(f"amqp://guest:guest@127.0.0.1:{port}/", "events")
        task = asyncio.create_task(broker.connect())
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert len(opened) == 1 and opened[0].is_closed
        assert broker.connection is None
    finally:
        server.close()
