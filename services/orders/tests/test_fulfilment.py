"""After payment: invoices numbered without gaps, minimised and pseudonymised partner messages,
fulfilment once every partner acknowledged, Art. 19 messages on erasure and rectification, and
the ten-year invoice against the five-year order record."""

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from kit.db import Database
from kit.events import Envelope
from kit.testing import sqlite_database
from orders.fulfilment import (
    on_paid,
    partner_delivery,
    tell_recipients,
    tell_recipients_of_rectification,
    tell_recipients_to_erase,
)
from orders.models import Base, Disclosure, Invoice, Order, events, subject_data
from orders.partners import PARTNER_MESSAGE, Ack, Pseudonyms, SandboxPartners

PAID = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ADDRESS = {"name": "Dana D", "street": "1 rue A", "postcode": "75001", "city": "Paris"}


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    async with sqlite_database(tmp_path, Base.metadata) as db:
        yield db


def order(user: str = "u-1", *, tenant: str = "t-1") -> Order:
    return Order(
        tenant_id=tenant,
        user_id=user,
        status="paid",
        items=[
            {"offer_id": "o1", "kind": "ticket", "title": "Cinema", "quantity": 2},
            {"offer_id": "o2", "kind": "goods", "title": "Basket", "quantity": 1},
        ],
        total_cents=4000,
        subsidy_cents=0,
        email="dana@demo.test",
        delivery_name=ADDRESS["name"],
        delivery_street=ADDRESS["street"],
        delivery_postcode=ADDRESS["postcode"],
        delivery_city=ADDRESS["city"],
        delivery_country="FR",
        created_at=PAID,
    )


async def paid(database: Database, user: str = "u-1", tenant: str = "t-1") -> str:
    async with database.transaction() as db:
        placed = order(user, tenant=tenant)
        db.add(placed)
        await db.flush()
        await on_paid(db, placed, now=PAID)
        return placed.id


async def outbox(database: Database, event_type: str) -> list[dict[str, Any]]:
    async with database.transaction() as db:
        rows = (await db.execute(select(events.outbox))).mappings().all()
    return [json.loads(r["body"])["payload"] for r in rows if r["type"] == event_type]


def test_references_are_stable_per_partner_and_unlinkable_across_partners() -> None:
    names = Pseudonyms(b"k" * 32)
    assert names.order("ticketing", "o-1") == names.order("ticketing", "o-1")
    assert names.order("ticketing", "o-1") != names.order("parcels", "o-1")
    assert names.holder("ticketing", "u-1") != names.holder("gift-cards", "u-1")
    assert "o-1" not in names.order("ticketing", "o-1")
    assert Pseudonyms(b"x" * 32).order("ticketing", "o-1") != names.order("ticketing", "o-1")


async def test_invoices_are_numbered_without_gaps_per_tenant(database: Database) -> None:
    for _ in range(3):
        await paid(database)
    await paid(database, tenant="t-2")
    async with database.transaction() as db:
        numbers = (await db.scalars(select(Invoice.number).where(Invoice.tenant_id == "t-1"))).all()
        other = (await db.scalars(select(Invoice.number).where(Invoice.tenant_id == "t-2"))).all()
    assert sorted(numbers) == ["2026-000001", "2026-000002", "2026-000003"]
    assert other == ["2026-000001"]


async def test_each_partner_gets_only_what_it_needs(database: Database) -> None:
    order_id = await paid(database)
    messages = {m["partner"]: m["message"] for m in await outbox(database, PARTNER_MESSAGE)}
    assert set(messages) == {"ticketing", "parcels"}
    ticket, parcel = messages["ticketing"], messages["parcels"]
    assert ticket["holder"].startswith("hld_") and "recipient" not in ticket
    assert parcel["recipient"]["street"] == ADDRESS["street"] and "holder" not in parcel
    flat = json.dumps(messages)
    assert order_id not in flat and "u-1" not in flat and "dana@demo.test" not in flat
    assert ticket["reference"] != parcel["reference"]
    async with database.transaction() as db:
        recorded = (await db.scalars(select(Disclosure))).all()
    assert {(d.partner, tuple(d.categories)) for d in recorded} == {
        ("ticketing", ("pseudonymous holder reference", "items")),
        ("parcels", ("name", "delivery address", "items")),
    }


def envelope(payload: dict[str, Any]) -> Envelope:
    return Envelope(type=PARTNER_MESSAGE, source="orders", tenant="t-1", payload=payload)


async def test_fulfilled_once_every_partner_acknowledged(
    database: Database, tmp_path: Path
) -> None:
    order_id = await paid(database)
    partners = SandboxPartners(tmp_path / "partners")
    deliver = partner_delivery(partners, lambda: PAID + timedelta(hours=1))
    messages = await outbox(database, PARTNER_MESSAGE)
    async with database.transaction() as db:
        await deliver(db, envelope(messages[0]))
        assert (await db.get(Order, order_id)).status == "paid"  # type: ignore[union-attr]
    async with database.transaction() as db:
        await deliver(db, envelope(messages[1]))
        assert (await db.get(Order, order_id)).status == "fulfilled"  # type: ignore[union-attr]
    mails = await outbox(database, "mail.requested")
    assert any("shipped" in m["subject"] for m in mails)
    files = sorted(p.name for p in (tmp_path / "partners").rglob("*.json"))
    assert len(files) == 2 and all(f.endswith(".fulfil.json") for f in files)


async def test_erasure_and_rectification_reach_the_partners(database: Database) -> None:
    await paid(database)
    async with database.transaction() as db:
        payload = {"corrections": {"orders": {"orders": {"delivery_street": "9 rue B"}}}}
        told = await tell_recipients_of_rectification(db, "u-1", payload, PAID)
    assert told == {"recipients_told": ["parcels"]}
    rectified = [
        m for m in await outbox(database, PARTNER_MESSAGE) if m["message"]["type"] == "rectify"
    ]
    assert [m["message"]["recipient"]["street"] for m in rectified] == ["9 rue B"]
    async with database.transaction() as db:
        assert await tell_recipients_of_rectification(db, "u-1", {"corrections": {}}, PAID) == {}
        told = await tell_recipients_to_erase(db, "u-1", {}, PAID)
    assert told == {"recipients_told": ["parcels", "ticketing"]}
    erased = [m for m in await outbox(database, PARTNER_MESSAGE) if m["message"]["type"] == "erase"]
    assert len(erased) == 2 and all(set(m["message"]) == {"type", "reference"} for m in erased)
    async with database.transaction() as db:
        told = await tell_recipients("restrict")(db, "u-1", {}, PAID)
    assert told == {"recipients_told": ["parcels", "ticketing"]}
    kinds = [m["message"]["type"] for m in await outbox(database, PARTNER_MESSAGE)]
    assert kinds.count("restrict") == 2


async def test_a_fulfilment_message_for_erased_data_is_never_sent(
    database: Database, tmp_path: Path
) -> None:
    await paid(database)
    messages = await outbox(database, PARTNER_MESSAGE)
    async with database.transaction() as db:
        await subject_data.erase(db, "u-1", now=PAID + timedelta(days=1))

    class Refusing:
        async def send(self, partner: str, message: dict[str, Any]) -> Ack:
            raise AssertionError("nothing may reach a partner")

    async with database.transaction() as db:
        await partner_delivery(Refusing(), lambda: PAID)(db, envelope(messages[0]))


async def test_the_invoice_outlives_the_order_record(database: Database) -> None:
    await paid(database)
    erased_at = PAID + timedelta(days=6 * 365)  # past the order's 5 years, within 10
    async with database.transaction() as db:
        report = {t.table: t for t in await subject_data.erase(db, "u-1", now=erased_at)}
    assert report["orders"].kept_rows == 0 and report["orders"].erased_rows == 1
    assert report["invoices"].kept_rows == 1
    assert report["invoices"].kept_until == PAID.replace(year=2036).isoformat()
    assert "billing_name" in report["invoices"].kept_fields
    assert report["disclosures"].erased_rows == 2 and report["disclosures"].kept_rows == 0
