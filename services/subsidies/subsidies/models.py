"""Subsidies tables, each column declared personal or not (docs/privacy.md).

Rules, budgets and activities describe the works council's offer: nothing personal. The
beneficiary profile holds only what rules use (a number of children). Grants are the
subsidies given (accounting records, kept ten years after the grant). SEPA mandates hold the
IBAN, BIC and holder encrypted per field, bound to their row and field; on erasure a mandate
that was used for a collection is kept, still encrypted and restricted, for the 13 months in
which the debtor may claim a refund, then purged.
"""

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, MetaData, String, Text, UniqueConstraint
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
from subsidies.config import get_settings
from subsidies.fields import field_cipher, reveal


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


settings = get_settings()
events = EventStore(Base.metadata, source="subsidies")
cipher = field_cipher(settings)
subject_data = SubjectData(
    Base.metadata,
    service="subsidies",
    purpose=Purpose.SOCIAL_ACTIVITIES,
    key=settings.subject_key.get_secret_value().encode(),
    reveal=lambda table, row: reveal(cipher, table, row),
)

ACTIVITIES, CONTRACT = Purpose.SOCIAL_ACTIVITIES, LegalBasis.CONTRACT
OBLIGATION = LegalBasis.LEGAL_OBLIGATION
ID = not_personal("random id")
TENANT = not_personal("a company")
GRANT_RECORD = Retention(
    years=settings.grant_retention_years,
    counted_from="created_at",
    basis=OBLIGATION,
    reason="works council accounts (Code du travail L2315-65, Code de commerce L123-22)",
    keep=("id", "rule_id", "kind", "amount_cents", "year", "status", "order_id", "booking_id"),
)
BOOKING_RECORD = Retention(
    years=settings.booking_retention_years,
    counted_from="created_at",
    basis=OBLIGATION,
    reason="commercial limitation period (Code de commerce, art. L110-4)",
    keep=("id", "activity_id", "price_cents", "subsidy_cents", "status"),
)
SEPA_RECORD = Retention(
    years=1,
    days=31,
    counted_from="last_collection_at",
    basis=OBLIGATION,
    reason="refund claims on a SEPA direct debit: 13 months (Code monétaire et financier L133-24)",
    keep=("id", "reference"),
)


class Rule(Base):
    """A subsidy the works council gives: to whom (conditions), how much, up to what."""

    __tablename__ = "rules"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True, info=TENANT)
    name: Mapped[str] = mapped_column(String(200), info=not_personal("a rule's name"))
    #: ticket, voucher, goods or activity; None: any.
    offer_kind: Mapped[str | None] = mapped_column(String(20), info=not_personal("a kind"))
    min_children: Mapped[int] = mapped_column(Integer, default=0, info=not_personal("a condition"))
    amount_cents: Mapped[int | None] = mapped_column(Integer, info=not_personal("an amount"))
    percent: Mapped[int | None] = mapped_column(Integer, info=not_personal("a rate"))
    cap_cents_per_year: Mapped[int] = mapped_column(Integer, info=not_personal("a cap"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, info=not_personal("a flag"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, info=not_personal("a date"))


class Budget(Base):
    """What the works council can spend on subsidies in a year; never overspent."""

    __tablename__ = "budgets"
    __table_args__ = (UniqueConstraint("tenant_id", "year"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    tenant_id: Mapped[str] = mapped_column(String(36), info=TENANT)
    year: Mapped[int] = mapped_column(Integer, info=not_personal("a year"))
    amount_cents: Mapped[int] = mapped_column(Integer, info=not_personal("an amount"))
    reserved_cents: Mapped[int] = mapped_column(Integer, default=0, info=not_personal("an amount"))


PROFILE = personal("family situation (number of children)", ACTIVITIES, CONTRACT)


class Profile(Base):
    """What subsidy rules need to know about a person, and nothing else."""

    __tablename__ = "profiles"
    __table_args__ = ({"info": subject_table("user_id", tenant="tenant_id")},)

    user_id: Mapped[str] = mapped_column(
        String(36),
        primary_key=True,
        info=personal("account id", ACTIVITIES, CONTRACT, provided=False),
    )
    tenant_id: Mapped[str] = mapped_column(
        String(36), index=True, info=personal("employer", ACTIVITIES, CONTRACT, provided=False)
    )
    children_count: Mapped[int] = mapped_column(Integer, info=PROFILE)
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime, info=personal("date", ACTIVITIES, CONTRACT, provided=False)
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
                kept="ten years after the grant (works council accounts)",
            )
        },
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True, info=GRANTED)
    user_id: Mapped[str] = mapped_column(String(36), index=True, info=GRANTED)
    rule_id: Mapped[str] = mapped_column(String(36), info=not_personal("a rule id"))
    kind: Mapped[str] = mapped_column(String(20), info=not_personal("a kind of offer"))
    order_id: Mapped[str | None] = mapped_column(
        String(36), index=True, info=not_personal("random id of an order")
    )
    booking_id: Mapped[str | None] = mapped_column(
        String(36), index=True, info=not_personal("random id of a booking")
    )
    amount_cents: Mapped[int] = mapped_column(Integer, info=not_personal("an amount"))
    year: Mapped[int] = mapped_column(Integer, info=not_personal("a year"))
    status: Mapped[str] = mapped_column(String(20), info=not_personal("a status"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, info=GRANTED)
    #: A held grant not confirmed by its order by then is released.
    hold_until: Mapped[datetime | None] = mapped_column(UtcDateTime, info=not_personal("a date"))


class Activity(Base):
    """Something to book (a trip, a class), paid by SEPA direct debit."""

    __tablename__ = "activities"
    __table_args__ = (
        # The tenant's activities, the soonest first (kit.pagination), from an index position.
        Index("ix_activities_tenant_id_starts_at", "tenant_id", "starts_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True, info=TENANT)
    title: Mapped[str] = mapped_column(String(200), info=not_personal("an activity"))
    price_cents: Mapped[int] = mapped_column(Integer, info=not_personal("a price"))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime, info=not_personal("a date"))
    seats: Mapped[int | None] = mapped_column(Integer, info=not_personal("a count"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, info=not_personal("a flag"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, info=not_personal("a date"))


BANK = personal("bank details (encrypted)", ACTIVITIES, CONTRACT, retained=True, rectifiable=False)
MANDATE = personal("direct debit mandate", ACTIVITIES, CONTRACT, provided=False, retained=True)


class Mandate(Base):
    """A SEPA direct-debit mandate. IBAN, BIC and holder are ciphertext (``kid:...``) bound to
    this row and field; responses show them masked."""

    __tablename__ = "mandates"
    __table_args__ = (
        {
            "info": subject_table(
                "user_id",
                tenant="tenant_id",
                retention=SEPA_RECORD,
                kept="while active; 13 months after the last collection once ended",
            )
        },
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    #: The unique mandate reference (UMR) given to the bank.
    reference: Mapped[str] = mapped_column(String(35), unique=True, info=not_personal("an id"))
    tenant_id: Mapped[str] = mapped_column(String(36), index=True, info=MANDATE)
    user_id: Mapped[str] = mapped_column(String(36), index=True, info=MANDATE)
    holder: Mapped[str] = mapped_column(Text, info=BANK)
    iban: Mapped[str] = mapped_column(Text, info=BANK)
    bic: Mapped[str] = mapped_column(Text, info=BANK)
    status: Mapped[str] = mapped_column(String(20), info=not_personal("active, lapsed, revoked"))
    signed_at: Mapped[datetime] = mapped_column(UtcDateTime, info=MANDATE)
    last_collection_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=MANDATE)


BOOKED = personal("bookings", ACTIVITIES, CONTRACT, provided=False, retained=True)


class Booking(Base):
    __tablename__ = "bookings"
    __table_args__ = (
        # A person's bookings, the newest first (kit.pagination), from an index position.
        Index("ix_bookings_user_id_created_at", "user_id", "created_at"),
        {
            "info": subject_table(
                "user_id",
                tenant="tenant_id",
                retention=BOOKING_RECORD,
                kept="five years after the booking (commercial limitation period)",
            )
        },
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True, info=BOOKED)
    user_id: Mapped[str] = mapped_column(String(36), index=True, info=BOOKED)
    activity_id: Mapped[str] = mapped_column(String(36), info=not_personal("an activity id"))
    mandate_id: Mapped[str | None] = mapped_column(String(36), info=not_personal("a mandate id"))
    price_cents: Mapped[int] = mapped_column(Integer, info=not_personal("an amount"))
    subsidy_cents: Mapped[int] = mapped_column(Integer, info=not_personal("an amount"))
    status: Mapped[str] = mapped_column(String(20), info=not_personal("booked, cancelled"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, info=BOOKED)
