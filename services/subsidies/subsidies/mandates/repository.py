"""The mandates' queries; a person's carry the tenant and the person."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import By, Keyset, Page, Part, fetch
from subsidies.mandates.models import Mandate, MandateStatus

#: A person's mandates, the latest signed first.
LATEST_MANDATES_FIRST = Keyset[Mandate](
    "mandates",
    (By(Mandate.signed_at, datetime, descending=True), By(Mandate.id, str)),
    key=lambda m: (m.signed_at, m.id),
)


async def mandates_page(
    db: AsyncSession, *, tenant_id: str, user_id: str, cursor: str | None, limit: int
) -> Page[Mandate]:
    query = select(Mandate).where(Mandate.tenant_id == tenant_id, Mandate.user_id == user_id)
    return await fetch(db, [Part(query, LATEST_MANDATES_FIRST)], cursor=cursor, limit=limit)


async def mandates_by_id(db: AsyncSession, *, ids: list[str]) -> dict[str, Mandate]:
    """The mandates of a page of bookings, in one query."""
    found = await db.scalars(select(Mandate).where(Mandate.id.in_(ids)))
    return {mandate.id: mandate for mandate in found}


async def own_mandate(
    db: AsyncSession, *, tenant_id: str, user_id: str, mandate_id: str
) -> Mandate | None:
    return await db.scalar(
        select(Mandate).where(
            Mandate.id == mandate_id, Mandate.tenant_id == tenant_id, Mandate.user_id == user_id
        )
    )


async def mandates_to_lapse(db: AsyncSession, *, before: datetime) -> Sequence[Mandate]:
    last_use = func.coalesce(Mandate.last_collection_at, Mandate.signed_at)
    query = select(Mandate).where(Mandate.status == MandateStatus.ACTIVE, last_use < before)
    return (await db.scalars(query.limit(500))).all()


async def mandates_not_under(db: AsyncSession, *, key_id: str, limit: int) -> Sequence[Mandate]:
    """Mandates with a field still encrypted under another key than ``key_id``."""
    prefix = f"{key_id}:%"
    query = select(Mandate).where(
        or_(
            Mandate.iban.not_like(prefix),
            Mandate.bic.not_like(prefix),
            Mandate.holder.not_like(prefix),
        )
    )
    return (await db.scalars(query.limit(limit).with_for_update(skip_locked=True))).all()
