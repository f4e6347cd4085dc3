"""Every query of the disclosures to partners."""

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from orders.offers.models import OfferKind
from orders.partners.models import Disclosure


async def disclosure(db: AsyncSession, disclosure_id: str) -> Disclosure | None:
    return await db.get(Disclosure, disclosure_id)


#: Built once (``orders.orders.repository``: the statements every order runs).
_OF_ORDER = select(Disclosure).where(Disclosure.order_id == bindparam("order_id"))


async def disclosures_of_order(db: AsyncSession, order_id: str) -> list[Disclosure]:
    return list((await db.scalars(_OF_ORDER, {"order_id": order_id})).all())


async def disclosures_to_person(
    db: AsyncSession, user_id: str, *, kind: OfferKind | None = None
) -> list[Disclosure]:
    """What went to partners about the person (of one kind of offer only, when given)."""
    query = select(Disclosure).where(Disclosure.user_id == user_id)
    if kind is not None:
        query = query.where(Disclosure.kind == kind)
    return list((await db.scalars(query)).all())
