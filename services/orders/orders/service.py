"""Orders rules: the server prices every order; an employee sees their own, an admin their
tenant's. No HTTP here except the identity lookup of the buyer's email."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import Principal, Role
from kit.db import new_id
from kit.errors import Conflict, Invalid, NotFound, Unavailable
from kit.mail import queue_mail
from kit.web import call_on_behalf
from orders import fulfilment, repository
from orders.config import Settings
from orders.models import Offer, Order, PaymentEvent, events, subject_data
from orders.payments import Intent, PaymentProvider
from orders.schemas import OfferCreate, OfferUpdate, OrderCreate


def utcnow() -> datetime:
    return datetime.now(UTC)


async def buyer_email(request: Request, settings: Settings) -> str:
    """The account's email, asked of identity for the buyer (a token exchanged for identity,
    which answers orders alone, and only with the buyer's own address)."""
    response = await call_on_behalf(
        request, "identity", "GET", f"{settings.identity_url}/internal/users/contact"
    )
    if response.status_code != 200:
        raise Unavailable("the identity service cannot answer right now")
    return str(response.json()["email"])


#: Reserves the subsidies of an order being placed: (order id, lines) -> subsidy in cents.
Subsidise = Callable[[str, list[dict[str, Any]]], Awaitable[int]]


async def subsidies_for(
    request: Request, settings: Settings, order_id: str, lines: list[dict[str, Any]]
) -> int:
    """Ask the subsidies service, for the buyer (a token exchanged for subsidies, which takes
    grants from orders alone), to reserve what they are entitled to (held until
    ``order.placed`` confirms it, released if the order is cancelled)."""
    body = {
        "order_id": order_id,
        "lines": [
            {
                "kind": line["kind"],
                "quantity": line["quantity"],
                "unit_price_cents": line["unit_price_cents"],
            }
            for line in lines
        ],
    }
    response = await call_on_behalf(
        request, "subsidies", "POST", f"{settings.subsidies_url}/internal/grants", json=body
    )
    if response.status_code != 200:
        raise Unavailable("the subsidies service cannot answer right now; try again")
    return int(response.json()["subsidy_cents"])


async def place_order(
    db: AsyncSession,
    *,
    principal: Principal,
    data: OrderCreate,
    email: str,
    now: datetime,
    subsidise: Subsidise,
) -> Order:
    ids = [item.offer_id for item in data.items]
    if len(set(ids)) != len(ids):
        raise Invalid("each offer once, with its quantity")
    offers = await repository.offers_by_id(db, tenant_id=principal.tenant_id, ids=ids)
    missing = [i for i in ids if i not in offers]
    if missing:
        raise NotFound("unknown or withdrawn offer")
    if any(o.kind == "goods" for o in offers.values()) and data.delivery_address is None:
        raise Invalid("physical goods need a delivery address")
    lines: list[dict[str, Any]] = []
    total = 0
    for item in data.items:
        offer: Offer = offers[item.offer_id]
        if offer.stock is not None and not await repository.take_stock(
            db, offer_id=offer.id, quantity=item.quantity
        ):
            raise Conflict("not enough left of an offer")
        lines.append(
            {
                "offer_id": offer.id,
                "kind": offer.kind,
                "title": offer.title,
                "quantity": item.quantity,
                "unit_price_cents": offer.price_cents,
            }
        )
        total += item.quantity * offer.price_cents
    address, billing = data.delivery_address, data.billing_address
    order_id = new_id()
    order = Order(
        id=order_id,
        tenant_id=principal.tenant_id,
        user_id=principal.user_id,
        status="created",
        items=lines,
        total_cents=total,
        subsidy_cents=await subsidise(order_id, lines),
        email=email,
        delivery_name=address.name if address else None,
        delivery_street=address.street if address else None,
        delivery_postcode=address.postcode if address else None,
        delivery_city=address.city if address else None,
        delivery_country=address.country if address else None,
        billing_name=billing.name if billing else None,
        billing_address=(
            f"{billing.street}, {billing.postcode} {billing.city}, {billing.country}"
            if billing
            else None
        ),
        created_at=now,
    )
    db.add(order)
    await db.flush()
    await fulfilment.announce(db, order, "placed")
    await subject_data.record_personal_data(
        db, events, subject=order.user_id, tenant=order.tenant_id
    )
    await queue_mail(db, events, to=order.email, tenant=order.tenant_id, **confirmation(order))
    return order


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
    """The buyer's own order, or any of the tenant's for its admin; 404 otherwise."""
    order = await repository.order_in_tenant(db, tenant_id=principal.tenant_id, order_id=order_id)
    if order is None or not (
        order.user_id == principal.user_id or Role.TENANT_ADMIN in principal.roles
    ):
        raise NotFound("order not found")
    return order


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


def to_pay(order: Order) -> int:
    """What the buyer pays: the price less the works council's subsidy."""
    return order.total_cents - order.subsidy_cents


#: Statuses only move forward: a late or repeated webhook never takes an order back.
RANK = {"created": 0, "paid": 1, "fulfilled": 2, "refunded": 3, "cancelled": 3}
WEBHOOK_STATUS = {"payment.succeeded": "paid", "payment.refunded": "refunded"}


async def start_payment(
    db: AsyncSession, provider: PaymentProvider, *, principal: Principal, order_id: str
) -> Intent:
    """A payment intent for the buyer's own unpaid order; only its reference is kept."""
    order = await visible_order(db, principal=principal, order_id=order_id)
    if order.user_id != principal.user_id:
        raise NotFound("order not found")
    if order.status != "created":
        raise Conflict("this order is not waiting for a payment")
    intent = provider.create_intent(order_id=order.id, amount_cents=to_pay(order))
    order.payment_reference = intent.reference
    return intent


async def handle_webhook(
    db: AsyncSession, provider: PaymentProvider, *, body: bytes, signature: str, now: datetime
) -> str:
    """Apply a provider's signed webhook once, in order of status, whatever order they come in."""
    event = provider.verify_webhook(body, signature)
    if await db.get(PaymentEvent, event.id) is not None:
        return "duplicate"
    db.add(PaymentEvent(id=event.id, type=event.type, received_at=now))
    order = await repository.order_by_reference(db, event.reference)
    target = WEBHOOK_STATUS.get(event.type)
    if order is None or target is None:
        return "ignored"
    if event.amount_cents != to_pay(order):
        return "ignored: amount differs"
    if RANK[target] <= RANK[order.status]:
        return "ignored: already further"
    order.status = target
    if target == "paid":
        order.paid_at = now
        await fulfilment.on_paid(db, order, now=now)
    await fulfilment.announce(db, order)
    return target


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


async def cancel_order(db: AsyncSession, *, principal: Principal, order_id: str) -> Order:
    """The buyer cancels an unpaid order; a limited stock gets its items back."""
    order = await visible_order(db, principal=principal, order_id=order_id)
    if order.user_id != principal.user_id:
        raise NotFound("order not found")
    if order.status != "created":
        raise Conflict("only an unpaid order can be cancelled")
    order.status = "cancelled"
    for line in order.items:
        await repository.give_back_stock(db, offer_id=line["offer_id"], quantity=line["quantity"])
    await fulfilment.announce(db, order)
    return order
