"""The activities' queries; all carry the tenant, or the id of an activity found in it."""

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import By, Keyset, Page, Part, fetch
from subsidies.activities.models import Activity

#: The tenant's activities, the soonest first.
SOONEST_FIRST = Keyset[Activity](
    "activities",
    (By(Activity.starts_at, datetime), By(Activity.id, str)),
    key=lambda a: (a.starts_at, a.id),
)


async def active_activities_page(
    db: AsyncSession, *, tenant_id: str, cursor: str | None, limit: int
) -> Page[Activity]:
    query = select(Activity).where(Activity.tenant_id == tenant_id, Activity.active.is_(True))
    return await fetch(db, [Part(query, SOONEST_FIRST)], cursor=cursor, limit=limit)


async def activity_in_tenant(
    db: AsyncSession, *, tenant_id: str, activity_id: str
) -> Activity | None:
    return await db.scalar(
        select(Activity).where(
            Activity.id == activity_id, Activity.tenant_id == tenant_id, Activity.active.is_(True)
        )
    )


async def activity_titles(db: AsyncSession, *, tenant_id: str) -> set[str]:
    """The titles of the tenant's activities (the demo seed adds the missing ones)."""
    query = select(Activity.title).where(Activity.tenant_id == tenant_id)
    return set((await db.scalars(query)).all())


async def take_seat(db: AsyncSession, *, activity_id: str) -> bool:
    result = await db.execute(
        update(Activity)
        .where(Activity.id == activity_id, or_(Activity.seats.is_(None), Activity.seats >= 1))
        .values(seats=Activity.seats - 1)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def give_back_seat(db: AsyncSession, *, activity_id: str) -> None:
    await db.execute(
        update(Activity)
        .where(Activity.id == activity_id, Activity.seats.is_not(None))
        .values(seats=Activity.seats + 1)
    )
