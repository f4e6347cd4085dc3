"""Activities booked with a SEPA direct-debit mandate: ``/api/subsidies/bookings``. The
mandate shows masked."""

from fastapi import APIRouter, Response, status

from kit.auth import CurrentUser
from kit.db import ReadSessionDep, SessionDep, utcnow
from kit.pagination import DEFAULT_LIMIT, PAGED_RESPONSES, Cursor, Limit
from subsidies.bookings import repository, service
from subsidies.bookings.schemas import BookingIn, BookingPublic
from subsidies.context import ContextDep
from subsidies.mandates import repository as mandates
from subsidies.mandates.schemas import MandatePublic
from subsidies.mandates.service import masked

router = APIRouter(prefix="/api/subsidies", tags=["activities"])


@router.post("/bookings", status_code=status.HTTP_201_CREATED)
async def book(
    body: BookingIn, context: ContextDep, principal: CurrentUser, db: SessionDep
) -> BookingPublic:
    booking, mandate = await service.book(
        db,
        principal=principal,
        activity_id=body.activity_id,
        mandate_id=body.mandate_id,
        now=utcnow(),
    )
    return BookingPublic.of(booking, MandatePublic.of(mandate, masked(context.cipher, mandate)))


@router.get("/bookings", responses=PAGED_RESPONSES)
async def list_bookings(
    context: ContextDep,
    principal: CurrentUser,
    db: ReadSessionDep,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[BookingPublic]:
    """Your bookings, the newest first, each with its mandate masked; one page
    (``X-Next-Cursor`` holds the next one's cursor)."""
    page = await repository.bookings_page(
        db, tenant_id=principal.tenant_id, user_id=principal.user_id, cursor=cursor, limit=limit
    )
    found = await mandates.mandates_by_id(
        db, ids=sorted({b.mandate_id for b in page.items if b.mandate_id})
    )
    shown = {id_: MandatePublic.of(m, masked(context.cipher, m)) for id_, m in found.items()}
    return page.map(
        lambda b: BookingPublic.of(b, shown.get(b.mandate_id) if b.mandate_id else None)
    ).send(response)


@router.post("/bookings/{booking_id}/cancel")
async def cancel_booking(booking_id: str, principal: CurrentUser, db: SessionDep) -> BookingPublic:
    booking = await service.cancel_booking(db, principal=principal, booking_id=booking_id)
    return BookingPublic.of(booking, None)
