"""Every query of the orders service; all carry the tenant."""

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import By, Keyset, Page, Part, fetch
from orders.models import Invoice, Offer, Order

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


async def offers_by_id(db: AsyncSession, *, tenant_id: str, ids: list[str]) -> dict[str, Offer]:
    query = select(Offer).where(
        Offer.tenant_id == tenant_id, Offer.id.in_(ids), Offer.active.is_(True)
    )
    return {offer.id: offer for offer in (await db.scalars(query)).all()}


async def offer_in_tenant(db: AsyncSession, *, tenant_id: str, offer_id: str) -> Offer | None:
    return await db.scalar(select(Offer).where(Offer.id == offer_id, Offer.tenant_id == tenant_id))


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


#: A person's orders, or the tenant's for its admin: the newest first.
NEWEST_ORDERS_FIRST = Keyset[Order](
    "orders",
    (By(Order.created_at, datetime, descending=True), By(Order.id, str)),
    key=lambda o: (o.created_at, o.id),
)


async def orders_page(
    db: AsyncSession, *, tenant_id: str, user_id: str | None, cursor: str | None, limit: int
) -> Page[Order]:
    """One page of the person's orders (``user_id``), or with None the whole tenant's. It used
    to be the newest 500, silently: an admin never saw the tenant's older orders."""
    query = select(Order).where(Order.tenant_id == tenant_id)
    if user_id is not None:
        query = query.where(Order.user_id == user_id)
    return await fetch(db, [Part(query, NEWEST_ORDERS_FIRST)], cursor=cursor, limit=limit)


async def order_by_reference(db: AsyncSession, reference: str) -> Order | None:
    return await db.scalar(select(Order).where(Order.payment_reference == reference))


async def order_in_tenant(db: AsyncSession, *, tenant_id: str, order_id: str) -> Order | None:
    return await db.scalar(select(Order).where(Order.id == order_id, Order.tenant_id == tenant_id))


async def invoice_of(db: AsyncSession, *, order_id: str) -> Invoice | None:
    return await db.scalar(select(Invoice).where(Invoice.order_id == order_id))
