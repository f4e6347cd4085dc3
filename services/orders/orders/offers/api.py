"""The tenant's offers: ``/api/offers``."""

from fastapi import APIRouter, Response, status

from kit.auth import CurrentUser, TenantAdmin
from kit.db import ReadSessionDep, SessionDep, utcnow
from kit.pagination import DEFAULT_LIMIT, PAGED_RESPONSES, Cursor, Limit
from orders.offers import repository, service
from orders.offers.models import Offer
from orders.offers.schemas import OfferCreate, OfferPublic, OfferUpdate

router = APIRouter(prefix="/api/offers", tags=["offers"])


def public(offer: Offer) -> OfferPublic:
    return OfferPublic(
        id=offer.id,
        title=offer.title,
        kind=offer.kind,
        price_cents=offer.price_cents,
        stock=offer.stock,
    )


@router.get("", responses=PAGED_RESPONSES)
async def list_offers(
    principal: CurrentUser,
    db: ReadSessionDep,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[OfferPublic]:
    """The tenant's offers on sale, the newest first; one page (``X-Next-Cursor`` holds the
    next one's cursor)."""
    page = await repository.active_offers_page(
        db, tenant_id=principal.tenant_id, cursor=cursor, limit=limit
    )
    return page.map(public).send(response)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_offer(body: OfferCreate, admin: TenantAdmin, db: SessionDep) -> OfferPublic:
    return public(await service.create_offer(db, principal=admin, data=body, now=utcnow()))


@router.patch("/{offer_id}")
async def update_offer(
    offer_id: str, body: OfferUpdate, admin: TenantAdmin, db: SessionDep
) -> OfferPublic:
    return public(await service.update_offer(db, principal=admin, offer_id=offer_id, data=body))


@router.delete("/{offer_id}", status_code=status.HTTP_204_NO_CONTENT)
async def withdraw_offer(offer_id: str, admin: TenantAdmin, db: SessionDep) -> None:
    await service.withdraw_offer(db, principal=admin, offer_id=offer_id)
