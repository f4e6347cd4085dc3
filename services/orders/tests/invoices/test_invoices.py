"""Invoices numbered without gaps per tenant and year, and the ten-year invoice against the
five-year order record."""

from datetime import timedelta

from sqlalchemy import select

from kit.db import Database
from orders.base import subject_data
from orders.invoices.models import Invoice
from orders.partners.service import Fulfilment
from services.orders.tests.factories import PAID, make_paid_order


async def test_invoices_are_numbered_without_gaps_per_tenant(
    database: Database, fulfilment: Fulfilment
) -> None:
    for _ in range(3):
        await make_paid_order(database, fulfilment)
    await make_paid_order(database, fulfilment, tenant_id="t-2")
    async with database.transaction() as db:
        numbers = (await db.scalars(select(Invoice.number).where(Invoice.tenant_id == "t-1"))).all()
        other = (await db.scalars(select(Invoice.number).where(Invoice.tenant_id == "t-2"))).all()
    assert sorted(numbers) == ["2026-000001", "2026-000002", "2026-000003"]
    assert other == ["2026-000001"]


async def test_the_invoice_outlives_the_order_record(
    database: Database, fulfilment: Fulfilment
) -> None:
    await make_paid_order(database, fulfilment)
    erased_at = PAID + timedelta(days=6 * 365)  # past the order's 5 years, within 10
    async with database.transaction() as db:
        report = {t.table: t for t in await subject_data.erase(db, "u-1", now=erased_at)}
    assert report["orders"].kept_rows == 0 and report["orders"].erased_rows == 1
    assert report["invoices"].kept_rows == 1
    assert report["invoices"].kept_until == PAID.replace(year=2036).isoformat()
    assert "billing_name" in report["invoices"].kept_fields
    assert report["disclosures"].erased_rows == 2 and report["disclosures"].kept_rows == 0
