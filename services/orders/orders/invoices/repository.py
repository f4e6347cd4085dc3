"""Every query of the invoices."""

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import dialect_insert
from orders.invoices.models import Invoice, InvoiceCounter


async def next_number(db: AsyncSession, *, tenant_id: str, year: int) -> int:
    """The tenant's next invoice number of ``year``, taken for good: concurrent payments wait
    on the counter's row, never share a number, and leave no gap."""
    insert = dialect_insert(db)
    await db.execute(
        insert(InvoiceCounter)
        .values(tenant_id=tenant_id, year=year, last=0)
        .on_conflict_do_nothing(index_elements=["tenant_id", "year"])
    )
    last = await db.scalar(
        update(InvoiceCounter)
        .where(InvoiceCounter.tenant_id == tenant_id, InvoiceCounter.year == year)
        .values(last=InvoiceCounter.last + 1)
        .returning(InvoiceCounter.last)
    )
    return int(last)  # type: ignore[arg-type]


async def invoice_of(db: AsyncSession, *, order_id: str) -> Invoice | None:
    return await db.scalar(select(Invoice).where(Invoice.order_id == order_id))
