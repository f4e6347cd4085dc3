"""The security event log: what an operator or an auditor looks for after an attack.

``security_event("broker.refused", ...)`` writes one JSON line on the ``security`` logger and
counts it in ``security_events_total{service, kind}``. Fields are ids, names and counts, never
personal data (no email, no address, no token): the log is read by people who may not see it.

Every process makes the kinds it may count at 0 when it starts (``declare_security_events``,
called by ``kit.web.create_app`` and ``kit.worker.run_worker``): a series that appears with its
first event has no earlier sample, so ``rate()`` and ``increase()`` would not see that event.
"""

import logging
from collections.abc import Iterable

from prometheus_client import Counter

log = logging.getLogger("security")

SECURITY_EVENTS = Counter(
    "security_events_total",
    "Security events (refused broker messages, failed or throttled sign-ins...), by kind.",
    ["service", "kind"],
)


#: What a worker's consumer counts when it refuses a message (``kit.events.consumer``).
BROKER_REFUSED = "broker.refused"


def declare_security_events(service: str, kinds: Iterable[str]) -> None:
    """The series of ``service``'s known ``kinds``, made at 0 (an existing count is kept)."""
    for kind in kinds:
        SECURITY_EVENTS.labels(service, kind)


def security_event(kind: str, *, service: str = "service", **fields: str | int | None) -> None:
    """Log and count one security event of ``kind`` (a dotted name: ``broker.refused``)."""
    SECURITY_EVENTS.labels(service, kind).inc()
    log.warning("security event", extra={"security_event": kind, **fields})
