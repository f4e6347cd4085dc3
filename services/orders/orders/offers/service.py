"""The offers' rules: a tenant admin creates, edits and withdraws the tenant's offers; orders
already placed keep the price and title they were placed with."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import Principal
from kit.errors import Invalid, NotFound
from orders.offers import repository
from orders.offers.models import Offer
from orders.offers.schemas import OfferCreate, OfferUpdate


async def create_offer(
    db: AsyncSession, *, principal: Principal, data: OfferCreate, now: datetime
) -> Offer:
    offer = Offer(
        tenant_id=principal.tenant_id,
        title=data.title,
        kind=data.kind,
        price_cents=data.price_cents,
        stock=data.stock,
        active=True,
        created_at=now,
    )
    db.add(offer)
    await db.flush()
    return offer


async def update_offer(
    db: AsyncSession, *, principal: Principal, offer_id: str, data: OfferUpdate
) -> Offer:
    """Change an offer of the admin's tenant; orders already placed keep their price."""
    offer = await repository.offer_in_tenant(db, tenant_id=principal.tenant_id, offer_id=offer_id)
    if offer is None:
        raise NotFound("offer not found")
    for field, value in data.model_dump(exclude_unset=True).items():
        if value is None and field != "stock":
            raise Invalid(f"{field} cannot be empty")
        setattr(offer, field, value)
    return offer


async def withdraw_offer(db: AsyncSession, *, principal: Principal, offer_id: str) -> None:
    """Take an offer off the site; past orders still show what they bought."""
    offer = await repository.offer_in_tenant(db, tenant_id=principal.tenant_id, offer_id=offer_id)
    if offer is None or not offer.active:
        raise NotFound("offer not found")
    offer.active = False
