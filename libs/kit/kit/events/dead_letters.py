"""Look at and replay dead-lettered messages: ``python -m kit.events.dead_letters``.

    python -m kit.events.dead_letters list identity.dsr
    python -m kit.events.dead_letters replay identity.dsr     # back to the queue, once fixed

A message lands in ``<queue>.dead`` after it failed four times (or was not an envelope, or
was refused as a security event: its publisher was not who it claimed). Once the cause is
fixed, ``replay`` puts each one back on its queue; the inbox makes a message that was in fact
handled before harmless. A replayed message keeps its publisher's account (``user_id``), which
consumers check: RabbitMQ lets only an account tagged ``impersonator`` publish in another's
name, so replay with an operator's account (``--amqp-url``), never a service's.
"""

import argparse
import asyncio
import os

import aio_pika

from kit.events.envelope import Envelope

LIMIT = 10_000


async def _run(url: str, queue: str, replay: bool) -> int:
    connection = await aio_pika.connect_robust(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        dead = await channel.declare_queue(f"{queue}.dead", passive=True)
        count = 0
        while (message := await dead.get(fail=False)) is not None:
            try:
                envelope = Envelope.model_validate_json(message.body)
                label = (
                    f"{envelope.id} {envelope.type} from {envelope.source} "
                    f"(account {message.user_id}, request {envelope.request_id})"
                )
            except ValueError:
                label = f"{message.message_id} (not an envelope, {len(message.body)} bytes)"
            if replay:
                await channel.default_exchange.publish(
                    aio_pika.Message(
                        message.body,
                        message_id=message.message_id,
                        user_id=message.user_id,
                        content_type=message.content_type,
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    ),
                    routing_key=queue,
                )
                await message.ack()
                print(f"replayed {label}")
            else:
                print(label)  # left unacknowledged: back in the queue when the channel closes
            count += 1
            if count >= LIMIT:
                break
        return count


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m kit.events.dead_letters")
    parser.add_argument("action", choices=["list", "replay"])
    parser.add_argument("queue", help="the consuming queue, e.g. identity.dsr")
    default_url = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    parser.add_argument("--amqp-url", default=default_url)
    args = parser.parse_args()
    count = asyncio.run(_run(args.amqp_url, args.queue, args.action == "replay"))
    print(f"{count} message(s) {'replayed' if args.action == 'replay' else 'listed'}")


if __name__ == "__main__":
    main()
