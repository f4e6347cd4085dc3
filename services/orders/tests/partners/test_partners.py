"""After payment: minimised and pseudonymised partner messages, fulfilment once every partner
acknowledged, Art. 19 messages on erasure and rectification."""

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from kit.db import Database
from kit.events import Envelope
from orders.base import Event, events, subject_data
from orders.handlers import partner_delivery
from orders.orders.models import Order
from orders.partners import repository
from orders.partners.adapter import Ack, MessageType, SandboxPartners
from orders.partners.models import Disclosure
from orders.partners.pseudonyms import Pseudonyms
from orders.partners.service import (
    Fulfilment,
    tell_recipients,
    tell_recipients_of_rectification,
    tell_recipients_to_erase,
)
from services.orders.tests.factories import ADDRESS, PAID, make_paid_order

PARTNER_MESSAGE = Event.PARTNER_MESSAGE


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


async def test_each_partner_gets_only_what_it_needs(
    database: Database, fulfilment: Fulfilment
) -> None:
    order_id = await make_paid_order(database, fulfilment)
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
    database: Database, fulfilment: Fulfilment, tmp_path: Path
) -> None:
    order_id = await make_paid_order(database, fulfilment)
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


async def test_erasure_and_rectification_reach_the_partners(
    database: Database, fulfilment: Fulfilment, tmp_path: Path
) -> None:
    await make_paid_order(database, fulfilment)
    async with database.transaction() as db:
        payload = {"corrections": {"orders": {"orders": {"delivery_street": "9 rue B"}}}}
        told = await tell_recipients_of_rectification(db, "u-1", payload, PAID)
    assert told == {"recipients_told": ["parcels"]}
    rectified = [
        m for m in await outbox(database, PARTNER_MESSAGE) if m["message"]["type"] == "rectify"
    ]
    assert [m["message"]["recipient"]["street"] for m in rectified] == ["9 rue B"]
    await make_paid_order(database, fulfilment)  # a second order: two references a partner
    async with database.transaction() as db:
        assert await tell_recipients_of_rectification(db, "u-1", {"corrections": {}}, PAID) == {}
        held = {(d.partner, d.reference) for d in await repository.disclosures_to_person(db, "u-1")}
        told = await tell_recipients_to_erase(db, "u-1", {}, PAID)
    assert told == {"recipients_told": ["parcels", "ticketing"]}
    erased = [m for m in await outbox(database, PARTNER_MESSAGE) if m["message"]["type"] == "erase"]
    # One message per partner, naming every reference of the person that partner holds.
    assert sorted(m["partner"] for m in erased) == ["parcels", "ticketing"]
    assert {(m["partner"], r) for m in erased for r in m["message"]["references"]} == held
    assert all(len(m["message"]["references"]) == 2 for m in erased)
    assert all(set(m["message"]) == {"type", "references"} for m in erased)
    sandbox = SandboxPartners(tmp_path / "partners")
    for m in erased:  # the sandbox partner keeps a file per reference, as it acts on each
        await sandbox.send(m["partner"], m["message"])
    files = {(p.parent.name, p.name) for p in (tmp_path / "partners").rglob("*.erase.json")}
    assert files == {(partner, f"{reference}.erase.json") for partner, reference in held}
    async with database.transaction() as db:
        told = await tell_recipients(MessageType.RESTRICT)(db, "u-1", {}, PAID)
    assert told == {"recipients_told": ["parcels", "ticketing"]}
    kinds = [m["message"]["type"] for m in await outbox(database, PARTNER_MESSAGE)]
    assert kinds.count("restrict") == 2  # one per partner, both orders in it


async def test_a_fulfilment_message_for_erased_data_is_never_sent(
    database: Database, fulfilment: Fulfilment, tmp_path: Path
) -> None:
    await make_paid_order(database, fulfilment)
    messages = await outbox(database, PARTNER_MESSAGE)
    async with database.transaction() as db:
        await subject_data.erase(db, "u-1", now=PAID + timedelta(days=1))

    class Refusing:
        async def send(self, partner: str, message: dict[str, Any]) -> Ack:
            raise AssertionError("nothing may reach a partner")

    async with database.transaction() as db:
        await partner_delivery(Refusing(), lambda: PAID)(db, envelope(messages[0]))
