"""Bookings of activities: sales, kept after the booking for the commercial limitation period
(``booking_retention_years``)."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import UtcDateTime, new_id
from kit.privacy.declarations import (
    LegalBasis,
    Lifetime,
    Retention,
    not_personal,
    personal,
    subject_table,
)
from subsidies.base import ACTIVITIES, CONTRACT, ID, Base


class BookingStatus(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"


BOOKING_RECORD = Retention(
    years=5,
    setting="booking_retention_years",
    counted_from="created_at",
    # A limitation period: kept to defend a claim over the sale, not because a law says so.
    basis=LegalBasis.LEGAL_CLAIMS,
    reason="commercial limitation period (Code de commerce, art. L110-4)",
    keep=("id", "activity_id", "price_cents", "subsidy_cents", "status"),
)
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
                lifetime=Lifetime.of(BOOKING_RECORD),
                kept="{booking_retention_years} years after the booking "
                "(commercial limitation period)",
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
    #: A ``BookingStatus``.
    status: Mapped[str] = mapped_column(String(20), info=not_personal("booked, cancelled"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, info=BOOKED)
