"""What the orders service does with events: its part in data-subject requests, and the
messages to fulfilment partners.

Everything about a person comes from the declarations of the models (``orders.models``): on
erasure the delivery details go, the record of each sale and each invoice still within its
retention move to the restricted archive until their dates, older ones are deleted outright,
and the partners that received data are told (Art. 19, ``orders.partners.service``).
"""

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kit.events import Envelope, Subscription
from kit.events.consumer import Handler
from kit.privacy.participant import Participant
from kit.privacy.protocol import Action
from orders.base import PARTNER_KEY, Event
from orders.models import events, subject_data
from orders.partners import service as partners_service
from orders.partners.adapter import FulfilmentPartners, MessageType
from orders.partners.service import tell_recipients, tell_recipients_of_rectification

participant = Participant(
    service="orders",
    subject_data=subject_data,
    events=events,
    hooks={
        Action.ERASE: tell_recipients(MessageType.ERASE),
        Action.RECTIFY: tell_recipients_of_rectification,
        Action.RESTRICT: tell_recipients(MessageType.RESTRICT),
        Action.LIFT_RESTRICTION: tell_recipients(MessageType.LIFT_RESTRICTION),
    },
)


def partner_delivery(partners: FulfilmentPartners, clock: Callable[[], datetime]) -> Handler:
    """The worker's handler of ``partner.message``: hands the message to the partner (errors
    propagate, so the consumer retries while the partner is away), then records its answer."""

    async def deliver(db: AsyncSession, envelope: Envelope) -> None:
        await partners_service.deliver(db, partners, envelope.payload, clock)

    return deliver


def partner_subscription(partners: FulfilmentPartners) -> Subscription:
    """The worker's queue of messages to fulfilment partners."""
    handler = partner_delivery(partners, lambda: datetime.now(UTC))
    return Subscription(
        "orders.partners", {Event.PARTNER_MESSAGE: handler}, [PARTNER_KEY], senders={"orders"}
    )
