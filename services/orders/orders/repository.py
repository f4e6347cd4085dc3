"""Every query of the orders service; all carry the tenant."""

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from orders.models import Invoice, Offer, Order


async def active_offers(db: AsyncSession, *, tenant_id: str) -> Sequence[Offer]:
    query = select(Offer).where(Offer.tenant_id == tenant_id, Offer.active.is_(True))
    return (await db.scalars(query.order_by(Offer.title))).all()


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


async def orders_of(db: AsyncSession, *, tenant_id: str, user_id: str | None) -> Sequence[Order]:
    query = select(Order).where(Order.tenant_id == tenant_id)
    if user_id is not None:
        query = query.where(Order.user_id == user_id)
    return (await db.scalars(query.order_by(Order.created_at.desc()).limit(500))).all()


async def order_by_reference(db: AsyncSession, reference: str) -> Order | None:
    return await db.scalar(select(Order).where(Order.payment_reference == reference))


async def order_in_tenant(db: AsyncSession, *, tenant_id: str, order_id: str) -> Order | None:
    return await db.scalar(select(Order).where(Order.id == order_id, Order.tenant_id == tenant_id))


async def invoice_of(db: AsyncSession, *, order_id: str) -> Invoice | None:
    return await db.scalar(select(Invoice).where(Invoice.order_id == order_id))
