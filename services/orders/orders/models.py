"""Orders tables: the tenant's offers (nothing personal), employees' orders, their invoices,
and what was disclosed to which fulfilment partner.

An order is kept five years after the purchase (the commercial limitation period), an invoice
ten years after it is issued (accounting records); both numbers are settings. On erasure the
delivery details go at once; the record of the sale (who by keyed hash, the email, when, what,
how much, the payment reference) and the invoice move to the restricted archive until their
dates; the partners that received data are told to erase it too (Art. 19).
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, MetaData, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import NAMING_CONVENTION, UtcDateTime, new_id
from kit.events import EventStore
from kit.privacy.declarations import (
    LegalBasis,
    Purpose,
    Retention,
    not_personal,
    personal,
    subject_table,
)
from kit.privacy.subject import SubjectData
from orders.config import get_settings


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


settings = get_settings()
events = EventStore(Base.metadata, source="orders")
subject_data = SubjectData(
    Base.metadata,
    service="orders",
    purpose=Purpose.ORDER_PROCESSING,
    key=settings.subject_key.get_secret_value().encode(),
)

ORDERS, CONTRACT = Purpose.ORDER_PROCESSING, LegalBasis.CONTRACT
PURCHASE_RECORD = Retention(
    years=settings.order_retention_years,
    counted_from="created_at",
    basis=LegalBasis.LEGAL_OBLIGATION,
    reason="commercial limitation period (Code de commerce, art. L110-4)",
    keep=("id", "status", "items", "total_cents", "subsidy_cents"),
)
INVOICE_RECORD = Retention(
    years=settings.invoice_retention_years,
    counted_from="issued_at",
    basis=LegalBasis.LEGAL_OBLIGATION,
    reason="accounting records (Code de commerce, art. L123-22)",
    keep=("number", "order_id", "lines", "total_cents", "subsidy_cents"),
)
ID = not_personal("random id")


class Offer(Base):
    """Something the works council offers: a ticket, a voucher, a physical good."""

    __tablename__ = "offers"
    __table_args__ = (
        # The tenant's offers, the newest first (kit.pagination), read from an index position.
        Index("ix_offers_tenant_id_created_at", "tenant_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True, info=not_personal("a company"))
    title: Mapped[str] = mapped_column(String(200), info=not_personal("an offer"))
    kind: Mapped[str] = mapped_column(String(20), info=not_personal("ticket, voucher, goods"))
    price_cents: Mapped[int] = mapped_column(Integer, info=not_personal("a price"))
    stock: Mapped[int | None] = mapped_column(Integer, info=not_personal("a count"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, info=not_personal("a flag"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, info=not_personal("a date"))


RECORD = personal("purchase", ORDERS, CONTRACT, provided=False, retained=True)
DELIVERY = personal("delivery address", ORDERS, CONTRACT)
BILLING = personal("billing address", ORDERS, CONTRACT)


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
                kept="five years after the purchase (commercial limitation period)",
            )
        },
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True, info=RECORD)
    user_id: Mapped[str] = mapped_column(String(36), index=True, info=RECORD)
    status: Mapped[str] = mapped_column(String(20), info=not_personal("a status"))
    #: What was bought: [{offer_id, title, quantity, unit_price_cents}], priced by the server.
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


class PaymentEvent(Base):
    """Webhooks already handled, by the provider's event id: a replay or a repeat does nothing."""

    __tablename__ = "payment_events"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, info=not_personal("an event id"))
    type: Mapped[str] = mapped_column(String(40), info=not_personal("an event type"))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, info=not_personal("a date"))


INVOICED = personal("invoice", ORDERS, LegalBasis.LEGAL_OBLIGATION, provided=False, retained=True)
#: An issued invoice is never edited (a correction is a credit note), so not rectifiable.
INVOICE_PARTY = personal(
    "billing address", ORDERS, LegalBasis.LEGAL_OBLIGATION, retained=True, rectifiable=False
)


class Invoice(Base):
    """The invoice of a paid order: numbered without gaps per tenant and year."""

    __tablename__ = "invoices"
    __table_args__ = (
        {
            "info": subject_table(
                "user_id",
                tenant="tenant_id",
                source="us, from your order",
                retention=INVOICE_RECORD,
                kept="ten years after it is issued (accounting records)",
            )
        },
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    number: Mapped[str] = mapped_column(String(32), info=not_personal("an invoice number"))
    order_id: Mapped[str] = mapped_column(
        String(36), unique=True, info=not_personal("random id of the order")
    )
    tenant_id: Mapped[str] = mapped_column(String(36), index=True, info=INVOICED)
    user_id: Mapped[str] = mapped_column(String(36), index=True, info=INVOICED)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime, info=INVOICED)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, info=not_personal("the offers"))
    total_cents: Mapped[int] = mapped_column(Integer, info=not_personal("an amount"))
    subsidy_cents: Mapped[int] = mapped_column(Integer, info=not_personal("an amount"))
    billing_name: Mapped[str | None] = mapped_column(String(200), info=INVOICE_PARTY)
    billing_address: Mapped[str | None] = mapped_column(String(300), info=INVOICE_PARTY)


class InvoiceCounter(Base):
    """The last invoice number given, per tenant and year (taken atomically)."""

    __tablename__ = "invoice_counters"
    __table_args__ = (UniqueConstraint("tenant_id", "year"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    tenant_id: Mapped[str] = mapped_column(String(36), info=not_personal("a company"))
    year: Mapped[int] = mapped_column(Integer, info=not_personal("a year"))
    last: Mapped[int] = mapped_column(Integer, info=not_personal("a count"))


RECIPIENT = personal("recipients of your data", ORDERS, CONTRACT, provided=False, rectifiable=False)


class Disclosure(Base):
    """What of an order went to which fulfilment partner, and when (the recipients record,
    Art. 15(1)(c)); an erasure or a rectification is passed on to each of them (Art. 19)."""

    __tablename__ = "disclosures"
    __table_args__ = (
        {
            "info": subject_table(
                "user_id",
                tenant="tenant_id",
                source="us, when your order was paid",
                recipients=("fulfilment partners",),
                kept="as long as the order",
            )
        },
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    order_id: Mapped[str] = mapped_column(
        String(36), index=True, info=not_personal("random id of the order")
    )
    tenant_id: Mapped[str] = mapped_column(String(36), index=True, info=RECIPIENT)
    user_id: Mapped[str] = mapped_column(String(36), index=True, info=RECIPIENT)
    kind: Mapped[str] = mapped_column(String(20), info=not_personal("ticket, voucher, goods"))
    partner: Mapped[str] = mapped_column(String(40), info=RECIPIENT)
    #: The order's pseudonymous reference for this partner only.
    reference: Mapped[str] = mapped_column(String(40), info=RECIPIENT)
    categories: Mapped[list[str]] = mapped_column(JSON, info=RECIPIENT)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime, info=RECIPIENT)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=RECIPIENT)
    tracking: Mapped[str | None] = mapped_column(String(40), info=RECIPIENT)
