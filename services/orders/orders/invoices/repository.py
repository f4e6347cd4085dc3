"""Every query of the invoices."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import take_next
from orders.invoices.models import Invoice, InvoiceCounter


async def next_number(db: AsyncSession, *, tenant_id: str, year: int) -> int:
    """The tenant's next invoice number of ``year``, taken for good: concurrent payments wait
    on the counter's row, never share a number, and leave no gap."""
    return await take_next(db, InvoiceCounter, tenant_id=tenant_id, year=year)


async def invoice_of(db: AsyncSession, *, order_id: str) -> Invoice | None:
    return await db.scalar(select(Invoice).where(Invoice.order_id == order_id))
