"""RabbitMQ connection shared by the relay and the consumers (aio-pika, robust, confirms on).

Every message carries the ``user_id`` property: the broker account it was published with.
RabbitMQ refuses a ``user_id`` that differs from the connection's account, so a consumer can
trust it as the publisher's identity, which the envelope's own ``source`` is not.
"""

import asyncio
from urllib.parse import unquote, urlsplit

import aio_pika
from aio_pika.abc import AbstractExchange, AbstractRobustChannel, AbstractRobustConnection
from aio_pika.connection import make_url

#: Where messages that keep failing end up; one dead-letter queue per consuming queue.
DEAD_LETTER_EXCHANGE = "events.dead"


class Broker:
    """A robust connection, a confirming channel and the durable topic exchange of events."""

    def __init__(self, url: str, exchange: str = "events") -> None:
        self.url = url
        #: The broker account this connection publishes as (each service has its own).
        self.user = account_of(url)
        self.exchange_name = exchange
        self.connection: AbstractRobustConnection | None = None
        self.channel: AbstractRobustChannel | None = None
        self.exchange: AbstractExchange | None = None
        #: One connection at a time: a worker's relay and consumers connect at once when it
        #: starts, and each used to open its own, all but the last left open and unreferenced.
        self._connecting = asyncio.Lock()

    @property
    def connected(self) -> bool:
        return self.connection is not None and not self.connection.is_closed

    async def connect(self) -> AbstractExchange:
        """Connect once; after that ``connect_robust`` restores everything by itself."""
        if self.exchange is None:
            async with self._connecting:
                if self.exchange is None:  # not made meanwhile by the one we waited for
                    await self._open()
        assert self.exchange is not None
        return self.exchange

    async def _open(self) -> None:
        # connect_robust's two steps, so that a connection interrupted while it connects (the
        # app stopping, its relay cancelled) is closed here rather than left to the garbage
        # collector, reconnecting meanwhile.
        connection = aio_pika.RobustConnection(make_url(self.url))
        try:
            await connection.connect(timeout=5)
            # A mandatory message that no queue takes comes back and raises PublishError.
            channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
            exchange = await channel.declare_exchange(
                self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
            )
        except BaseException:
            await connection.close()
            raise
        self.connection, self.channel, self.exchange = connection, channel, exchange

    async def publish(
        self, body: bytes, *, routing_key: str, message_id: str, mandatory: bool = False
    ) -> None:
        """Publish a persistent message and wait for the broker's confirm (raises on a nack,
        and, when ``mandatory``, on a message no queue takes)."""
        exchange = await self.connect()
        message = aio_pika.Message(
            body,
            message_id=message_id,
            user_id=self.user,
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        await exchange.publish(message, routing_key=routing_key, mandatory=mandatory, timeout=10)

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()
        self.connection = self.channel = self.exchange = None


def account_of(url: str) -> str:
    """The account name of an AMQP URL (RabbitMQ's default, ``guest``, when it names none)."""
    return unquote(urlsplit(url).username or "guest")


def account_prefix(account: str, service: str) -> str:
    """The part of ``account`` before ``service``: each service's broker account is named
    ``<prefix><service>`` (``orders`` in compose, ``e2e.orders`` in a test stack), so that the
    consumers of one stack know every other service's account."""
    if not account.endswith(service):
        raise ValueError(
            f"the broker account of the {service} service must end with its name "
            "(one account per service: see deploy/README.md)"
        )
    return account[: -len(service)]
