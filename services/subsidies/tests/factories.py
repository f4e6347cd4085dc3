"""Test data of the subsidies service: plain functions with sensible defaults, each field
overridable by keyword."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from kit.auth import Principal, Role
from kit.crypto import AesGcm
from kit.db import Database
from subsidies.bookings.models import BookingStatus
from subsidies.budgets.models import Budget
from subsidies.grants import service as grants
from subsidies.grants.models import GrantStatus
from subsidies.mandates import fields
from subsidies.mandates.models import MandateStatus
from subsidies.mandates.schemas import MandateIn
from subsidies.rules.models import OfferKind, Rule

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
TENANT = "t-1"
IBAN = "FR76 3000 6000 0112 3456 7890 189"


def make_person(user: str = "u-1", tenant: str = TENANT) -> Principal:
    return Principal(user, tenant, "demo", frozenset({Role.EMPLOYEE}), "s-1")


def make_admin(user: str = "adm", tenant: str = TENANT) -> Principal:
    return Principal(user, tenant, "demo", frozenset({Role.TENANT_ADMIN}), "s-2")


def make_budget(**overrides: Any) -> Budget:
    values: dict[str, Any] = {
        "tenant_id": TENANT,
        "year": NOW.year,
        "amount_cents": 100_000,
        "reserved_cents": 0,
    }
    return Budget(**values | overrides)


def make_rule(**overrides: Any) -> Rule:
    """Cinema tickets for families of two children or more: 3 € each, 30 € a year."""
    values: dict[str, Any] = {
        "tenant_id": TENANT,
        "name": "cinema 2+ children",
        "offer_kind": OfferKind.TICKET,
        "min_children": 2,
        "amount_cents": 300,
        "cap_cents_per_year": 3000,
        "active": True,
        "created_at": NOW,
    }
    return Rule(**values | overrides)


async def add_cinema_rule(database: Database, *, budget: int = 100_000, cap: int = 3000) -> None:
    """The tenant's budget for the year and ``make_rule``'s cinema rule."""
    async with database.transaction() as db:
        db.add(make_budget(amount_cents=budget))
        db.add(make_rule(cap_cents_per_year=cap))


async def order_grant(database: Database, user: str, order: str, quantity: int = 1) -> int:
    """The subsidy held for an order of ``quantity`` cinema tickets at 7.50 €."""
    async with database.transaction() as db:
        return await grants.settle(
            db,
            await grants.plan(
                db,
                tenant_id=TENANT,
                user_id=user,
                lines=[grants.LineIn(OfferKind.TICKET, quantity, 750)],
                now=NOW,
                status=GrantStatus.HELD,
                hold_until=NOW + timedelta(minutes=15),
                order_id=order,
            ),
        )


def make_mandate_in(**overrides: Any) -> MandateIn:
    values: dict[str, Any] = {"holder": "Ann Lee", "iban": IBAN, "bic": "BNPAFRPP"}
    return MandateIn(**values | overrides)


def rule_row(**overrides: Any) -> dict[str, Any]:
    """A row of ``rules`` to insert as is."""
    row: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "tenant_id": TENANT,
        "name": "Rule",
        "offer_kind": None,
        "min_children": 0,
        "amount_cents": 100,
        "percent": None,
        "cap_cents_per_year": 1000,
        "active": True,
        "created_at": NOW,
    }
    return row | overrides


def activity_row(**overrides: Any) -> dict[str, Any]:
    """A row of ``activities`` to insert as is."""
    row: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "tenant_id": TENANT,
        "title": "Trip",
        "price_cents": 1000,
        "starts_at": NOW,
        "seats": None,
        "active": True,
        "created_at": NOW,
    }
    return row | overrides


def mandate_row(cipher: AesGcm, **overrides: Any) -> dict[str, Any]:
    """A row of ``mandates`` to insert as is, its bank details encrypted bound to the row."""
    row: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "reference": f"CSE-{uuid.uuid4().hex[:16].upper()}",
        "tenant_id": TENANT,
        "user_id": "u-1",
        "status": MandateStatus.ACTIVE,
        "signed_at": NOW,
    } | overrides
    clear = {"holder": "Alice Martin", "iban": IBAN.replace(" ", ""), "bic": "BNPAFRPP"}
    for field, value in clear.items():
        row[field] = fields.encrypt(cipher, "mandates", row["id"], field, value)
    return row


def booking_row(**overrides: Any) -> dict[str, Any]:
    """A row of ``bookings`` to insert as is."""
    row: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "tenant_id": TENANT,
        "user_id": "u-1",
        "activity_id": str(uuid.uuid4()),
        "mandate_id": None,
        "price_cents": 1000,
        "subsidy_cents": 0,
        "status": BookingStatus.BOOKED,
        "created_at": NOW,
    }
    return row | overrides
