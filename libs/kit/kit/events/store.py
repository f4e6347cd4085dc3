"""Outbox and inbox tables that live in each service's own database.

``EventStore.add`` writes an event in the caller's transaction, so the business change and its
event commit or vanish together. After that commit the relay is woken in-process and publishes
within milliseconds; its poll is only the fallback (another process, a crash before publishing).

When a relay runs in the writing process on the same database (``register_local_relay``), the
row is written already claimed by it (its lease) and handed to it after the commit, body and
all: it publishes without a claiming transaction of its own, one database round trip less on
every hop of a data-subject request. Rows of a process that dies before publishing are
published by any relay once their lease ends, as before.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    event,
    insert,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from kit.db import UtcDateTime, utcnow
from kit.events.envelope import Envelope
from kit.logs import request_id_var
from kit.privacy.declarations import not_personal
from kit.tracing import current_traceparent

_DIRTY = "kit.outbox_dirty"
_HANDED = "kit.outbox_handed"
_wake_callbacks: list[Callable[[], None]] = []


@dataclass(frozen=True)
class OutboxRow:
    """What a relay needs to publish an outbox row it has claimed (or was handed over)."""

    id: str
    type: str
    routing_key: str | None
    body: str
    attempts: int = 0


class LocalRelay(Protocol):
    relay_id: str
    lease: timedelta

    def take(self, rows: list[OutboxRow]) -> None: ...


#: The relay of this process per database engine (the sync engine of its AsyncEngine).
_local_relays: dict[object, LocalRelay] = {}


def register_local_relay(engine: object, relay: LocalRelay) -> None:
    _local_relays[engine] = relay


def remove_local_relay(engine: object, relay: LocalRelay) -> None:
    if _local_relays.get(engine) is relay:
        del _local_relays[engine]


def on_outbox_commit(callback: Callable[[], None]) -> None:
    """Call ``callback`` after every commit that wrote outbox rows (the relay's wake-up)."""
    _wake_callbacks.append(callback)


def remove_outbox_callback(callback: Callable[[], None]) -> None:
    if callback in _wake_callbacks:
        _wake_callbacks.remove(callback)


@event.listens_for(Session, "after_commit")
def _wake_relays(session: Session) -> None:
    handed: dict[LocalRelay, list[OutboxRow]] | None = session.info.pop(_HANDED, None)
    for relay, rows in (handed or {}).items():
        relay.take(rows)
    if session.info.pop(_DIRTY, False):
        for callback in list(_wake_callbacks):
            callback()


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_DIRTY, None)
    session.info.pop(_HANDED, None)


_ID = not_personal("random event id")
_META = not_personal("delivery bookkeeping")
_BODY = not_personal(
    "event envelopes carry ids, never personal values; export answers are sealed for the "
    "privacy service before they are written here"
)


class EventStore:
    """The outbox and inbox of one service, declared on that service's metadata."""

    def __init__(self, metadata: MetaData, source: str) -> None:
        self.source = source
        self.outbox = Table(
            "outbox",
            metadata,
            Column("id", String(36), primary_key=True, info=_ID),
            Column("type", String(100), nullable=False, info=_META),
            Column("routing_key", String(200), info=_META),
            Column("body", Text, nullable=False, info=_BODY),
            Column("created_at", UtcDateTime, nullable=False, info=_META),
            Column("sent_at", UtcDateTime, info=_META),
            Column("attempts", Integer, nullable=False, default=0, info=_META),
            Column("claimed_by", String(64), info=_META),
            Column("claimed_until", UtcDateTime, info=_META),
            Column("last_error", String(200), info=_META),
            Index("ix_outbox_pending", "sent_at", "created_at"),
        )
        self.inbox = Table(
            "inbox",
            metadata,
            Column("event_id", String(36), primary_key=True, info=_ID),
            Column("consumer", String(100), primary_key=True, info=_META),
            Column("handled_at", UtcDateTime, nullable=False, info=_META),
        )
        #: ``add``'s statement, built once: built again for each event, with its values in
        #: it, it cost two thirds as much CPU again as running it (docs/performance.md).
        self._insert = insert(self.outbox)

    def envelope(
        self,
        type: str,
        *,
        tenant: str | None = None,
        subject: str | None = None,
        payload: dict[str, Any] | None = None,
        version: int = 1,
    ) -> Envelope:
        return Envelope(
            type=type,
            version=version,
            source=self.source,
            tenant=tenant,
            subject=subject,
            request_id=request_id_var.get(),
            traceparent=current_traceparent(),
            payload=payload or {},
        )

    def batch(self, *, tenant: str | None = None) -> "OutboxBatch":
        """Many events of one tenant, written in one statement (``OutboxBatch.write``): what an
        import of thousands of people needs, where ``add`` would be one insert each."""
        return OutboxBatch(self, tenant)

    async def add(
        self,
        session: AsyncSession,
        type: str,
        *,
        tenant: str | None = None,
        subject: str | None = None,
        payload: dict[str, Any] | None = None,
        version: int = 1,
        routing_key: str | None = None,
    ) -> Envelope:
        """Record an event in the caller's transaction; it is published after the commit.

        The routing key is the event type unless given (commands to one service use it)."""
        envelope = self.envelope(
            type, tenant=tenant, subject=subject, payload=payload, version=version
        )
        body = envelope.model_dump_json()
        now = utcnow()
        relay = _local_relays.get(session.sync_session.get_bind())
        await session.execute(
            self._insert,
            {
                "id": envelope.id,
                "type": envelope.type,
                "routing_key": routing_key,
                "body": body,
                "created_at": now,
                "attempts": 0,
                "claimed_by": None if relay is None else relay.relay_id,
                "claimed_until": None if relay is None else now + relay.lease,
            },
        )
        info = session.sync_session.info
        if relay is None:
            info[_DIRTY] = True  # any relay of this process may look (the fallback)
        else:
            handed = info.setdefault(_HANDED, {})
            handed.setdefault(relay, []).append(
                OutboxRow(envelope.id, envelope.type, routing_key, body)
            )
        return envelope


class OutboxBatch:
    """Events gathered in memory and written to the outbox in one INSERT, in the caller's
    transaction; published after the commit like ``EventStore.add``'s."""

    def __init__(self, events: EventStore, tenant: str | None) -> None:
        self.events = events
        self.tenant = tenant
        self.rows: list[dict[str, Any]] = []

    def add(
        self,
        type: str,
        *,
        subject: str | None = None,
        payload: dict[str, Any] | None = None,
        routing_key: str | None = None,
    ) -> Envelope:
        envelope = self.events.envelope(type, tenant=self.tenant, subject=subject, payload=payload)
        self.rows.append(
            {
                "id": envelope.id,
                "type": envelope.type,
                "routing_key": routing_key,
                "body": envelope.model_dump_json(),
                "created_at": utcnow(),
                "attempts": 0,
            }
        )
        return envelope

    def __len__(self) -> int:
        return len(self.rows)

    async def write(self, session: AsyncSession) -> None:
        """Insert what was gathered (nothing when empty); the batch is empty afterwards."""
        if not self.rows:
            return
        await session.execute(insert(self.events.outbox), self.rows)
        session.sync_session.info[_DIRTY] = True
        self.rows = []
