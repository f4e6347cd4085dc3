"""Every query of the payments."""

from sqlalchemy.ext.asyncio import AsyncSession

from orders.payments.models import PaymentEvent


async def webhook_handled(db: AsyncSession, event_id: str) -> bool:
    """Whether the provider's event ``event_id`` was applied already."""
    return await db.get(PaymentEvent, event_id) is not None
