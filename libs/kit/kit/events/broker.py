"""RabbitMQ connection shared by the relay and the consumers (aio-pika, robust, confirms on)."""

import aio_pika
from aio_pika.abc import AbstractExchange, AbstractRobustChannel, AbstractRobustConnection

#: Where messages that keep failing end up; one dead-letter queue per consuming queue.
DEAD_LETTER_EXCHANGE = "events.dead"


class Broker:
    """A robust connection, a confirming channel and the durable topic exchange of events."""

    def __init__(self, url: str, exchange: str = "events") -> None:
        self.url = url
        self.exchange_name = exchange
        self.connection: AbstractRobustConnection | None = None
        self.channel: AbstractRobustChannel | None = None
        self.exchange: AbstractExchange | None = None

    @property
    def connected(self) -> bool:
        return self.connection is not None and not self.connection.is_closed

    async def connect(self) -> AbstractExchange:
        """Connect once; after that ``connect_robust`` restores everything by itself."""
        if self.exchange is None:
            connection = await aio_pika.connect_robust(self.url, timeout=5)
            try:
                # A mandatory message that no queue takes comes back and raises PublishError.
                channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
                exchange = await channel.declare_exchange(
                    self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
                )
            except BaseException:
                await connection.close()
                raise
            self.connection, self.channel, self.exchange = connection, channel, exchange
        assert self.exchange is not None
        return self.exchange

    async def publish(
        self, body: bytes, *, routing_key: str, message_id: str, mandatory: bool = False
    ) -> None:
        """Publish a persistent message and wait for the broker's confirm (raises on a nack,
        and, when ``mandatory``, on a message no queue takes)."""
        exchange = await self.connect()
        message = aio_pika.Message(
            body,
            message_id=message_id,
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        await exchange.publish(message, routing_key=routing_key, mandatory=mandatory, timeout=10)

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()
        self.connection = self.channel = self.exchange = None
