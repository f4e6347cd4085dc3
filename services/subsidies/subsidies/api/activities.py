"""Activities booked with a SEPA direct-debit mandate: ``/api/subsidies/activities``,
``/mandates``, ``/bookings``. Bank details only ever leave masked."""

from fastapi import APIRouter, Response, status

from kit.auth import CurrentUser, TenantAdmin
from kit.db import SessionDep
from kit.pagination import DEFAULT_LIMIT, PAGED_RESPONSES, Cursor, Limit
from subsidies import repository, service
from subsidies.models import Activity, Booking, Mandate
from subsidies.schemas import (
    ActivityIn,
    ActivityPublic,
    BookingIn,
    BookingPublic,
    MandateIn,
    MandatePublic,
)

router = APIRouter(prefix="/api/subsidies", tags=["activities"])


def activity_public(activity: Activity) -> ActivityPublic:
    return ActivityPublic(
        id=activity.id,
        title=activity.title,
        price_cents=activity.price_cents,
        starts_at=activity.starts_at,
        seats=activity.seats,
    )


def mandate_public(mandate: Mandate) -> MandatePublic:
    return MandatePublic(
        id=mandate.id,
        reference=mandate.reference,
        status=mandate.status,
        signed_at=mandate.signed_at,
        last_collection_at=mandate.last_collection_at,
        **service.masked(mandate),
    )


def booking_public(booking: Booking, mandate: Mandate | None) -> BookingPublic:
    return BookingPublic(
        id=booking.id,
        activity_id=booking.activity_id,
        status=booking.status,
        price_cents=booking.price_cents,
        subsidy_cents=booking.subsidy_cents,
        debit_cents=booking.price_cents - booking.subsidy_cents,
        mandate=mandate_public(mandate) if mandate else None,
        created_at=booking.created_at,
    )


@router.get("/activities", responses=PAGED_RESPONSES)
async def list_activities(
    principal: CurrentUser,
    db: SessionDep,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[ActivityPublic]:
    """The activities open to booking, the soonest first; one page (``X-Next-Cursor`` holds
    the next one's cursor)."""
    page = await repository.active_activities_page(
        db, tenant_id=principal.tenant_id, cursor=cursor, limit=limit
    )
    return page.map(activity_public).send(response)


@router.post("/activities", status_code=status.HTTP_201_CREATED)
async def create_activity(body: ActivityIn, admin: TenantAdmin, db: SessionDep) -> ActivityPublic:
    return activity_public(
        await service.create_activity(db, principal=admin, data=body, now=service.utcnow())
    )


@router.post("/mandates", status_code=status.HTTP_201_CREATED)
async def add_mandate(body: MandateIn, principal: CurrentUser, db: SessionDep) -> MandatePublic:
    """Sign a SEPA mandate: IBAN checksum and BIC format checked, each field encrypted."""
    return mandate_public(
        await service.add_mandate(db, principal=principal, data=body, now=service.utcnow())
    )


@router.get("/mandates", responses=PAGED_RESPONSES)
async def list_mandates(
    principal: CurrentUser,
    db: SessionDep,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[MandatePublic]:
    """Your mandates, the latest signed first, masked; one page (``X-Next-Cursor`` holds the
    next one's cursor)."""
    page = await repository.mandates_page(
        db, tenant_id=principal.tenant_id, user_id=principal.user_id, cursor=cursor, limit=limit
    )
    return page.map(mandate_public).send(response)


@router.delete("/mandates/{mandate_id}")
async def revoke_mandate(mandate_id: str, principal: CurrentUser, db: SessionDep) -> MandatePublic:
    return mandate_public(
        await service.revoke_mandate(db, principal=principal, mandate_id=mandate_id)
    )


@router.post("/bookings", status_code=status.HTTP_201_CREATED)
async def book(body: BookingIn, principal: CurrentUser, db: SessionDep) -> BookingPublic:
    booking = await service.book(
        db,
        principal=principal,
        activity_id=body.activity_id,
        mandate_id=body.mandate_id,
        now=service.utcnow(),
    )
    mandate = await db.get(Mandate, booking.mandate_id) if booking.mandate_id else None
    return booking_public(booking, mandate)


@router.get("/bookings", responses=PAGED_RESPONSES)
async def list_bookings(
    principal: CurrentUser,
    db: SessionDep,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[BookingPublic]:
    """Your bookings, the newest first, each with its mandate masked; one page
    (``X-Next-Cursor`` holds the next one's cursor)."""
    page = await repository.bookings_page(
        db, tenant_id=principal.tenant_id, user_id=principal.user_id, cursor=cursor, limit=limit
    )
    mandates = await repository.mandates_by_id(
        db, ids=sorted({b.mandate_id for b in page.items if b.mandate_id})
    )
    return page.map(
        lambda b: booking_public(b, mandates.get(b.mandate_id) if b.mandate_id else None)
    ).send(response)


@router.post("/bookings/{booking_id}/cancel")
async def cancel_booking(booking_id: str, principal: CurrentUser, db: SessionDep) -> BookingPublic:
    booking = await service.cancel_booking(db, principal=principal, booking_id=booking_id)
    return booking_public(booking, None)
