"""Every query of the subsidies service; all carry the tenant."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import By, Keyset, Page, Part, fetch
from subsidies.models import Activity, Booking, Budget, Grant, Mandate, Profile, Rule

LIVE = ("held", "placed", "paid")

#: The tenant's rules, in the order they were made.
RULES_AS_MADE = Keyset[Rule](
    "rules", (By(Rule.created_at, datetime), By(Rule.id, str)), key=lambda r: (r.created_at, r.id)
)
#: The rules a person meets: the same order, another list (a cursor of one is refused by the
#: other).
MET_AS_MADE = Keyset[Rule]("eligibility", RULES_AS_MADE.by, RULES_AS_MADE.key)
#: The tenant's activities, the soonest first.
SOONEST_FIRST = Keyset[Activity](
    "activities",
    (By(Activity.starts_at, datetime), By(Activity.id, str)),
    key=lambda a: (a.starts_at, a.id),
)
#: A person's mandates, the latest signed first.
LATEST_MANDATES_FIRST = Keyset[Mandate](
    "mandates",
    (By(Mandate.signed_at, datetime, descending=True), By(Mandate.id, str)),
    key=lambda m: (m.signed_at, m.id),
)
#: A person's bookings, the newest first.
NEWEST_BOOKINGS_FIRST = Keyset[Booking](
    "bookings",
    (By(Booking.created_at, datetime, descending=True), By(Booking.id, str)),
    key=lambda b: (b.created_at, b.id),
)


async def active_rules(db: AsyncSession, *, tenant_id: str) -> Sequence[Rule]:
    """Every rule in force, to compute a grant (not a list anybody reads)."""
    query = select(Rule).where(Rule.tenant_id == tenant_id, Rule.active.is_(True))
    return (await db.scalars(query.order_by(Rule.created_at))).all()


async def active_rules_page(
    db: AsyncSession, *, tenant_id: str, cursor: str | None, limit: int
) -> Page[Rule]:
    query = select(Rule).where(Rule.tenant_id == tenant_id, Rule.active.is_(True))
    return await fetch(db, [Part(query, RULES_AS_MADE)], cursor=cursor, limit=limit)


async def rules_met_page(
    db: AsyncSession, *, tenant_id: str, children: int, cursor: str | None, limit: int
) -> Page[Rule]:
    """The rules in force whose condition a person with ``children`` meets: the condition is
    in the query, so that a page holds ``limit`` of them, not ``limit`` rules minus the others."""
    query = select(Rule).where(
        Rule.tenant_id == tenant_id, Rule.active.is_(True), Rule.min_children <= children
    )
    return await fetch(db, [Part(query, MET_AS_MADE)], cursor=cursor, limit=limit)


async def rule_in_tenant(db: AsyncSession, *, tenant_id: str, rule_id: str) -> Rule | None:
    return await db.scalar(select(Rule).where(Rule.id == rule_id, Rule.tenant_id == tenant_id))


async def profile_of(db: AsyncSession, *, tenant_id: str, user_id: str) -> Profile | None:
    return await db.scalar(
        select(Profile).where(Profile.user_id == user_id, Profile.tenant_id == tenant_id)
    )


async def budget(
    db: AsyncSession, *, tenant_id: str, year: int, for_update: bool = False
) -> Budget | None:
    query = select(Budget).where(Budget.tenant_id == tenant_id, Budget.year == year)
    if for_update:
        # Every grant of a tenant's year takes this row first: caps and budget are checked
        # by one transaction at a time, so concurrent orders never overspend.
        query = query.with_for_update()
    return await db.scalar(query)


async def reserve(db: AsyncSession, *, budget_id: str, amount: int) -> bool:
    """Add to the reserved amount unless that would pass the budget; False then."""
    result = await db.execute(
        update(Budget)
        .where(Budget.id == budget_id, Budget.reserved_cents + amount <= Budget.amount_cents)
        .values(reserved_cents=Budget.reserved_cents + amount)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def give_back(db: AsyncSession, *, tenant_id: str, year: int, amount: int) -> None:
    await db.execute(
        update(Budget)
        .where(Budget.tenant_id == tenant_id, Budget.year == year)
        .values(reserved_cents=Budget.reserved_cents - amount)
    )


async def used_by_rule(
    db: AsyncSession, *, tenant_id: str, user_id: str, year: int
) -> dict[str, int]:
    rows = await db.execute(
        select(Grant.rule_id, func.sum(Grant.amount_cents))
        .where(
            Grant.tenant_id == tenant_id,
            Grant.user_id == user_id,
            Grant.year == year,
            Grant.status.in_(LIVE),
        )
        .group_by(Grant.rule_id)
    )
    return {rule_id: int(total or 0) for rule_id, total in rows.all()}


async def grants_for(
    db: AsyncSession, *, order_id: str | None = None, booking_id: str | None = None
) -> Sequence[Grant]:
    query = select(Grant).where(Grant.status.in_(LIVE))
    if order_id is not None:
        query = query.where(Grant.order_id == order_id)
    if booking_id is not None:
        query = query.where(Grant.booking_id == booking_id)
    return (await db.scalars(query)).all()


async def expired_holds(db: AsyncSession, *, now: datetime, limit: int = 500) -> Sequence[Grant]:
    query = select(Grant).where(Grant.status == "held", Grant.hold_until <= now).limit(limit)
    return (await db.scalars(query)).all()


async def grants_of_year(
    db: AsyncSession, *, tenant_id: str, year: int
) -> Sequence[tuple[str, str, int, int | None]]:
    """``(user_id, kind, amount, children)`` of every grant used this year (statistics)."""
    rows = await db.execute(
        select(Grant.user_id, Grant.kind, Grant.amount_cents, Profile.children_count)
        .outerjoin(Profile, Profile.user_id == Grant.user_id)
        .where(
            Grant.tenant_id == tenant_id, Grant.year == year, Grant.status.in_(("placed", "paid"))
        )
    )
    return [(r[0], r[1], r[2], r[3]) for r in rows.all()]


async def active_activities_page(
    db: AsyncSession, *, tenant_id: str, cursor: str | None, limit: int
) -> Page[Activity]:
    query = select(Activity).where(Activity.tenant_id == tenant_id, Activity.active.is_(True))
    return await fetch(db, [Part(query, SOONEST_FIRST)], cursor=cursor, limit=limit)


async def activity_in_tenant(
    db: AsyncSession, *, tenant_id: str, activity_id: str
) -> Activity | None:
    return await db.scalar(
        select(Activity).where(
            Activity.id == activity_id, Activity.tenant_id == tenant_id, Activity.active.is_(True)
        )
    )


async def take_seat(db: AsyncSession, *, activity_id: str) -> bool:
    result = await db.execute(
        update(Activity)
        .where(Activity.id == activity_id, or_(Activity.seats.is_(None), Activity.seats >= 1))
        .values(seats=Activity.seats - 1)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def give_back_seat(db: AsyncSession, *, activity_id: str) -> None:
    await db.execute(
        update(Activity)
        .where(Activity.id == activity_id, Activity.seats.is_not(None))
        .values(seats=Activity.seats + 1)
    )


async def mandates_page(
    db: AsyncSession, *, tenant_id: str, user_id: str, cursor: str | None, limit: int
) -> Page[Mandate]:
    query = select(Mandate).where(Mandate.tenant_id == tenant_id, Mandate.user_id == user_id)
    return await fetch(db, [Part(query, LATEST_MANDATES_FIRST)], cursor=cursor, limit=limit)


async def mandates_by_id(db: AsyncSession, *, ids: list[str]) -> dict[str, Mandate]:
    """The mandates of a page of bookings, in one query."""
    found = await db.scalars(select(Mandate).where(Mandate.id.in_(ids)))
    return {mandate.id: mandate for mandate in found}


async def own_mandate(
    db: AsyncSession, *, tenant_id: str, user_id: str, mandate_id: str
) -> Mandate | None:
    return await db.scalar(
        select(Mandate).where(
            Mandate.id == mandate_id, Mandate.tenant_id == tenant_id, Mandate.user_id == user_id
        )
    )


async def mandates_to_lapse(db: AsyncSession, *, before: datetime) -> Sequence[Mandate]:
    last_use = func.coalesce(Mandate.last_collection_at, Mandate.signed_at)
    query = select(Mandate).where(Mandate.status == "active", last_use < before).limit(500)
    return (await db.scalars(query)).all()


async def mandates_not_under(db: AsyncSession, *, key_id: str, limit: int) -> Sequence[Mandate]:
    """Mandates with a field still encrypted under another key than ``key_id``."""
    prefix = f"{key_id}:%"
    query = select(Mandate).where(
        or_(
            Mandate.iban.not_like(prefix),
            Mandate.bic.not_like(prefix),
            Mandate.holder.not_like(prefix),
        )
    )
    return (await db.scalars(query.limit(limit).with_for_update(skip_locked=True))).all()


async def bookings_page(
    db: AsyncSession, *, tenant_id: str, user_id: str, cursor: str | None, limit: int
) -> Page[Booking]:
    """One page of a person's bookings. It used to be the newest 500, silently."""
    query = select(Booking).where(Booking.tenant_id == tenant_id, Booking.user_id == user_id)
    return await fetch(db, [Part(query, NEWEST_BOOKINGS_FIRST)], cursor=cursor, limit=limit)


async def own_booking(
    db: AsyncSession, *, tenant_id: str, user_id: str, booking_id: str
) -> Booking | None:
    return await db.scalar(
        select(Booking).where(
            Booking.id == booking_id, Booking.tenant_id == tenant_id, Booking.user_id == user_id
        )
    )
