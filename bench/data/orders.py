"""The population in orders: each tenant's offers (the demo seed's), ~6 orders a year per
person with 1-3 items, the provider's webhooks, invoices numbered per tenant and year, what went
to which fulfilment partner, billing and delivery addresses."""

import hashlib
import hmac
from typing import Any

from sqlalchemy import select

from bench.data.bulk import Bulk, as_json
from bench.data.plan import CITIES, DAY, OFFERS, Person, Plan, uid
from bench.data.plan import Order as PlannedOrder
from kit.db import Database
from orders.config import get_settings
from orders.models import (
    Disclosure,
    Invoice,
    InvoiceCounter,
    Offer,
    Order,
    PaymentEvent,
    subject_data,
)
from orders.partners.models import DISCLOSED
from orders.partners.pseudonyms import Pseudonyms
from orders.payments.provider import PaymentStatus
from orders.seed import offers as seed_offers

ORDER_COLUMNS = (
    "id", "tenant_id", "user_id", "status", "items", "total_cents", "subsidy_cents", "email",
    "delivery_name", "delivery_street", "delivery_postcode", "delivery_city",
    "delivery_country", "billing_name", "billing_address", "created_at", "payment_reference",
    "paid_at",
)  # fmt: skip
INVOICE_COLUMNS = (
    "id", "number", "order_id", "tenant_id", "user_id", "issued_at", "lines", "total_cents",
    "subsidy_cents", "billing_name", "billing_address",
)  # fmt: skip
DISCLOSURE_COLUMNS = (
    "id", "order_id", "tenant_id", "user_id", "kind", "partner", "reference", "categories",
    "sent_at", "acknowledged_at", "tracking",
)  # fmt: skip
PAYMENT_DELAY, ACK_DELAY = DAY * 0.01, DAY * 0.001
STREETS = ("rue de la République", "avenue Jean Jaurès", "boulevard Victor Hugo", "rue Pasteur")


async def _offers(database: Database, plan: Plan) -> dict[str, list[dict[str, Any]]]:
    """Each tenant's offers as order lines take them, seeded where missing."""
    lines: dict[str, list[dict[str, Any]]] = {}
    async with database.transaction() as db:
        for tenant in plan.tenant_list:
            await seed_offers(db, tenant.id, plan.now - DAY * 1200)
        await db.flush()
        for tenant in plan.tenant_list:
            rows = {
                o.title: o
                for o in await db.scalars(select(Offer).where(Offer.tenant_id == tenant.id))
            }
            lines[tenant.id] = [
                {
                    "offer_id": rows[title].id,
                    "kind": kind,
                    "title": title,
                    "unit_price_cents": price,
                }
                for title, kind, price in OFFERS
            ]
    return lines


class _Writer:
    """The rows of one chunk of people, built as fast as Python allows: the JSON of a set of
    items is encoded once per tenant, and the partners' keyed references use their key made
    once (what ``Pseudonyms.order`` computes; checked on the first)."""

    def __init__(self, plan: Plan, offers: dict[str, list[dict[str, Any]]]) -> None:
        settings = get_settings()
        subject_data.bind(settings)
        self.digest = subject_data._digest(subject_data.categories())
        self.offers = offers
        self.pseudonyms = Pseudonyms(settings.pseudonym_key.get_secret_value().encode())
        self.partners = dict(settings.partners)
        self.partner_keys = {
            partner: hmac.new(
                self.pseudonyms.key, f"partner:{partner}".encode(), hashlib.sha256
            ).digest()
            for partner in self.partners.values()
        }
        self.items: dict[tuple[Any, ...], str] = {}
        self.categories = {str(kind): as_json(names) for kind, names in DISCLOSED.items()}
        self.counters: dict[tuple[str, int], int] = {}
        self.checked = False

    def reference(self, partner: str, order_id: str) -> str:
        mac = hmac.digest(self.partner_keys[partner], f"order:{order_id}".encode(), "sha256")
        reference = "ord_" + mac.hex()[:24]
        if not self.checked:
            assert reference == self.pseudonyms.order(partner, order_id)
            self.checked = True
        return reference

    def items_json(self, tenant_id: str, order: PlannedOrder) -> str:
        key = (tenant_id, *((line.offer, line.quantity) for line in order.lines))
        text = self.items.get(key)
        if text is None:
            offers = self.offers[tenant_id]
            text = self.items[key] = as_json(
                [offers[line.offer] | {"quantity": line.quantity} for line in order.lines]
            )
        return text

    def person(self, p: Person, rows: dict[str, list[tuple[Any, ...]]]) -> None:
        rng = p.rng
        name = f"{p.first_name} {p.last_name}"
        postcode, city = rng.choice(CITIES)
        street = f"{rng.randint(1, 120)} {rng.choice(STREETS)}"
        billing = f"{street}, {postcode} {city}"
        tenant_id = p.tenant.id
        for o in p.orders:
            items = self.items_json(tenant_id, o)
            total = o.total_cents
            delivery = (name, street, postcode, city, "FR") if o.goods else (None,) * 5
            paid_at = o.at + PAYMENT_DELAY if o.paid else None
            rows["orders"].append(
                (o.id, tenant_id, p.id, o.status, items, total, o.subsidy_cents,
                 p.email, *delivery, name, billing, o.at, o.payment_reference, paid_at)
            )  # fmt: skip
            if paid_at is None:
                continue
            rows["payments"].append(
                (f"evt_{rng.getrandbits(96):024x}", PaymentStatus.SUCCEEDED, paid_at)
            )
            if o.status == "refunded":
                rows["payments"].append(
                    (f"evt_{rng.getrandbits(96):024x}", PaymentStatus.REFUNDED, paid_at + DAY)
                )
            key = (tenant_id, paid_at.year)
            number = self.counters[key] = self.counters.get(key, 0) + 1
            rows["invoices"].append(
                (uid(rng), f"{paid_at.year}-{number:06d}", o.id, tenant_id, p.id,
                 paid_at, items, total, o.subsidy_cents, name, billing)
            )  # fmt: skip
            for kind in sorted({line.kind for line in o.lines}):
                partner = self.partners.get(kind)
                if partner is None:
                    continue
                acknowledged = paid_at + ACK_DELAY if o.status != "paid" else None
                tracking = f"TRK{rng.getrandbits(40):010X}" if kind == "goods" else None
                rows["disclosures"].append(
                    (uid(rng), o.id, tenant_id, p.id, kind, partner,
                     self.reference(partner, o.id), self.categories[kind], paid_at,
                     acknowledged, tracking)
                )  # fmt: skip
        rows["marks"].append((p.id, self.digest, p.orders[0].at))


TABLES = {
    "orders": (Order.__table__, ORDER_COLUMNS),
    "invoices": (Invoice.__table__, INVOICE_COLUMNS),
    "disclosures": (Disclosure.__table__, DISCLOSURE_COLUMNS),
    "payments": (PaymentEvent.__table__, ("id", "type", "received_at")),
    "marks": (subject_data.announced, ("subject", "categories", "at")),
}


async def write(
    plan: Plan, bulk: Bulk, chunks: list[tuple[int, int]], password: str | None
) -> None:
    writer = _Writer(plan, await _offers(bulk.database, plan))
    async with bulk.database.transaction() as db:
        known = {(c.tenant_id, c.year): c.last for c in await db.scalars(select(InvoiceCounter))}
    writer.counters.update(known)
    for start, stop in chunks:
        rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in TABLES}
        for p in plan.people(start, stop):
            if p.orders:
                writer.person(p, rows)
        for name, (table, columns) in TABLES.items():
            await bulk.write(table, columns, rows[name])
    async with bulk.database.transaction() as db:
        for (tenant_id, year), last in writer.counters.items():
            if (tenant_id, year) in known:
                row = await db.scalar(
                    select(InvoiceCounter).where(
                        InvoiceCounter.tenant_id == tenant_id, InvoiceCounter.year == year
                    )
                )
                assert row is not None
                row.last = last
            else:
                db.add(InvoiceCounter(tenant_id=tenant_id, year=year, last=last))
