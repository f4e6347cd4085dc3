"""Bookings' bodies: a booking shows its mandate masked."""

from datetime import datetime

from pydantic import BaseModel

from kit.schemas import Id, Strict
from subsidies.bookings.models import Booking
from subsidies.mandates.schemas import MandatePublic


class BookingIn(Strict):
    activity_id: Id
    mandate_id: Id


class BookingPublic(BaseModel):
    id: str
    activity_id: str
    status: str
    price_cents: int
    subsidy_cents: int
    #: What the direct debit collects: the price less the subsidy.
    debit_cents: int
    mandate: MandatePublic | None
    created_at: datetime

    @classmethod
    def of(cls, booking: Booking, mandate: MandatePublic | None) -> "BookingPublic":
        return cls(
            id=booking.id,
            activity_id=booking.activity_id,
            status=booking.status,
            price_cents=booking.price_cents,
            subsidy_cents=booking.subsidy_cents,
            debit_cents=booking.price_cents - booking.subsidy_cents,
            mandate=mandate,
            created_at=booking.created_at,
        )
