"""The books: entries (one accounting operation each, balanced), their lines, the number
counter per tenant, and the link of an entry to the person it concerns.

An entry and its lines hold no personal data: amounts, accounts, dates, and the random id of
the record an operation is about (an order, a booking, a voucher: the ``CompAuxNum``). They are
never changed once written: a correction is a new entry that reverses the first. The person is
named only in ``ledger_subjects`` (by their account id), which an erasure moves to the
restricted archive: the books stay whole and balanced, with no one's name in them.
"""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kit.db import UtcDateTime, new_id
from kit.privacy.declarations import Lifetime, Retention, not_personal, personal, subject_table
from subsidies.base import ACTIVITIES, ID, OBLIGATION, TENANT, Base

#: The accounting records: 10 years (Code de commerce L123-22), a setting.
ACCOUNTING_RECORD = Retention(
    years=10,
    setting="accounting_retention_years",
    counted_from="recorded_at",
    basis=OBLIGATION,
    reason="accounting records of the works council (Code de commerce L123-22, "
    "Code du travail L2315-64)",
    keep=("entry_id",),
)
IN_THE_BOOKS = personal(
    "accounting entries of your subsidies, orders and bookings",
    ACTIVITIES,
    OBLIGATION,
    provided=False,
    retained=True,
)
AMOUNT = not_personal("an amount")
#: The entry's own fields: nothing about a person.
BOOKS = not_personal("accounting entry (no person in it)")


class LedgerEntry(Base):
    """One accounting operation (an ``EcritureNum``), in one budget's journal."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        # One source event records once (an event delivered twice, a call made twice).
        UniqueConstraint("tenant_id", "source_key", name="uq_ledger_entries_tenant_id_source_key"),
        # The tenant's continuous sequence of entry numbers.
        UniqueConstraint("tenant_id", "number", name="uq_ledger_entries_tenant_id_number"),
        # A period's journal of a tenant (the export).
        Index("ix_ledger_entries_tenant_id_entry_date", "tenant_id", "entry_date"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    tenant_id: Mapped[str] = mapped_column(String(36), info=TENANT)
    #: The tenant's continuous sequence (``EcritureNum``), in the order entries are recorded.
    number: Mapped[int] = mapped_column(Integer, info=BOOKS)
    #: A ``Budget``: the entry's journal.
    budget: Mapped[str] = mapped_column(String(10), info=BOOKS)
    journal_code: Mapped[str] = mapped_column(String(8), info=BOOKS)
    journal_label: Mapped[str] = mapped_column(String(100), info=BOOKS)
    #: The booking date (``EcritureDate``, ``ValidDate``): the day the entry was written, in the
    #: works council's time zone; the exports select a period by it.
    entry_date: Mapped[date] = mapped_column(Date, info=BOOKS)
    #: The record the operation is about (an order, booking, voucher or grant id).
    piece_ref: Mapped[str] = mapped_column(String(64), info=not_personal("random id of a record"))
    #: The date of that record (``PieceDate``): the day the operation happened (an order paid or
    #: refunded, a grant made, a voucher issued), in the works council's time zone.
    piece_date: Mapped[date] = mapped_column(Date, info=BOOKS)
    label: Mapped[str] = mapped_column(String(200), info=BOOKS)
    #: What recorded it, e.g. ``order.paid:<order id>``: unique per tenant.
    source_key: Mapped[str] = mapped_column(String(120), info=BOOKS)
    #: The entry this one reverses (a correction), if any.
    reverses_id: Mapped[str | None] = mapped_column(String(36), info=BOOKS)
    #: When the entry was written (the platform's clock), its ``entry_date`` in the council's time.
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, info=BOOKS)

    lines: Mapped[list["LedgerLine"]] = relationship(
        order_by="LedgerLine.position", lazy="selectin"
    )


class LedgerLine(Base):
    """A debit or a credit of one account."""

    __tablename__ = "ledger_lines"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    entry_id: Mapped[str] = mapped_column(
        ForeignKey("ledger_entries.id"), index=True, info=not_personal("an entry id")
    )
    position: Mapped[int] = mapped_column(Integer, info=BOOKS)
    account_number: Mapped[str] = mapped_column(String(10), info=BOOKS)
    account_label: Mapped[str] = mapped_column(String(100), info=BOOKS)
    #: The auxiliary account (``CompAuxNum``): the random id of a record, never a person's name,
    #: email or account id.
    aux: Mapped[str | None] = mapped_column(String(36), info=not_personal("random id of a record"))
    debit_cents: Mapped[int] = mapped_column(Integer, info=AMOUNT)
    credit_cents: Mapped[int] = mapped_column(Integer, info=AMOUNT)


class LedgerCounter(Base):
    """The last entry number given, per tenant (taken atomically: no gap, no duplicate)."""

    __tablename__ = "ledger_counters"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    tenant_id: Mapped[str] = mapped_column(String(36), info=TENANT)
    last: Mapped[int] = mapped_column(Integer, info=not_personal("a count"))


class LedgerSubject(Base):
    """Whom an entry concerns: the only place the books name a person (by account id)."""

    __tablename__ = "ledger_subjects"
    __table_args__ = (
        {
            "info": subject_table(
                "user_id",
                tenant="tenant_id",
                source="us, from your subsidies, orders, bookings and vouchers",
                retention=ACCOUNTING_RECORD,
                lifetime=Lifetime.of(ACCOUNTING_RECORD),
                kept="{accounting_retention_years} years after the entry (accounting records)",
            )
        },
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    entry_id: Mapped[str] = mapped_column(
        ForeignKey("ledger_entries.id"), index=True, info=not_personal("an entry id")
    )
    tenant_id: Mapped[str] = mapped_column(String(36), index=True, info=IN_THE_BOOKS)
    user_id: Mapped[str] = mapped_column(String(36), index=True, info=IN_THE_BOOKS)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, info=IN_THE_BOOKS)
