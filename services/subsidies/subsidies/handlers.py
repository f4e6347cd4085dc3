"""What the subsidies service does with events: its part in data-subject requests, and the
orders' lifecycle (a grant held for an order is confirmed when the order is placed and paid,
released when it is cancelled or refunded)."""

from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import utcnow
from kit.events import Envelope, Subscription
from kit.privacy.participant import Participant
from kit.privacy.protocol import Action
from subsidies.accounting import service as accounting
from subsidies.campaigns import service as campaigns
from subsidies.grants import service as grants
from subsidies.grants.models import OrderEvent
from subsidies.models import events, subject_data
from subsidies.quotients import service as quotients

participant = Participant(
    service="subsidies",
    subject_data=subject_data,
    events=events,
    # An erased administrator's id leaves the family-quotient declarations they checked.
    hooks={Action.ERASE: quotients.forget_checker},
)


async def on_order(session: AsyncSession, envelope: Envelope) -> None:
    """The books' entries are written now, however late the event arrives (a period already
    exported never changes); their documents are dated when the order was paid or refunded."""
    event_type, order_id = OrderEvent(envelope.type), str(envelope.payload["order_id"])
    now = utcnow()
    await grants.on_order(
        session,
        event_type=event_type,
        order_id=order_id,
        occurred_at=envelope.occurred_at,
        now=now,
    )
    uses = await campaigns.on_order(session, event_type=event_type, order_id=order_id)
    await accounting.on_order_event(
        session,
        event_type=envelope.type,
        tenant_id=envelope.tenant,
        user_id=envelope.subject,
        payload=envelope.payload,
        occurred_at=envelope.occurred_at,
        now=now,
        voucher_uses=uses,
    )


def orders_subscription() -> Subscription:
    """The worker's queue of the orders' events that move grants."""
    kinds = [str(event) for event in grants.ORDER_OUTCOME]
    return Subscription(
        "subsidies.orders", dict.fromkeys(kinds, on_order), kinds, senders={"orders"}
    )
