"""Grants: the subsidies given, accounting records kept after the grant
(``grant_retention_years``)."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import UtcDateTime, new_id
from kit.privacy.declarations import Lifetime, Retention, not_personal, personal, subject_table
from subsidies.base import ACTIVITIES, ID, OBLIGATION, Base


class GrantStatus(StrEnum):
    HELD = "held"
    PLACED = "placed"
    PAID = "paid"
    RELEASED = "released"


#: The grants that count against a person's cap and the tenant's budget.
LIVE = (GrantStatus.HELD, GrantStatus.PLACED, GrantStatus.PAID)


class OrderEvent(StrEnum):
    """The orders' events that move the grants held for an order."""

    PLACED = "order.placed"
    PAID = "order.paid"
    CANCELLED = "order.cancelled"
    REFUNDED = "order.refunded"


GRANT_RECORD = Retention(
    years=10,
    setting="grant_retention_years",
    counted_from="created_at",
    basis=OBLIGATION,
    reason="works council accounts (Code du travail L2315-65, Code de commerce L123-22)",
    keep=("id", "rule_id", "kind", "amount_cents", "year", "status", "order_id", "booking_id"),
)
GRANTED = personal("subsidies received", ACTIVITIES, OBLIGATION, provided=False, retained=True)


class Grant(Base):
    """A subsidy reserved for an order or a booking: held, placed, paid or released."""

    __tablename__ = "grants"
    __table_args__ = (
        {
            "info": subject_table(
                "user_id",
                tenant="tenant_id",
                source="us, from your orders and bookings",
                retention=GRANT_RECORD,
                lifetime=Lifetime.of(GRANT_RECORD),
                kept="{grant_retention_years} years after the grant (works council accounts)",
            )
        },
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True, info=GRANTED)
    user_id: Mapped[str] = mapped_column(String(36), index=True, info=GRANTED)
    rule_id: Mapped[str] = mapped_column(String(36), info=not_personal("a rule id"))
    #: An ``OfferKind``.
    kind: Mapped[str] = mapped_column(String(20), info=not_personal("a kind of offer"))
    order_id: Mapped[str | None] = mapped_column(
        String(36), index=True, info=not_personal("random id of an order")
    )
    booking_id: Mapped[str | None] = mapped_column(
        String(36), index=True, info=not_personal("random id of a booking")
    )
    amount_cents: Mapped[int] = mapped_column(Integer, info=not_personal("an amount"))
    year: Mapped[int] = mapped_column(Integer, info=not_personal("a year"))
    #: A ``GrantStatus``.
    status: Mapped[str] = mapped_column(String(20), info=not_personal("a status"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, info=GRANTED)
    #: A held grant not confirmed by its order by then is released.
    hold_until: Mapped[datetime | None] = mapped_column(UtcDateTime, info=not_personal("a date"))
