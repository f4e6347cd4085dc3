"""Every query of the disclosures to partners."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orders.offers.models import OfferKind
from orders.partners.models import Disclosure


async def disclosure(db: AsyncSession, disclosure_id: str) -> Disclosure | None:
    return await db.get(Disclosure, disclosure_id)


async def disclosures_of_order(db: AsyncSession, order_id: str) -> list[Disclosure]:
    query = select(Disclosure).where(Disclosure.order_id == order_id)
    return list((await db.scalars(query)).all())


async def disclosures_to_person(
    db: AsyncSession, user_id: str, *, kind: OfferKind | None = None
) -> list[Disclosure]:
    """What went to partners about the person (of one kind of offer only, when given)."""
    query = select(Disclosure).where(Disclosure.user_id == user_id)
    if kind is not None:
        query = query.where(Disclosure.kind == kind)
    return list((await db.scalars(query)).all())
