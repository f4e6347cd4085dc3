"""The broker definitions compose loads at boot, imported into the machine's real RabbitMQ
(in a scratch virtual host, with a scratch account): the account logs in with its hashed
password, the workers' own declarations agree with the imported queues (a different argument
would close the channel), and an event published before any worker ran waits in its queue."""

import json
import secrets
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import aio_pika
import pytest
from sqlalchemy import MetaData

from devstack.rabbitmq import init_script, topology, worker_queues
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


@pytest.fixture
def imported() -> Iterator[tuple[str, str]]:
    """(AMQP URL of the scratch account on the scratch vhost, vhost)."""
    vhost, user = f"defs-{uuid.uuid4().hex[:8]}", f"defs-{uuid.uuid4().hex[:8]}"
    password = secrets.token_urlsafe(16)
    document = topology()
    for kind in ("exchanges", "queues", "bindings"):
        for item in document[kind]:
            item["vhost"] = vhost
    definitions = init_script().build(document, user, password)
    # In a file anyone may read: Debian's rabbitmqctl runs as the rabbitmq user (a scratch
    # account's hash, deleted with it).
    with tempfile.NamedTemporaryFile("w", suffix=".json", dir="/tmp") as file:
        file.write(json.dumps(definitions))
        file.flush()
        Path(file.name).chmod(0o644)
        rabbitmqctl("import_definitions", file.name)
    wait_for_queues(vhost, len(document["queues"]))
    host = AMQP_URL.split("@", 1)[1].split("/", 1)[0]
    try:
        yield f"amqp://{user}:{password}@{host}/{quote(vhost, safe='')}", vhost
    finally:
        rabbitmqctl("delete_vhost", vhost)
        rabbitmqctl("delete_user", user)


async def test_imported_definitions_match_what_the_workers_declare(
    imported: tuple[str, str], tmp_path: Path
) -> None:
    url, _ = imported
    queues = dict(worker_queues())
    # An event published before any worker started: routed by the imported bindings.
    connection = await aio_pika.connect_robust(url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange("events")
        await exchange.publish(
            aio_pika.Message(b"{}", delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key="dsr.command.orders",
        )
        waiting = await channel.declare_queue("orders.dsr", passive=True)
        assert waiting.declaration_result.message_count == 1
        for name in queues:
            dead = await channel.declare_queue(f"{name}.dead", passive=True)
            assert dead.declaration_result.message_count == 0
    # Each worker queue declared the way Consumer.start does it: same type and arguments, or
    # RabbitMQ would refuse (PRECONDITION_FAILED).
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}")
    broker = Broker(url, "events")
    try:
        for name, keys in queues.items():
            consumer = Consumer(
                database=database,
                store=EventStore(MetaData(), source="defs"),
                broker=broker,
                queue=name,
                handlers={},
                bindings=keys,
            )
            await consumer.start()
            assert consumer.queue is not None
    finally:
        await broker.close()
        await database.dispose()
