"""Every query of the payments."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import dialect_insert
from orders.payments.models import PaymentEvent


async def first_handling(db: AsyncSession, *, event_id: str, type: str, now: datetime) -> bool:
    """Record the provider's event ``event_id`` as handled; False when it was already (a replay
    or a repeat). One statement: the row, unless it is there. A repeat sent while the first is
    being applied waits on the first one's row, then finds it (where a look first, then an
    insert, let both through to the insert, and the second failed on the key)."""
    statement = (
        dialect_insert(db)(PaymentEvent)
        .values(id=event_id, type=type, received_at=now)
        .on_conflict_do_nothing(index_elements=[PaymentEvent.id])
        .returning(PaymentEvent.id)
    )
    return await db.scalar(statement) is not None
