"""The bookings' queries; all carry the tenant and the person."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import By, Keyset, Page, Part, fetch
from subsidies.bookings.models import Booking

#: A person's bookings, the newest first.
NEWEST_BOOKINGS_FIRST = Keyset[Booking](
    "bookings",
    (By(Booking.created_at, datetime, descending=True), By(Booking.id, str)),
    key=lambda b: (b.created_at, b.id),
)


async def bookings_page(
    db: AsyncSession, *, tenant_id: str, user_id: str, cursor: str | None, limit: int
) -> Page[Booking]:
    """One page of a person's bookings. It used to be the newest 500, silently."""
    query = select(Booking).where(Booking.tenant_id == tenant_id, Booking.user_id == user_id)
    return await fetch(db, [Part(query, NEWEST_BOOKINGS_FIRST)], cursor=cursor, limit=limit)


async def own_booking(
    db: AsyncSession, *, tenant_id: str, user_id: str, booking_id: str
) -> Booking | None:
    return await db.scalar(
        select(Booking).where(
            Booking.id == booking_id, Booking.tenant_id == tenant_id, Booking.user_id == user_id
        )
    )
