"""Events between services: envelope, transactional outbox, relay, consumer with inbox."""

from kit.events.envelope import Envelope
from kit.events.store import EventStore

__all__ = ["Envelope", "EventStore"]
