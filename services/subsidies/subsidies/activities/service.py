"""Activities on offer: tenant admins add them. No HTTP here."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import Principal
from subsidies.activities.models import Activity
from subsidies.activities.schemas import ActivityIn


async def create_activity(
    db: AsyncSession, *, principal: Principal, data: ActivityIn, now: datetime
) -> Activity:
    activity = Activity(
        tenant_id=principal.tenant_id, active=True, created_at=now, **data.model_dump()
    )
    db.add(activity)
    await db.flush()
    return activity
