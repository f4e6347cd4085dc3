"""Invoices: ``/api/orders/{order_id}/invoice``."""

from fastapi import APIRouter

from kit.auth import CurrentUser
from kit.db import SessionDep
from kit.privacy.audit import Auditor
from orders.invoices import service
from orders.invoices.schemas import InvoicePublic
from orders.orders.service import visible_order

router = APIRouter(prefix="/api/orders", tags=["orders"])


@router.get("/{order_id}/invoice")
async def get_invoice(
    order_id: str, principal: CurrentUser, db: SessionDep, audit: Auditor
) -> InvoicePublic:
    """The invoice of a paid order (the buyer's own, or any of the tenant's for its admin)."""
    order = await visible_order(db, principal=principal, order_id=order_id)
    await audit.read([order.user_id], "invoice")
    invoice = await service.invoice_of(db, order)
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
