"""Test data of the orders service: plain functions with sensible defaults, each value
overridable by keyword."""

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from kit.auth import Principal, Role
from kit.db import Database
from orders.offers.models import Offer, OfferKind
from orders.orders.models import Order, OrderStatus
from orders.partners.service import Fulfilment
from orders.payments.service import on_paid

PAID = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ADDRESS = {"name": "Dana D", "street": "1 rue A", "postcode": "75001", "city": "Paris"}
#: A ticket (its partner gets a holder reference) and goods (a name and address).
TICKET_AND_GOODS = [
    {"offer_id": "o1", "kind": OfferKind.TICKET, "title": "Cinema", "quantity": 2},
    {"offer_id": "o2", "kind": OfferKind.GOODS, "title": "Basket", "quantity": 1},
]


def order_values(
    *, delivery: Mapping[str, str] | None = ADDRESS, **overrides: Any
) -> dict[str, Any]:
    """The columns of a paid order of a ticket and goods delivered to ``delivery`` (None: no
    delivery address), with a fresh id."""
    address = dict(delivery or {})
    if delivery is not None:
        address.setdefault("country", "FR")
    values: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "tenant_id": "t-1",
        "user_id": "u-1",
        "status": OrderStatus.PAID,
        "items": [dict(line) for line in TICKET_AND_GOODS],
        "total_cents": 4000,
        "subsidy_cents": 0,
        "email": "dana@demo.test",
        "created_at": PAID,
    }
    values |= {f"delivery_{field}": value for field, value in address.items()}
    return values | overrides


def make_order(**overrides: Any) -> Order:
    return Order(**order_values(**overrides))


def offer_values(**overrides: Any) -> dict[str, Any]:
    """The columns of a ticket on sale, with a fresh id."""
    values: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "tenant_id": "t-1",
        "title": "Offer",
        "kind": OfferKind.TICKET,
        "price_cents": 500,
        "stock": None,
        "active": True,
        "created_at": PAID,
    }
    return values | overrides


def make_offer(**overrides: Any) -> Offer:
    return Offer(**offer_values(**overrides))


def make_principal(
    user_id: str, *roles: Role, tenant_id: str = "t-1", tenant_slug: str = "demo"
) -> Principal:
    """Who calls, with ``roles`` (an employee by default)."""
    names = frozenset(role.value for role in roles or (Role.EMPLOYEE,))
    return Principal(user_id, tenant_id, tenant_slug, names, "s")


async def make_paid_order(
    database: Database,
    fulfilment: Fulfilment,
    *,
    user_id: str = "u-1",
    tenant_id: str = "t-1",
) -> str:
    """An order paid at ``PAID`` (its invoice issued, its partners' messages in the outbox);
    its id."""
    async with database.transaction() as db:
        placed = make_order(user_id=user_id, tenant_id=tenant_id)
        db.add(placed)
        await db.flush()
        await on_paid(db, placed, fulfilment, now=PAID)
        return placed.id
