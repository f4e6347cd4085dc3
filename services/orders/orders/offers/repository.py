"""Every query of the offers; all carry the tenant."""

from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import By, Keyset, Page, Part, fetch
from orders.offers.models import Offer

#: The tenant's offers, the newest first. Not by title: a cursor carries the last item's sort
#: key, and a title of 200 accented characters would not fit in one (the page sorts by title).
NEWEST_OFFERS_FIRST = Keyset[Offer](
    "offers",
    (By(Offer.created_at, datetime, descending=True), By(Offer.id, str)),
    key=lambda o: (o.created_at, o.id),
)


async def active_offers_page(
    db: AsyncSession, *, tenant_id: str, cursor: str | None, limit: int
) -> Page[Offer]:
    query = select(Offer).where(Offer.tenant_id == tenant_id, Offer.active.is_(True))
    return await fetch(db, [Part(query, NEWEST_OFFERS_FIRST)], cursor=cursor, limit=limit)


#: An order's offers, built once (``orders.orders.repository``: the statements every order runs).
_OFFERS_BY_ID = select(Offer).where(
    Offer.tenant_id == bindparam("tenant_id"),
    Offer.id.in_(bindparam("ids", expanding=True)),
    Offer.active.is_(True),
)


async def offers_by_id(db: AsyncSession, *, tenant_id: str, ids: list[str]) -> dict[str, Offer]:
    found = await db.scalars(_OFFERS_BY_ID, {"tenant_id": tenant_id, "ids": ids})
    return {offer.id: offer for offer in found.all()}


async def offer_in_tenant(db: AsyncSession, *, tenant_id: str, offer_id: str) -> Offer | None:
    return await db.scalar(select(Offer).where(Offer.id == offer_id, Offer.tenant_id == tenant_id))


async def offer_titles(db: AsyncSession, *, tenant_id: str) -> set[str]:
    """The titles of the tenant's offers, withdrawn ones included (the demo seed's check)."""
    return set((await db.scalars(select(Offer.title).where(Offer.tenant_id == tenant_id))).all())


async def give_back_stock(db: AsyncSession, *, offer_id: str, quantity: int) -> None:
    await db.execute(
        update(Offer)
        .where(Offer.id == offer_id, Offer.stock.is_not(None))
        .values(stock=Offer.stock + quantity)
    )


async def take_stock(db: AsyncSession, *, offer_id: str, quantity: int) -> bool:
    """Take ``quantity`` from a limited stock, atomically; False when not enough is left."""
    result = await db.execute(
        update(Offer)
        .where(Offer.id == offer_id, Offer.stock.is_not(None), Offer.stock >= quantity)
        .values(stock=Offer.stock - quantity)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
