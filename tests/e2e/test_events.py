"""Events leave a real service through its outbox and relay, within milliseconds of the commit."""

import asyncio
import secrets
import time

import aio_pika
import pytest

from kit.events import Envelope
from tests.conftest import AMQP_URL
from tests.e2e.conftest import EXCHANGE, Platform

pytestmark = pytest.mark.e2e


async def _created_event(platform: Platform) -> tuple[Envelope, str, str, float]:
    connection = await aio_pika.connect_robust(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(
            EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(exclusive=True)
        await queue.bind(exchange, routing_key="user.created")
        admin = platform.login("admin@demo.test")
        email = f"evt-{secrets.token_hex(4)}@demo.test"
        response = await asyncio.to_thread(
            admin.post, "/api/users", json={"email": email, "first_name": "E", "last_name": "V"}
        )
        committed = time.monotonic()
        assert response.status_code == 201
        async with queue.iterator(timeout=10) as messages:
            async for message in messages:
                received = time.monotonic()
                await message.ack()
                envelope = Envelope.model_validate_json(message.body)
                if envelope.subject == response.json()["id"]:
                    return envelope, response.headers["x-request-id"], email, received - committed
    raise AssertionError("no user.created event")


def test_user_creation_publishes_an_event_at_once(platform: Platform) -> None:
    envelope, request_id, email, latency = asyncio.run(_created_event(platform))
    assert envelope.type == "user.created"
    assert envelope.source == "identity"
    assert envelope.tenant and envelope.version == 1
    assert envelope.request_id == request_id  # the gateway's request id travels with the event
    assert email not in envelope.model_dump_json()  # ids, never personal data, in events
    # The e2e stack polls the outbox every 30 s only: an event this early was sent on the
    # commit's wake-up.
    assert latency < 10
