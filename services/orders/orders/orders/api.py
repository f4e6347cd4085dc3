"""Orders: ``/api/orders``. An employee sees their own, a tenant admin the tenant's."""

from fastapi import APIRouter, Response, status

from kit.auth import CurrentUser, Role
from kit.clients import ClientsDep
from kit.db import SessionDep, utcnow
from kit.pagination import DEFAULT_LIMIT, PAGED_RESPONSES, Cursor, Limit
from kit.privacy.audit import Auditor
from orders.orders import repository, service
from orders.orders.models import Order
from orders.orders.schemas import OrderCreate, OrderPublic

router = APIRouter(prefix="/api/orders", tags=["orders"])


def public(order: Order) -> OrderPublic:
    return OrderPublic(
        id=order.id,
        status=order.status,
        items=order.items,
        total_cents=order.total_cents,
        subsidy_cents=order.subsidy_cents,
        to_pay_cents=service.to_pay(order),
        email=order.email,
        delivery_address=order.recipient() if order.delivery_street else None,
        created_at=order.created_at,
    )


@router.post("", status_code=status.HTTP_201_CREATED)
async def place(
    body: OrderCreate, principal: CurrentUser, db: SessionDep, clients: ClientsDep
) -> OrderPublic:
    """Place an order; prices come from the offers, never from the client."""
    order = await service.place_order(
        db,
        principal=principal,
        data=body,
        now=utcnow(),
        identity=clients.identity,
        subsidies=clients.subsidies,
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
