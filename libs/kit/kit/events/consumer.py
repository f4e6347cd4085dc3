"""Consumers: durable quorum queues, prefetch, inbox deduplication and a dead-letter queue.

Who sent a message is the broker account RabbitMQ checked (``user_id``), never what the
envelope says: the envelope's ``source`` must be that account's service, and a subscription
names the services it takes messages from (``senders``). Anything else is a security event:
the message is dead-lettered with no effect.

A handler runs in one transaction with the insert of the event id into the inbox, so a
redelivered event finds its id there and does nothing. A handler that raises makes RabbitMQ
redeliver the message; after ``delivery_limit`` redeliveries the quorum queue dead-letters it
to ``<queue>.dead``. A message that is not an envelope at all goes there at once.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractQueue
from opentelemetry.trace import SpanKind
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from kit import tracing
from kit.db import Database, dialect_insert, is_transient, utcnow
from kit.events.broker import DEAD_LETTER_EXCHANGE, Broker, account_prefix
from kit.events.envelope import Envelope
from kit.events.store import EventStore
from kit.heap import count_work
from kit.logs import request_id_var
from kit.security import BROKER_REFUSED, security_event

log = logging.getLogger("kit.consumer")

Handler = Callable[[AsyncSession, Envelope], Awaitable[None]]


#: After this many redeliveries, a message goes to its queue's dead-letter queue.
DELIVERY_LIMIT = 3


def queue_arguments(queue: str, delivery_limit: int) -> dict[str, Any]:
    return {
        "x-queue-type": "quorum",
        "x-delivery-limit": delivery_limit,
        "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
        "x-dead-letter-routing-key": queue,
    }


class Consumer:
    """One service's subscriptions: event type -> handler, all on one durable queue."""

    def __init__(
        self,
        *,
        database: Database,
        store: EventStore,
        broker: Broker,
        queue: str,
        handlers: Mapping[str, Handler],
        service: str,
        senders: Collection[str] | None = None,
        bindings: Sequence[str] | None = None,
        prefetch: int = 16,
        delivery_limit: int = DELIVERY_LIMIT,
    ) -> None:
        self.database = database
        self.store = store
        self.broker = broker
        self.queue_name = queue
        # Built once (parameters at each event): building it again cost more than running it.
        self._record = (
            dialect_insert(database)(store.inbox)
            .on_conflict_do_nothing()
            .returning(store.inbox.c.event_id)
        )
        self.handlers = dict(handlers)
        self.service = service
        #: The services whose messages this queue takes; None: any service of the platform.
        self.senders = frozenset(senders) if senders is not None else None
        #: Accounts are ``<prefix><service>``: the stack's prefix, from our own account.
        self.account_prefix = account_prefix(broker.user, service)
        #: Routing keys the queue is bound to; by default the handled event types.
        self.bindings = list(bindings) if bindings is not None else list(self.handlers)
        self.prefetch = prefetch
        self.delivery_limit = delivery_limit
        self.queue: AbstractQueue | None = None
        #: Waits between attempts while the database is unreachable (about a minute in all).
        self.infrastructure_delays: tuple[float, ...] = (0.5, 1, 2, 4, 8, 15, 15, 15)

    async def start(self) -> None:
        exchange = await self.broker.connect()
        channel = await self.broker.connection.channel()  # type: ignore[union-attr]
        await channel.set_qos(prefetch_count=self.prefetch)
        dead_exchange = await channel.declare_exchange(
            DEAD_LETTER_EXCHANGE, aio_pika.ExchangeType.DIRECT, durable=True
        )
        dead_queue = await channel.declare_queue(
            f"{self.queue_name}.dead", durable=True, arguments={"x-queue-type": "quorum"}
        )
        await dead_queue.bind(dead_exchange, routing_key=self.queue_name)
        self.queue = await channel.declare_queue(
            self.queue_name,
            durable=True,
            arguments=queue_arguments(self.queue_name, self.delivery_limit),
        )
        for routing_key in self.bindings:
            await self.queue.bind(exchange, routing_key=routing_key)
        await self.queue.consume(self._on_message)

    async def run(self) -> None:
        """Start, retrying while RabbitMQ is away, then consume until cancelled."""
        delay = 0.2
        while True:
            try:
                await self.start()
                break
            except (ConnectionError, OSError, aio_pika.exceptions.AMQPError) as exc:
                log.warning("consumer cannot start yet", extra={"error": type(exc).__name__})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
        await asyncio.Future()  # consume until cancelled

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        count_work()
        try:
            envelope = Envelope.model_validate_json(message.body)
        except ValidationError:
            log.error("not an event envelope: dead-lettered", extra={"queue": self.queue_name})
            await message.reject(requeue=False)
            return
        refusal = self.refusal(message, envelope)
        if refusal is not None:
            security_event(
                BROKER_REFUSED,
                service=self.service,
                reason=refusal,
                queue=self.queue_name,
                event_type=envelope.type,
                event_id=envelope.id,
                claimed_source=envelope.source,
                account=message.user_id,
            )
            await message.reject(requeue=False)
            return
        handler = self.handlers.get(envelope.type)
        token = request_id_var.set(envelope.request_id)
        try:
            # A consumer span whose parent is the span that wrote the event (its traceparent):
            # the handling is part of the request's trace. Event type, queue and the random
            # event id only: the subject, tenant and payload stay out of the trace.
            with tracing.span(
                f"{envelope.type} process",
                kind=SpanKind.CONSUMER,
                parent=tracing.extract(envelope.traceparent),
                attributes={
                    "messaging.system": "rabbitmq",
                    "messaging.operation.type": "process",
                    "messaging.destination.name": self.queue_name,
                    "messaging.message.id": envelope.id,
                    "event.type": envelope.type,
                },
            ):
                async with message.process(requeue=True):
                    if handler is None:
                        return  # a binding outlived its handler: nothing to do
                    await self._handle_patiently(envelope, handler)
        except Exception as exc:
            log.warning(
                "event handler failed; the message will be redelivered or dead-lettered",
                extra={
                    "event_type": envelope.type,
                    "event_id": envelope.id,
                    "error": type(exc).__name__,
                },
            )
        finally:
            request_id_var.reset(token)

    def refusal(self, message: AbstractIncomingMessage, envelope: Envelope) -> str | None:
        """Why the message must not be handled, or None: the account RabbitMQ validated must be
        the service the envelope names, and that service one this queue takes messages from."""
        account = message.user_id
        if not account:
            return "no publisher account"
        if not account.startswith(self.account_prefix):
            return "account of another stack"
        if account[len(self.account_prefix) :] != envelope.source:
            return "source is not the publishing account"
        if self.senders is not None and envelope.source not in self.senders:
            return "sender not allowed on this queue"
        return None

    async def _handle_patiently(self, envelope: Envelope, handler: Handler) -> None:
        """Run the handler; while the database is away, wait and try again holding the message.

        Giving the message back would count as a delivery, and a short database outage would
        then dead-letter every message in flight. Only the handler's own errors count."""
        for delay in self.infrastructure_delays:
            try:
                await self.handle(envelope, handler)
                return
            except Exception as exc:
                if not is_transient(exc):  # the database is not away: the handler failed
                    raise
                log.warning(
                    "database unavailable; retrying the event",
                    extra={"event_id": envelope.id, "error": type(exc).__name__},
                )
                await asyncio.sleep(delay)
        await self.handle(envelope, handler)

    async def handle(self, envelope: Envelope, handler: Handler) -> bool:
        """Run ``handler`` once per event id; returns False when it was a duplicate."""
        row = {"event_id": envelope.id, "consumer": self.queue_name, "handled_at": utcnow()}
        async with self.database.transaction() as session:
            # One statement: the event's row, unless it is there already (a duplicate). A
            # concurrent duplicate waits on the first one's row here, then finds it (or, if
            # the first one rolled back, handles the event itself).
            if await session.scalar(self._record, row) is None:
                return False
            await handler(session, envelope)
        return True
