"""The orders' rules: the server prices every order; an employee sees their own, an admin their
tenant's; only an unpaid order is cancelled. The other services are reached through kit's
typed clients (the buyer's email from identity, the subsidies reserved at subsidies)."""

import asyncio
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import Principal, Role
from kit.clients import IdentityClient, SubsidiesClient
from kit.db import apart, new_id
from kit.errors import Conflict, Invalid, NotFound
from kit.mail import queue_mail
from orders.base import Event, events, subject_data
from orders.offers import repository as offers
from orders.offers.models import OfferKind
from orders.orders import repository
from orders.orders.models import Order, OrderStatus
from orders.orders.schemas import Address, OrderCreate

#: The event that tells an order's new status.
STATUS_EVENTS = {
    OrderStatus.PAID: Event.ORDER_PAID,
    OrderStatus.FULFILLED: Event.ORDER_FULFILLED,
    OrderStatus.REFUNDED: Event.ORDER_REFUNDED,
    OrderStatus.CANCELLED: Event.ORDER_CANCELLED,
}


def to_pay(order: Order) -> int:
    """What the buyer pays: the price less the works council's subsidy."""
    return order.total_cents - order.subsidy_cents


async def announce(db: AsyncSession, order: Order, event: Event | None = None) -> None:
    """``event`` (by default the one of its status) for whoever follows orders (subsidies:
    its grants, and its books); the order's id and amounts only: nothing personal."""
    await events.add(
        db,
        event or STATUS_EVENTS[OrderStatus(order.status)],
        tenant=order.tenant_id,
        subject=order.user_id,
        payload={
            "order_id": order.id,
            "total_cents": order.total_cents,
            "subsidy_cents": order.subsidy_cents,
        },
    )


async def place_order(
    db: AsyncSession,
    *,
    principal: Principal,
    data: OrderCreate,
    now: datetime,
    identity: IdentityClient,
    subsidies: SubsidiesClient,
) -> Order:
    """Price the order from the offers, reserve the buyer's subsidies (held until
    ``order.placed`` confirms them), take the stock, and mail the confirmation to the email
    given or, by default, the account's.

    The subsidies before the stock, and the prices read apart: taking a limited stock locks the
    offer's row until the commit, and the request's session keeps a pooled connection from its
    first statement; both were held across subsidies' answer, so every order of that offer
    waited for the other orders' calls, and every other request of orders for a connection
    (``make load``, ``bench/orders.py``, docs/performance.md). When another order takes the
    last units in between, this one is refused (409) and its hold is released when it ends
    (subsidies' ``HOLD_MINUTES``), as for an order never confirmed.

    The buyer's contact is asked of identity while the prices are read and subsidies reserve:
    only the order's row needs it. The two calls followed each other, and under load each
    waited its turn on a busy core of its peer: the placement was the slowest route of
    ``make load`` (p50 122 ms at 78 operations/s, docs/performance.md). When anything before
    the contact's answer fails, its call is cancelled and the error is the one raised."""
    contact = asyncio.create_task(_contact(data, identity))
    try:
        async with apart(db) as reading:  # no connection of the request's held during the calls
            lines, total, limited = await _priced_lines(reading, principal=principal, data=data)
        order_id = new_id()
        subsidy_cents = await subsidies.reserve(order_id, lines)
        email = await contact
    finally:
        contact.cancel()  # nothing when it has answered
        contact.add_done_callback(_retrieved)
    for offer_id, quantity in limited:
        if not await offers.take_stock(db, offer_id=offer_id, quantity=quantity):
            raise Conflict("not enough left of an offer")
    order = Order(
        id=order_id,
        tenant_id=principal.tenant_id,
        user_id=principal.user_id,
        status=OrderStatus.CREATED,
        items=lines,
        total_cents=total,
        subsidy_cents=subsidy_cents,
        email=email,
        **_delivery(data.delivery_address),
        billing_name=data.billing_address.name if data.billing_address else None,
        billing_address=data.billing_address.one_line() if data.billing_address else None,
        created_at=now,
    )
    db.add(order)
    await db.flush()
    await announce(db, order, Event.ORDER_PLACED)
    await subject_data.record_personal_data(
        db, events, subject=order.user_id, tenant=order.tenant_id
    )
    await queue_mail(db, events, to=order.email, tenant=order.tenant_id, **confirmation(order))
    return order


async def _contact(data: OrderCreate, identity: IdentityClient) -> str:
    """Where the order's mails go: the address given, else the account's (identity's)."""
    return data.email or await identity.contact()


def _retrieved(task: "asyncio.Task[str]") -> None:
    """The contact call's outcome taken, whatever it was, so that asyncio never logs an error
    of a call whose answer was not needed any more as "never retrieved"."""
    if not task.cancelled():
        task.exception()


async def _priced_lines(
    db: AsyncSession, *, principal: Principal, data: OrderCreate
) -> tuple[list[dict[str, Any]], int, list[tuple[str, int]]]:
    """The order's lines at the offers' prices, their total, and the quantities to take from
    limited stocks; refused when one has too few left (taken later, ``place_order``)."""
    ids = [item.offer_id for item in data.items]
    if len(set(ids)) != len(ids):
        raise Invalid("each offer once, with its quantity")
    found = await offers.offers_by_id(db, tenant_id=principal.tenant_id, ids=ids)
    if any(i not in found for i in ids):
        raise NotFound("unknown or withdrawn offer")
    if any(o.kind == OfferKind.GOODS for o in found.values()) and data.delivery_address is None:
        raise Invalid("physical goods need a delivery address")
    lines: list[dict[str, Any]] = []
    limited: list[tuple[str, int]] = []
    for item in data.items:
        offer = found[item.offer_id]
        if offer.stock is not None:
            if offer.stock < item.quantity:
                raise Conflict("not enough left of an offer")
            limited.append((offer.id, item.quantity))
        lines.append(
            {
                "offer_id": offer.id,
                "kind": offer.kind,
                "title": offer.title,
                "quantity": item.quantity,
                "unit_price_cents": offer.price_cents,
            }
        )
    return lines, sum(line["quantity"] * line["unit_price_cents"] for line in lines), limited


def _delivery(address: Address | None) -> dict[str, str | None]:
    """The order's ``delivery_*`` columns."""
    return {
        "delivery_name": address.name if address else None,
        "delivery_street": address.street if address else None,
        "delivery_postcode": address.postcode if address else None,
        "delivery_city": address.city if address else None,
        "delivery_country": address.country if address else None,
    }


def confirmation(order: Order) -> dict[str, str]:
    """The order confirmation mail (French first, then English)."""
    lines = "\n".join(
        f"  - {item['quantity']} x {item['title']} ({item['unit_price_cents'] / 100:.2f} EUR)"
        for item in order.items
    )
    total = f"{order.total_cents / 100:.2f} EUR"
    return {
        "subject": f"Commande {order.id[:8]} confirmée / Order {order.id[:8]} confirmed",
        "text": (
            f"Bonjour,\n\nVotre commande {order.id} est enregistrée :\n{lines}\n"
            f"Total : {total}\n\nHello,\n\nYour order {order.id} is registered.\n"
            f"Total: {total}\n"
        ),
    }


async def visible_order(db: AsyncSession, *, principal: Principal, order_id: str) -> Order:
    """The buyer's own order, or any of the tenant's for its admin unless the buyer's
    processing is restricted (Art. 18: the order is kept, for the buyer and for the law, and
    nobody else looks at it); 404 otherwise."""
    order = await repository.order_in_tenant(db, tenant_id=principal.tenant_id, order_id=order_id)
    if order is not None and (
        order.user_id == principal.user_id
        or (
            Role.TENANT_ADMIN in principal.roles
            and not await subject_data.is_restricted(db, order.user_id)
        )
    ):
        return order
    raise NotFound("order not found")


async def own_order(db: AsyncSession, *, principal: Principal, order_id: str) -> Order:
    """The buyer's own order (paying or cancelling it is theirs alone); 404 otherwise."""
    order = await visible_order(db, principal=principal, order_id=order_id)
    if order.user_id != principal.user_id:
        raise NotFound("order not found")
    return order


async def cancel_order(db: AsyncSession, *, principal: Principal, order_id: str) -> Order:
    """The buyer cancels an unpaid order; a limited stock gets its items back."""
    order = await own_order(db, principal=principal, order_id=order_id)
    if order.status != OrderStatus.CREATED:
        raise Conflict("only an unpaid order can be cancelled")
    order.status = OrderStatus.CANCELLED
    for line in order.items:
        await offers.give_back_stock(db, offer_id=line["offer_id"], quantity=line["quantity"])
    await announce(db, order)
    return order
