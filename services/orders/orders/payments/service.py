"""Paying an order: an intent at the provider, then its signed webhooks, applied once each and
in order of status whatever order they come in. A paid order gets its invoice and goes to the
fulfilment partners in the webhook's transaction."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import Principal
from kit.errors import Conflict, NotFound
from orders.invoices.service import issue_invoice
from orders.orders import repository as orders
from orders.orders.models import Order, OrderStatus
from orders.orders.service import announce, own_order, to_pay
from orders.partners.service import Fulfilment, send_to_partners
from orders.payments import repository
from orders.payments.provider import Intent, PaymentProvider, PaymentStatus, SandboxProvider


class Outcome(StrEnum):
    """What a webhook did, when it changed no status (else: the order's new status)."""

    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    AMOUNT_DIFFERS = "ignored: amount differs"
    ALREADY_FURTHER = "ignored: already further"


#: Statuses only move forward: a late or repeated webhook never takes an order back.
RANK: dict[str, int] = {
    OrderStatus.CREATED: 0,
    OrderStatus.PAID: 1,
    OrderStatus.FULFILLED: 2,
    OrderStatus.REFUNDED: 3,
    OrderStatus.CANCELLED: 3,
}
#: The order's status after each kind of webhook (any other kind changes nothing).
WEBHOOK_STATUS: dict[str, OrderStatus] = {
    PaymentStatus.SUCCEEDED: OrderStatus.PAID,
    PaymentStatus.REFUNDED: OrderStatus.REFUNDED,
}


async def start_payment(
    db: AsyncSession, provider: PaymentProvider, *, principal: Principal, order_id: str
) -> Intent:
    """A payment intent for the buyer's own unpaid order; only its reference is kept."""
    order = await own_order(db, principal=principal, order_id=order_id)
    if order.status != OrderStatus.CREATED:
        raise Conflict("this order is not waiting for a payment")
    intent = provider.create_intent(order_id=order.id, amount_cents=to_pay(order))
    order.payment_reference = intent.reference
    return intent


async def handle_webhook(
    db: AsyncSession,
    provider: PaymentProvider,
    fulfilment: Fulfilment,
    *,
    body: bytes,
    signature: str,
    now: datetime,
) -> str:
    """Apply a provider's signed webhook once, in order of status, whatever order they come in;
    answers the order's new status or why nothing changed (an ``Outcome``)."""
    event = provider.verify_webhook(body, signature)
    if not await repository.first_handling(db, event_id=event.id, type=event.type, now=now):
        return Outcome.DUPLICATE
    order = await orders.order_by_reference(db, event.reference)
    target = WEBHOOK_STATUS.get(event.type)
    if order is None or target is None:
        return Outcome.IGNORED
    if event.amount_cents != to_pay(order):
        return Outcome.AMOUNT_DIFFERS
    if RANK[target] <= RANK[order.status]:
        return Outcome.ALREADY_FURTHER
    order.status = target
    if target == OrderStatus.PAID:
        order.paid_at = now
    await announce(db, order)
    if target == OrderStatus.PAID:
        await on_paid(db, order, fulfilment, now=now)
    return target


async def on_paid(db: AsyncSession, order: Order, fulfilment: Fulfilment, *, now: datetime) -> None:
    """What each partner needs to deliver, then the invoice. The invoice last: its number
    locks the tenant's counter row until the commit, and every paid order of the tenant waits
    for that row; taken last, it is held for one insert, not for the partners' rows and events
    too (``make load``: lock waits grew with the rate, docs/performance.md)."""
    await send_to_partners(db, order, fulfilment, now=now)
    await issue_invoice(db, order, now=now)


async def pay_in_sandbox(
    db: AsyncSession,
    provider: PaymentProvider,
    fulfilment: Fulfilment,
    *,
    principal: Principal,
    reference: str,
    now: datetime,
) -> str:
    """The sandbox's hosted page: the buyer confirms their own payment and the sandbox sends
    its signed webhook, handled as any other."""
    order = await orders.order_by_reference(db, reference)
    if (
        not isinstance(provider, SandboxProvider)
        or order is None
        or order.user_id != principal.user_id
    ):
        raise NotFound("no such payment")
    body, signature = provider.webhook(
        event_type=PaymentStatus.SUCCEEDED, reference=reference, amount_cents=to_pay(order)
    )
    return await handle_webhook(db, provider, fulfilment, body=body, signature=signature, now=now)
