"""Events between services: envelope, transactional outbox, relay, consumer with inbox."""

from kit.events.envelope import Envelope
from kit.events.store import EventStore, OutboxBatch
from kit.events.subscription import Subscription

__all__ = ["Envelope", "EventStore", "OutboxBatch", "Subscription"]
