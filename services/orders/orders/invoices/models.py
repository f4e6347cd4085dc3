"""Invoices and their counters.

An invoice is kept ``INVOICE_RETENTION_YEARS`` after it is issued (accounting records): on
erasure it moves whole to the restricted archive until that date.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, UniqueConstraint
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

INVOICE_RECORD = Retention(
    years=10,
    setting="invoice_retention_years",
    counted_from="issued_at",
    basis=LegalBasis.LEGAL_OBLIGATION,
    reason="accounting records (Code de commerce, art. L123-22)",
    keep=("number", "order_id", "lines", "total_cents", "subsidy_cents"),
)
INVOICED = personal(
    "invoice", Purpose.ORDER_PROCESSING, LegalBasis.LEGAL_OBLIGATION, provided=False, retained=True
)
#: An issued invoice is never edited (a correction is a credit note), so not rectifiable.
INVOICE_PARTY = personal(
    "billing address",
    Purpose.ORDER_PROCESSING,
    LegalBasis.LEGAL_OBLIGATION,
    retained=True,
    rectifiable=False,
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
                lifetime=Lifetime.of(INVOICE_RECORD),
                kept="{invoice_retention_years} years after it is issued (accounting records)",
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
