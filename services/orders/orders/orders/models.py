"""Employees' orders, and what the law keeps of them.

An order is kept ``ORDER_RETENTION_YEARS`` after the purchase (the commercial limitation
period). On erasure the delivery and billing details go at once; the record of the sale (who by
keyed hash, the email, when, what, how much, the payment reference) moves to the restricted
archive until its date.
"""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import UtcDateTime, new_id
from kit.privacy.declarations import (
    LegalBasis,
    Lifetime,
    Purpose,
    Retention,
    not_personal,
    personal,
    subject_table,
)
from orders.base import ID, Base

ORDERS, CONTRACT = Purpose.ORDER_PROCESSING, LegalBasis.CONTRACT


class OrderStatus(StrEnum):
    """Statuses only move forward: created, paid, fulfilled; cancelled (by the buyer, unpaid
    only) or refunded (the provider's webhook) at the end."""

    CREATED = "created"
    PAID = "paid"
    FULFILLED = "fulfilled"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"


PURCHASE_RECORD = Retention(
    years=5,
    setting="order_retention_years",
    counted_from="created_at",
    # A limitation period: kept to defend a claim over the sale, not because a law says so.
    basis=LegalBasis.LEGAL_CLAIMS,
    reason="commercial limitation period (Code de commerce, art. L110-4)",
    keep=("id", "status", "items", "total_cents", "subsidy_cents"),
)
RECORD = personal("purchase", ORDERS, CONTRACT, provided=False, retained=True)
DELIVERY = personal("delivery address", ORDERS, CONTRACT)
BILLING = personal("billing address", ORDERS, CONTRACT)
#: The delivery address's fields, ``delivery_<field>`` in an order, as the parcel partner gets
#: them.
RECIPIENT_FIELDS = ("name", "street", "postcode", "city", "country")


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        # The lists' order (kit.pagination): a person's orders and the tenant's, the newest
        # first, read from an index position page after page.
        Index("ix_orders_user_id_created_at", "user_id", "created_at"),
        Index("ix_orders_tenant_id_created_at", "tenant_id", "created_at"),
        {
            "info": subject_table(
                "user_id",
                tenant="tenant_id",
                source="you",
                retention=PURCHASE_RECORD,
                lifetime=Lifetime.of(PURCHASE_RECORD),
                kept=(
                    "{order_retention_years} years after the purchase "
                    "(commercial limitation period)"
                ),
            )
        },
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True, info=RECORD)
    user_id: Mapped[str] = mapped_column(String(36), index=True, info=RECORD)
    #: An ``OrderStatus``.
    status: Mapped[str] = mapped_column(String(20), info=not_personal("a status"))
    #: What was bought: [{offer_id, kind, title, quantity, unit_price_cents}], priced by the
    #: server.
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, info=not_personal("the offers"))
    total_cents: Mapped[int] = mapped_column(Integer, info=not_personal("an amount"))
    subsidy_cents: Mapped[int] = mapped_column(Integer, default=0, info=not_personal("an amount"))
    #: Where order mails go (the person's choice, often their work email).
    email: Mapped[str] = mapped_column(
        String(254), info=personal("contact", ORDERS, CONTRACT, retained=True)
    )
    delivery_name: Mapped[str | None] = mapped_column(String(200), info=DELIVERY)
    delivery_street: Mapped[str | None] = mapped_column(String(200), info=DELIVERY)
    delivery_postcode: Mapped[str | None] = mapped_column(String(20), info=DELIVERY)
    delivery_city: Mapped[str | None] = mapped_column(String(100), info=DELIVERY)
    delivery_country: Mapped[str | None] = mapped_column(String(2), info=DELIVERY)
    #: For the invoice, when the buyer gives one (else the delivery name and address).
    billing_name: Mapped[str | None] = mapped_column(String(200), info=BILLING)
    billing_address: Mapped[str | None] = mapped_column(String(300), info=BILLING)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True, info=RECORD)
    #: The payment provider's reference: the only payment data we keep (no card, ever).
    payment_reference: Mapped[str | None] = mapped_column(String(64), unique=True, info=RECORD)
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=RECORD)

    def recipient(self, overlay: dict[str, str] | None = None) -> dict[str, str | None]:
        """The delivery address as the parcel partner gets it, ``overlay`` (a rectification)
        on top."""
        values = {f: getattr(self, f"delivery_{f}") for f in RECIPIENT_FIELDS}
        return values | (overlay or {})
