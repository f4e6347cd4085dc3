"""Art. 5(1)(e) while the account exists: the worker's schedule ends orders and their
disclosures ``ORDER_RETENTION_YEARS`` after the purchase (Code de commerce L110-4) and invoices
``INVOICE_RETENTION_YEARS`` after they are issued (L123-22), on the day, not a day before; a
live account's older records do not stay forever."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from kit.db import Database
from kit.worker import Job
from orders import jobs
from orders.base import subject_data
from orders.config import Settings
from orders.models import Disclosure, Invoice, Order
from services.orders.tests.factories import order_values

BOUGHT = datetime(2020, 6, 15, 10, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def live_retention() -> Job:
    [job] = [j for j in jobs.scheduled() if j.name == "retention while the account exists"]
    return job


async def run(database: Database, now: datetime) -> int:
    async with database.transaction() as db:
        return await live_retention().run(db, now)


async def ids(database: Database, model: type[Order | Invoice | Disclosure]) -> list[str]:
    async with database.transaction() as db:
        return sorted(await db.scalars(select(model.id)))


async def test_the_schedule_runs_both_purges_hourly() -> None:
    scheduled = {j.name: j.every_seconds for j in jobs.scheduled()}
    assert scheduled == {"retention purge": 3600, "retention while the account exists": 3600}


async def test_orders_invoices_and_disclosures_end_on_their_day(database: Database) -> None:
    order = order_values(id="o-old", created_at=BOUGHT)
    recent = order_values(id="o-recent", created_at=BOUGHT + timedelta(days=400))
    invoice = {
        "id": "i-old",
        "number": "2020-000001",
        "order_id": "o-old",
        "tenant_id": "t-1",
        "user_id": "u-1",
        "issued_at": BOUGHT,
        "lines": [],
        "total_cents": 4000,
        "subsidy_cents": 0,
    }
    disclosure = {
        "id": "d-old",
        "order_id": "o-old",
        "tenant_id": "t-1",
        "user_id": "u-1",
        "kind": "goods",
        "partner": "parcels",
        "reference": "ref",
        "categories": ["delivery address"],
        "sent_at": BOUGHT + timedelta(minutes=5),
    }
    async with database.transaction() as db:
        await db.execute(insert(Order), [order, recent])
        await db.execute(insert(Invoice), [invoice])
        await db.execute(insert(Disclosure), [disclosure])
    five_years = datetime(2025, 6, 15, 10, 0, tzinfo=UTC)
    assert await run(database, five_years - SECOND) == 0
    assert await run(database, five_years) == 1
    assert await ids(database, Order) == ["o-recent"]
    assert await ids(database, Disclosure) == ["d-old"]  # sent five minutes after the purchase
    assert await run(database, five_years + timedelta(minutes=5)) == 1
    assert await ids(database, Disclosure) == []
    # The invoice is the accounting record: ten years.
    assert await ids(database, Invoice) == ["i-old"]
    ten_years = datetime(2030, 6, 15, 10, 0, tzinfo=UTC)
    assert await run(database, ten_years - SECOND) == 1  # o-recent's day came in 2026
    assert await ids(database, Invoice) == ["i-old"]
    assert await run(database, ten_years) == 1
    assert await ids(database, Invoice) == []
    # At their date nothing is left for the law to keep: nothing in the restricted archive.
    async with database.transaction() as db:
        assert (await db.execute(select(subject_data.archive))).all() == []


async def test_the_order_period_is_its_setting(database: Database) -> None:
    """``ORDER_RETENTION_YEARS`` (docs/orders.md) sets the lifetime, not a constant."""
    subject_data.bind(Settings(order_retention_years=3))
    try:
        async with database.transaction() as db:
            await db.execute(insert(Order), [order_values(id="o-1", created_at=BOUGHT)])
        assert await run(database, datetime(2023, 6, 15, 10, 0, tzinfo=UTC) - SECOND) == 0
        assert await run(database, datetime(2023, 6, 15, 10, 0, tzinfo=UTC)) == 1
    finally:
        subject_data.bind(Settings())
