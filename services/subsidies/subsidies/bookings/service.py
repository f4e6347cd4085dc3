"""Bookings: a seat, the subsidy, and the collection of the rest by SEPA direct debit.

No HTTP here."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import Principal
from kit.db import utcnow
from kit.errors import Conflict, NotFound
from subsidies.accounting import service as accounting
from subsidies.activities import repository as activities
from subsidies.base import events, subject_data
from subsidies.bookings import repository
from subsidies.bookings.models import Booking, BookingStatus
from subsidies.grants import service as grants
from subsidies.grants.models import GrantStatus
from subsidies.mandates import service as mandates
from subsidies.mandates.models import Mandate, MandateStatus
from subsidies.rules.models import OfferKind


async def book(
    db: AsyncSession, *, principal: Principal, activity_id: str, mandate_id: str, now: datetime
) -> tuple[Booking, Mandate]:
    """A seat, the subsidy, and the collection by direct debit of the rest: the booking and
    the mandate that pays it."""
    activity = await activities.activity_in_tenant(
        db, tenant_id=principal.tenant_id, activity_id=activity_id
    )
    if activity is None:
        raise NotFound("activity not found")
    mandate = await mandates.own_mandate(db, principal=principal, mandate_id=mandate_id)
    if mandate.status != MandateStatus.ACTIVE:
        raise Conflict("this mandate is no longer active: sign a new one")
    if not await activities.take_seat(db, activity_id=activity.id):
        raise Conflict("the activity is full")
    booking = Booking(
        tenant_id=principal.tenant_id,
        user_id=principal.user_id,
        activity_id=activity.id,
        mandate_id=mandate.id,
        price_cents=activity.price_cents,
        subsidy_cents=0,
        status=BookingStatus.BOOKED,
        created_at=now,
    )
    db.add(booking)
    await db.flush()
    booking.subsidy_cents = await grants.settle(
        db,
        await grants.plan(
            db,
            tenant_id=principal.tenant_id,
            user_id=principal.user_id,
            lines=[grants.LineIn(OfferKind.ACTIVITY, 1, activity.price_cents)],
            now=now,
            status=GrantStatus.PLACED,
            booking_id=booking.id,
        ),
    )
    if booking.price_cents > booking.subsidy_cents:
        mandate.last_collection_at = now  # the debit is scheduled with the bank
    await accounting.record_booking(db, booking)  # the books: the SEPA debit
    await subject_data.record_personal_data(
        db, events, subject=principal.user_id, tenant=principal.tenant_id
    )
    return booking, mandate


async def cancel_booking(db: AsyncSession, *, principal: Principal, booking_id: str) -> Booking:
    booking = await repository.own_booking(
        db, tenant_id=principal.tenant_id, user_id=principal.user_id, booking_id=booking_id
    )
    if booking is None:
        raise NotFound("booking not found")
    if booking.status != BookingStatus.BOOKED:
        raise Conflict("this booking is already cancelled")
    booking.status = BookingStatus.CANCELLED
    await activities.give_back_seat(db, activity_id=booking.activity_id)
    await grants.release_for_booking(db, booking_id=booking.id)
    await accounting.cancel_booking(db, booking, now=utcnow())  # the books: reversed
    return booking
