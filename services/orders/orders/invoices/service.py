"""Issuing the invoice of a paid order, in the payment's transaction."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kit.errors import NotFound
from orders.invoices import repository
from orders.invoices.models import Invoice
from orders.orders.models import Order


async def issue_invoice(db: AsyncSession, order: Order, *, now: datetime) -> Invoice:
    """Numbered ``YYYY-NNNNNN`` per tenant and year; billed to the buyer's billing name and
    address, or to the delivery ones when they gave none."""
    number = await repository.next_number(db, tenant_id=order.tenant_id, year=now.year)
    billing_name, billing_address = order.billing_name, order.billing_address
    if billing_name is None and order.delivery_street:
        billing_name = order.delivery_name
        billing_address = (
            f"{order.delivery_street}, {order.delivery_postcode} {order.delivery_city}, "
            f"{order.delivery_country}"
        )
    invoice = Invoice(
        number=f"{now.year}-{number:06d}",
        order_id=order.id,
        tenant_id=order.tenant_id,
        user_id=order.user_id,
        issued_at=now,
        lines=order.items,
        total_cents=order.total_cents,
        subsidy_cents=order.subsidy_cents,
        billing_name=billing_name,
        billing_address=billing_address,
    )
    db.add(invoice)
    await db.flush()
    return invoice


async def invoice_of(db: AsyncSession, order: Order) -> Invoice:
    """The invoice of an order; 404 while the order is not paid."""
    invoice = await repository.invoice_of(db, order_id=order.id)
    if invoice is None:
        raise NotFound("no invoice yet: the order is not paid")
    return invoice
