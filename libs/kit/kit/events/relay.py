"""The outbox relay: publishes committed events with publisher confirms, then marks them sent.
Its claims, marks and releases are each one statement, run on its own (``Database.statement``).

Rows are claimed with a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so any number of
relays can run side by side and each event is published by one of them. A relay that dies
between publishing and marking leaves a lease that expires: the event goes out again and the
consumers' inbox makes that redelivery harmless (at-least-once, effect-once).
"""

import asyncio
import logging
import os
import socket
import uuid
from datetime import timedelta

from aiormq.exceptions import PublishError
from sqlalchemy import Table, and_, bindparam, or_, select, update

from kit.db import Database, utcnow
from kit.events.broker import Broker
from kit.events.store import (
    EventStore,
    OutboxRow,
    on_outbox_commit,
    register_local_relay,
    remove_local_relay,
    remove_outbox_callback,
)

log = logging.getLogger("kit.relay")


class Relay:
    def __init__(
        self,
        database: Database,
        store: EventStore,
        broker: Broker,
        *,
        poll_seconds: float = 2.0,
        batch_size: int = 100,
        lease_seconds: float = 30.0,
        max_backoff: float = 10.0,
    ) -> None:
        self.database = database
        self.store = store
        self.broker = broker
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self.lease = timedelta(seconds=lease_seconds)
        self.max_backoff = max_backoff
        self.relay_id = f"{socket.gethostname()[:30]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._statements = _Statements(store.outbox, batch_size)
        self._wake = asyncio.Event()
        self._handed: list[OutboxRow] = []
        self._drain_due = True

    def wake(self) -> None:
        """Look for pending rows now (a commit wrote some that were not handed over)."""
        self._drain_due = True
        self._wake.set()

    def take(self, rows: list[OutboxRow]) -> None:
        """Rows committed in this process already claimed by this relay (``EventStore.add``):
        published next, without claiming them again."""
        self._handed.extend(rows)
        self._wake.set()

    async def run(self) -> None:
        """Publish until cancelled: at once after each commit, else every ``poll_seconds``."""
        on_outbox_commit(self.wake)
        engine = self.database.engine.sync_engine
        register_local_relay(engine, self)
        backoff = 0.2
        try:
            while True:
                self._wake.clear()
                try:
                    await self.publish_handed()
                    # Rows handed over need no look at the table; anything else does (a commit
                    # of another kind, the poll, a failure that released rows).
                    if self._drain_due:
                        self._drain_due = False
                        await self.drain()
                    backoff = 0.2
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # broker or database away: retry with backoff
                    log.warning("relay cannot publish yet", extra={"error": type(exc).__name__})
                    self._drain_due = True
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, self.max_backoff)
                    continue
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
                except TimeoutError:
                    self._drain_due = True
        finally:
            remove_outbox_callback(self.wake)
            remove_local_relay(engine, self)

    async def publish_handed(self) -> int:
        """Publish the rows handed over after their commit; a failure gives them back to the
        claimable pool (released), where ``drain`` and the other relays find them."""
        total = 0
        while self._handed:
            rows, self._handed = self._handed, []
            total += await self._publish(rows)
        return total

    async def drain(self) -> int:
        """Publish every pending event; returns how many were published.

        An event is a fact: if no queue wants it, nobody needed it. A command (an event with its
        own routing key, for one service) must reach its queue: one that no queue takes yet is
        put back with a growing delay, and the others go on."""
        total = 0
        while rows := await self._claim():
            total += await self._publish(rows)
        return total

    async def _publish(self, rows: list[OutboxRow]) -> int:
        """Publish claimed rows, mark those RabbitMQ confirmed as sent; release the others
        (a refused command with a growing delay) and raise the first other failure."""
        try:
            # One connection for the batch's publishes (several connecting at once would
            # each open one, and all but the last would be left open).
            await self.broker.connect()
        except Exception as exc:
            await self._release([row.id for row in rows], exc)
            raise
        # The batch goes out at once and the confirms are awaited together: one after the
        # other, each waited for RabbitMQ to write the message to its queues (a quorum
        # queue syncs it to disk), and an erasure's 28 messages from orders took 28 of
        # those waits before its answer left. Messages of one batch are written in order
        # on the channel; across relays there was never an order to keep.
        outcomes = await asyncio.gather(
            *(
                self.broker.publish(
                    row.body.encode(),
                    routing_key=row.routing_key or row.type,
                    message_id=row.id,
                    mandatory=row.routing_key is not None,
                )
                for row in rows
            ),
            return_exceptions=True,
        )
        published = [row.id for row, outcome in zip(rows, outcomes, strict=True) if not outcome]
        await self._mark_sent(published)
        failure: BaseException | None = None
        for row, outcome in zip(rows, outcomes, strict=True):
            if isinstance(outcome, PublishError):  # no queue takes this command yet
                await self._release([row.id], outcome, delay=self._delay(row.attempts))
            elif isinstance(outcome, BaseException):
                failure = failure or outcome
        if failure is not None:
            unsent = [
                row.id
                for row, outcome in zip(rows, outcomes, strict=True)
                if isinstance(outcome, BaseException) and not isinstance(outcome, PublishError)
            ]
            await self._release(unsent, failure)
            raise failure
        return len(published)

    @staticmethod
    def _delay(attempts: int) -> timedelta:
        return timedelta(seconds=min(2 ** min(attempts, 8), 300))

    async def _claim(self) -> list[OutboxRow]:
        now = utcnow()
        params = {"now": now, "relay": self.relay_id, "until": now + self.lease}
        found = await self.database.statement(self._statements.claim, params)
        rows = sorted(found, key=lambda r: r.created_at)
        return [OutboxRow(r.id, r.type, r.routing_key, r.body, r.attempts) for r in rows]

    async def _mark_sent(self, ids: list[str]) -> None:
        if not ids:
            return
        await self.database.statement(
            self._statements.mark_sent, {"ids": ids, "relay": self.relay_id, "now": utcnow()}
        )

    async def _release(
        self, ids: list[str], exc: BaseException, *, delay: timedelta | None = None
    ) -> None:
        """Give rows back, at once or after ``delay`` (their lease is set to end then)."""
        if not ids:
            return
        outbox = self.store.outbox
        until = utcnow() + delay if delay else None
        await self.database.statement(
            update(outbox)
            .where(and_(outbox.c.id.in_(ids), outbox.c.claimed_by == self.relay_id))
            .values(
                claimed_by=None,
                claimed_until=until,
                attempts=outbox.c.attempts + 1,
                last_error=type(exc).__name__,
            ),
            {},
        )


class _Statements:
    """The relay's statements, built once with parameters: built again at every poll of every
    process, they cost more CPU than running them (docs/performance.md)."""

    def __init__(self, outbox: Table, batch_size: int) -> None:
        now = bindparam("now", type_=outbox.c.claimed_until.type)
        relay = bindparam("relay", type_=outbox.c.claimed_by.type)
        claimable = and_(
            outbox.c.sent_at.is_(None),
            or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now),
        )
        pending = (
            select(outbox.c.id)
            .where(claimable)
            .order_by(outbox.c.created_at)
            .limit(batch_size)
            .with_for_update(skip_locked=True)
            .cte("picked")
            # Materialized: a subquery in the UPDATE's condition may be run again for each
            # row on PostgreSQL, and its LIMIT then holds for none (one relay took all).
            .prefix_with("MATERIALIZED", dialect="*")
        )
        #: One statement: the oldest pending rows that no other relay holds, leased to this
        #: one and read back. The condition again outside: on SQLite there is no row lock, the
        #: check is the lock.
        self.claim = (
            update(outbox)
            .where(outbox.c.id.in_(select(pending.c.id)), claimable)
            .values(
                claimed_by=relay,
                claimed_until=bindparam("until", type_=outbox.c.claimed_until.type),
            )
            .returning(
                outbox.c.id,
                outbox.c.type,
                outbox.c.routing_key,
                outbox.c.body,
                outbox.c.attempts,
                outbox.c.created_at,
            )
        )
        self.mark_sent = (
            update(outbox)
            .where(
                and_(
                    outbox.c.id.in_(bindparam("ids", expanding=True)),
                    outbox.c.claimed_by == relay,
                )
            )
            # The body goes once RabbitMQ has it: commands and answers name people by id,
            # and a sent event has no reason to stay in this database.
            .values(sent_at=now, claimed_by=None, claimed_until=None, body="")
        )
