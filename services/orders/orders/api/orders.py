"""Orders: ``/api/orders``. An employee sees their own, a tenant admin the tenant's."""

from typing import Any

from fastapi import APIRouter, Request, Response, status

from kit.auth import CurrentUser, Role
from kit.db import SessionDep
from kit.errors import NotFound
from kit.pagination import DEFAULT_LIMIT, PAGED_RESPONSES, Cursor, Limit
from kit.privacy.audit import Auditor
from orders import repository, service
from orders.models import Order
from orders.schemas import InvoicePublic, OrderCreate, OrderPublic

router = APIRouter(prefix="/api/orders", tags=["orders"])


def public(order: Order) -> OrderPublic:
    address = None
    if order.delivery_street:
        address = {
            "name": order.delivery_name,
            "street": order.delivery_street,
            "postcode": order.delivery_postcode,
            "city": order.delivery_city,
            "country": order.delivery_country,
        }
    return OrderPublic(
        id=order.id,
        status=order.status,
        items=order.items,
        total_cents=order.total_cents,
        subsidy_cents=order.subsidy_cents,
        to_pay_cents=service.to_pay(order),
        email=order.email,
        delivery_address=address,
        created_at=order.created_at,
    )


@router.post("", status_code=status.HTTP_201_CREATED)
async def place(
    body: OrderCreate, request: Request, principal: CurrentUser, db: SessionDep
) -> OrderPublic:
    """Place an order; prices come from the offers, never from the client."""
    email = body.email or await service.buyer_email(request, request.app.state.settings)
    settings = request.app.state.settings

    async def subsidise(order_id: str, lines: list[dict[str, Any]]) -> int:
        return await service.subsidies_for(request, settings, order_id, lines)

    order = await service.place_order(
        db, principal=principal, data=body, email=email, now=service.utcnow(), subsidise=subsidise
    )
    return public(order)


@router.get("", responses=PAGED_RESPONSES)
async def list_orders(
    principal: CurrentUser,
    db: SessionDep,
    audit: Auditor,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[OrderPublic]:
    """Your orders, or the tenant's for its admin, the newest first; one page
    (``X-Next-Cursor`` holds the next one's cursor)."""
    mine = None if Role.TENANT_ADMIN in principal.roles else principal.user_id
    page = await repository.orders_page(
        db, tenant_id=principal.tenant_id, user_id=mine, cursor=cursor, limit=limit
    )
    await audit.read({o.user_id for o in page.items}, "orders")
    return page.map(public).send(response)


@router.get("/{order_id}")
async def get_order(
    order_id: str, principal: CurrentUser, db: SessionDep, audit: Auditor
) -> OrderPublic:
    order = await service.visible_order(db, principal=principal, order_id=order_id)
    await audit.read([order.user_id], "order")
    return public(order)


@router.post("/{order_id}/cancel")
async def cancel(order_id: str, principal: CurrentUser, db: SessionDep) -> OrderPublic:
    return public(await service.cancel_order(db, principal=principal, order_id=order_id))


@router.get("/{order_id}/invoice")
async def get_invoice(
    order_id: str, principal: CurrentUser, db: SessionDep, audit: Auditor
) -> InvoicePublic:
    """The invoice of a paid order (the buyer's own, or any of the tenant's for its admin)."""
    order = await service.visible_order(db, principal=principal, order_id=order_id)
    await audit.read([order.user_id], "invoice")
    invoice = await repository.invoice_of(db, order_id=order.id)
    if invoice is None:
        raise NotFound("no invoice yet: the order is not paid")
    return InvoicePublic(
        number=invoice.number,
        order_id=invoice.order_id,
        issued_at=invoice.issued_at,
        lines=invoice.lines,
        total_cents=invoice.total_cents,
        subsidy_cents=invoice.subsidy_cents,
        billing_name=invoice.billing_name,
        billing_address=invoice.billing_address,
    )
