"""The broker definitions compose loads at boot, imported into the machine's real RabbitMQ
(in a scratch virtual host, with scratch accounts): each service's account logs in with its
hashed password and can declare its own queues as its worker does (a different argument would
close the channel), and an event published before any worker ran waits in its queue."""

import secrets
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import aio_pika
import pytest
from sqlalchemy import MetaData

from devstack.rabbitmq import (
    deprovision,
    import_definitions,
    init_script,
    provision,
    topology,
    worker_queues,
)
from devstack.stack import SERVICES
from kit.db import Database
from kit.events import EventStore
from kit.events.broker import Broker
from kit.events.consumer import Consumer
from tests.conftest import AMQP_URL

pytestmark = pytest.mark.integration


def rabbitmqctl(*args: str) -> str:
    result = subprocess.run(["rabbitmqctl", *args], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def wait_for_queues(vhost: str, count: int) -> None:
    """The import runs in the background: wait until every queue is there."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        listing = subprocess.run(
            ["rabbitmqctl", "list_queues", "-q", "--no-table-headers", "-p", vhost, "name"],
            capture_output=True,
            text=True,
            check=False,
        )
        if listing.returncode == 0 and len(listing.stdout.split()) >= count:
            return
        time.sleep(0.3)
    raise AssertionError(f"the definitions' {count} queues did not appear in {vhost}")


@dataclass
class Imported:
    vhost: str
    #: service -> AMQP URL of its account on the scratch vhost
    urls: dict[str, str]


@pytest.fixture
def imported() -> Iterator[Imported]:
    """The compose definitions imported in a scratch vhost, with scratch accounts named
    ``<scratch>.<service>`` (the same permissions, on that vhost)."""
    vhost = f"defs-{uuid.uuid4().hex[:8]}"
    prefix = f"{vhost}."
    document = topology()
    for kind in ("exchanges", "queues", "bindings", "permissions", "topic_permissions"):
        for item in document[kind]:
            item["vhost"] = vhost
    for kind in ("permissions", "topic_permissions"):
        for item in document[kind]:
            item["user"] = prefix + item["user"]
    passwords = {prefix + spec.name: secrets.token_urlsafe(16) for spec in SERVICES}
    definitions = init_script().build(document, passwords)
    import_definitions(definitions)
    wait_for_queues(vhost, len(document["queues"]))
    host = AMQP_URL.split("@", 1)[1].split("/", 1)[0]
    urls = {
        name.removeprefix(prefix): f"amqp://{quote(name)}:{pw}@{host}/{quote(vhost, safe='')}"
        for name, pw in passwords.items()
    }
    try:
        yield Imported(vhost, urls)
    finally:
        rabbitmqctl("delete_vhost", vhost)
        for name in passwords:
            rabbitmqctl("delete_user", name)


async def test_imported_definitions_match_what_the_workers_declare(
    imported: Imported, tmp_path: Path
) -> None:
    queues = dict(worker_queues())
    # An event published before any worker started: routed by the imported bindings.
    connection = await aio_pika.connect_robust(imported.urls["privacy"])
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange("events")
        await exchange.publish(
            aio_pika.Message(b"{}", delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key="dsr.command.orders",
        )
    connection = await aio_pika.connect_robust(imported.urls["orders"])
    async with connection:
        channel = await connection.channel()
        waiting = await channel.declare_queue("orders.dsr", passive=True)
        assert waiting.declaration_result.message_count == 1
    # Each worker queue declared by its own service's account the way Consumer.start does it:
    # same type and arguments (or RabbitMQ would refuse: PRECONDITION_FAILED), and the
    # account's permissions allow exactly that.
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}")
    owners = {spec.name: [q for q in queues if q.startswith(f"{spec.name}.")] for spec in SERVICES}
    assert sorted(q for owned in owners.values() for q in owned) == sorted(queues)
    try:
        for service, owned in owners.items():
            broker = Broker(imported.urls[service], "events")
            try:
                for name in owned:
                    consumer = Consumer(
                        database=database,
                        store=EventStore(MetaData(), source=service),
                        broker=broker,
                        queue=name,
                        handlers={},
                        service=service,
                        bindings=queues[name],
                    )
                    await consumer.start()
                    assert consumer.queue is not None
                    dead = await broker.channel.declare_queue(f"{name}.dead", passive=True)  # type: ignore[union-attr]
                    assert dead.declaration_result.message_count == 0
            finally:
                await broker.close()
    finally:
        await database.dispose()


def test_a_stopped_test_stack_leaves_no_queue_behind() -> None:
    """``provision`` gives a test stack its queues; ``deprovision`` (when the stack stops)
    takes them all away again, and only them: another stack's stay."""
    name = uuid.uuid4().hex[:6]
    gone, kept = f"t{name}.events", f"u{name}.events"
    provision(gone)
    provision(kept)
    try:
        queues = rabbitmqctl("-q", "list_queues", "name").split()
        mine = [q for q in queues if q.startswith(gone)]
        assert len(mine) >= 2 * len(worker_queues())  # each queue and its dead-letter queue
        assert deprovision(gone, AMQP_URL) == len(mine)
        left = rabbitmqctl("-q", "list_queues", "name").split()
        assert not [q for q in left if q.startswith(gone)]
        assert len([q for q in left if q.startswith(kept)]) == len(mine)
    finally:
        deprovision(kept, AMQP_URL)
