"""Subsidies rules: eligibility, grants within caps and budget, SEPA bookings, statistics.

No HTTP here. Every amount is in cents; a subsidy never exceeds what it pays for, a person's
yearly cap per rule, or what is left of the tenant's budget (the budget row is locked while a
grant is computed, so concurrent orders are taken one at a time).
"""

import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import Principal
from kit.db import new_id
from kit.errors import Conflict, Invalid, NotFound
from kit.pagination import Page
from subsidies import fields, repository
from subsidies.config import Settings
from subsidies.models import (
    Activity,
    Booking,
    Budget,
    Grant,
    Mandate,
    Profile,
    Rule,
    cipher,
    events,
    subject_data,
)
from subsidies.schemas import ActivityIn, Cell, Eligibility, MandateIn, RuleIn
from subsidies.stats import k_anonymous


def utcnow() -> datetime:
    return datetime.now(UTC)


# -- profile and eligibility -------------------------------------------------------------------


async def set_profile(
    db: AsyncSession, *, principal: Principal, children_count: int, now: datetime
) -> Profile:
    profile = await repository.profile_of(
        db, tenant_id=principal.tenant_id, user_id=principal.user_id
    )
    if profile is None:
        profile = Profile(user_id=principal.user_id, tenant_id=principal.tenant_id)
        db.add(profile)
    profile.children_count = children_count
    profile.updated_at = now
    await db.flush()
    await subject_data.record_personal_data(
        db, events, subject=principal.user_id, tenant=principal.tenant_id
    )
    return profile


def _applies(rule: Rule, kind: str, children: int) -> bool:
    return (rule.offer_kind in (None, kind)) and children >= rule.min_children


async def eligibility(
    db: AsyncSession, *, principal: Principal, now: datetime, cursor: str | None, limit: int
) -> Page[Eligibility]:
    """One page of the rules the person meets, with what they used of each this year."""
    profile = await repository.profile_of(
        db, tenant_id=principal.tenant_id, user_id=principal.user_id
    )
    children = profile.children_count if profile else 0
    used = await repository.used_by_rule(
        db, tenant_id=principal.tenant_id, user_id=principal.user_id, year=now.year
    )
    page = await repository.rules_met_page(
        db, tenant_id=principal.tenant_id, children=children, cursor=cursor, limit=limit
    )
    return page.map(
        lambda rule: Eligibility(
            rule_id=rule.id,
            name=rule.name,
            offer_kind=rule.offer_kind,
            amount_cents=rule.amount_cents,
            percent=rule.percent,
            cap_cents_per_year=rule.cap_cents_per_year,
            used_cents=used.get(rule.id, 0),
            remaining_cents=max(0, rule.cap_cents_per_year - used.get(rule.id, 0)),
        )
    )


# -- rules and budget (tenant admins) ----------------------------------------------------------


async def create_rule(
    db: AsyncSession, *, principal: Principal, data: RuleIn, now: datetime
) -> Rule:
    rule = Rule(tenant_id=principal.tenant_id, active=True, created_at=now, **data.model_dump())
    db.add(rule)
    await db.flush()
    return rule


async def withdraw_rule(db: AsyncSession, *, principal: Principal, rule_id: str) -> None:
    """Stop a rule for new grants; those already given stay as they are."""
    rule = await repository.rule_in_tenant(db, tenant_id=principal.tenant_id, rule_id=rule_id)
    if rule is None or not rule.active:
        raise NotFound("rule not found")
    rule.active = False


async def set_budget(
    db: AsyncSession, *, principal: Principal, year: int, amount_cents: int
) -> Budget:
    budget = await repository.budget(db, tenant_id=principal.tenant_id, year=year, for_update=True)
    if budget is None:
        budget = Budget(tenant_id=principal.tenant_id, year=year, reserved_cents=0)
        db.add(budget)
    elif amount_cents < budget.reserved_cents:
        raise Conflict("the budget cannot be less than what is already granted")
    budget.amount_cents = amount_cents
    await db.flush()
    return budget


# -- grants --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineIn:
    kind: str
    quantity: int
    unit_price_cents: int


async def grant(
    db: AsyncSession,
    *,
    tenant_id: str,
    user_id: str,
    lines: Sequence[LineIn],
    now: datetime,
    status: str,
    hold_until: datetime | None = None,
    order_id: str | None = None,
    booking_id: str | None = None,
) -> int:
    """Reserve the subsidies the person is entitled to for these lines; returns the total.

    For each line the most generous rule that applies, within its yearly cap for the person
    and what is left of the budget. Asking again for the same order answers the same total
    and reserves nothing more."""
    if order_id is not None:
        existing = await repository.grants_for(db, order_id=order_id)
        if existing:
            return sum(g.amount_cents for g in existing)
    profile = await repository.profile_of(db, tenant_id=tenant_id, user_id=user_id)
    children = profile.children_count if profile else 0
    rules = await repository.active_rules(db, tenant_id=tenant_id)
    if not any(_applies(rule, line.kind, children) for rule in rules for line in lines):
        return 0  # most orders: nothing to grant, and no need to wait for the budget's lock
    budget = await repository.budget(db, tenant_id=tenant_id, year=now.year, for_update=True)
    if budget is None:
        return 0
    used = await repository.used_by_rule(db, tenant_id=tenant_id, user_id=user_id, year=now.year)
    left = budget.amount_cents - budget.reserved_cents
    total = 0
    for line in lines:
        price = line.quantity * line.unit_price_cents
        best, chosen = 0, None
        for rule in rules:
            if not _applies(rule, line.kind, children):
                continue
            raw = (
                line.quantity * rule.amount_cents
                if rule.amount_cents is not None
                else price * (rule.percent or 0) // 100
            )
            amount = min(raw, price, rule.cap_cents_per_year - used.get(rule.id, 0), left)
            if amount > best:
                best, chosen = amount, rule
        if chosen is None or best <= 0:
            continue
        db.add(
            Grant(
                tenant_id=tenant_id,
                user_id=user_id,
                rule_id=chosen.id,
                kind=line.kind,
                order_id=order_id,
                booking_id=booking_id,
                amount_cents=best,
                year=now.year,
                status=status,
                created_at=now,
                hold_until=hold_until,
            )
        )
        used[chosen.id] = used.get(chosen.id, 0) + best
        left -= best
        total += best
    if total:
        if not await repository.reserve(db, budget_id=budget.id, amount=total):
            raise Conflict("the subsidy budget is spent")  # cannot happen under the row lock
        await db.flush()
        await subject_data.record_personal_data(db, events, subject=user_id, tenant=tenant_id)
    return total


async def release(db: AsyncSession, grants: Sequence[Grant]) -> int:
    """Give the grants' amounts back to their budgets (an order cancelled, a hold expired)."""
    for item in grants:
        item.status = "released"
        item.hold_until = None
        await repository.give_back(
            db, tenant_id=item.tenant_id, year=item.year, amount=item.amount_cents
        )
    return len(grants)


#: What an order's event does to its grants.
ORDER_OUTCOME = {
    "order.placed": "placed",
    "order.paid": "paid",
    "order.cancelled": "released",
    "order.refunded": "released",
}


async def on_order(db: AsyncSession, *, event_type: str, order_id: str) -> None:
    outcome = ORDER_OUTCOME[event_type]
    grants = await repository.grants_for(db, order_id=order_id)
    if outcome == "released":
        await release(db, grants)
        return
    for item in grants:
        if outcome == "paid" or item.status == "held":
            item.status = outcome
            item.hold_until = None


async def release_expired_holds(db: AsyncSession, now: datetime) -> int:
    """Grants held for orders that never got placed (the order's transaction failed)."""
    return await release(db, await repository.expired_holds(db, now=now))


# -- activities, mandates and bookings --------------------------------------------------------


async def create_activity(
    db: AsyncSession, *, principal: Principal, data: ActivityIn, now: datetime
) -> Activity:
    activity = Activity(
        tenant_id=principal.tenant_id, active=True, created_at=now, **data.model_dump()
    )
    db.add(activity)
    await db.flush()
    return activity


async def add_mandate(
    db: AsyncSession, *, principal: Principal, data: MandateIn, now: datetime
) -> Mandate:
    """Validate, then encrypt each field bound to the new row; the clear values go nowhere."""
    try:
        iban = fields.normalise_iban(data.iban)
        bic = fields.normalise_bic(data.bic)
    except ValueError as exc:
        raise Invalid(str(exc)) from None  # the message names the rule, never the value
    mandate = Mandate(
        id=new_id(),
        reference=f"CSE-{secrets.token_hex(8).upper()}",
        tenant_id=principal.tenant_id,
        user_id=principal.user_id,
        status="active",
        signed_at=now,
    )
    for field, value in (("holder", data.holder), ("iban", iban), ("bic", bic)):
        setattr(mandate, field, fields.encrypt(cipher, "mandates", mandate.id, field, value))
    db.add(mandate)
    await db.flush()
    await subject_data.record_personal_data(
        db, events, subject=principal.user_id, tenant=principal.tenant_id
    )
    return mandate


def masked(mandate: Mandate) -> dict[str, str]:
    """The mandate's fields as shown: ``FR76 **** **** 1234``, ``BNPA*******``, ``A. M.``."""
    clear = {
        f: fields.decrypt(cipher, "mandates", mandate.id, f, getattr(mandate, f))
        for f in fields.ENCRYPTED
    }
    return {
        "holder": fields.mask_holder(clear["holder"]),
        "iban": fields.mask_iban(clear["iban"]),
        "bic": fields.mask_bic(clear["bic"]),
    }


async def revoke_mandate(db: AsyncSession, *, principal: Principal, mandate_id: str) -> Mandate:
    mandate = await repository.own_mandate(
        db, tenant_id=principal.tenant_id, user_id=principal.user_id, mandate_id=mandate_id
    )
    if mandate is None:
        raise NotFound("mandate not found")
    mandate.status = "revoked"
    return mandate


async def book(
    db: AsyncSession, *, principal: Principal, activity_id: str, mandate_id: str, now: datetime
) -> Booking:
    """A seat, the subsidy, and the collection by direct debit of the rest."""
    activity = await repository.activity_in_tenant(
        db, tenant_id=principal.tenant_id, activity_id=activity_id
    )
    if activity is None:
        raise NotFound("activity not found")
    mandate = await repository.own_mandate(
        db, tenant_id=principal.tenant_id, user_id=principal.user_id, mandate_id=mandate_id
    )
    if mandate is None:
        raise NotFound("mandate not found")
    if mandate.status != "active":
        raise Conflict("this mandate is no longer active: sign a new one")
    if not await repository.take_seat(db, activity_id=activity.id):
        raise Conflict("the activity is full")
    booking = Booking(
        tenant_id=principal.tenant_id,
        user_id=principal.user_id,
        activity_id=activity.id,
        mandate_id=mandate.id,
        price_cents=activity.price_cents,
        subsidy_cents=0,
        status="booked",
        created_at=now,
    )
    db.add(booking)
    await db.flush()
    booking.subsidy_cents = await grant(
        db,
        tenant_id=principal.tenant_id,
        user_id=principal.user_id,
        lines=[LineIn("activity", 1, activity.price_cents)],
        now=now,
        status="placed",
        booking_id=booking.id,
    )
    if booking.price_cents > booking.subsidy_cents:
        mandate.last_collection_at = now  # the debit is scheduled with the bank
    await subject_data.record_personal_data(
        db, events, subject=principal.user_id, tenant=principal.tenant_id
    )
    return booking


async def cancel_booking(db: AsyncSession, *, principal: Principal, booking_id: str) -> Booking:
    booking = await repository.own_booking(
        db, tenant_id=principal.tenant_id, user_id=principal.user_id, booking_id=booking_id
    )
    if booking is None:
        raise NotFound("booking not found")
    if booking.status != "booked":
        raise Conflict("this booking is already cancelled")
    booking.status = "cancelled"
    await repository.give_back_seat(db, activity_id=booking.activity_id)
    await release(db, await repository.grants_for(db, booking_id=booking.id))
    return booking


# -- scheduled work ----------------------------------------------------------------------------


def lapse_job(settings: Settings) -> Callable[[AsyncSession, datetime], Awaitable[int]]:
    async def lapse(db: AsyncSession, now: datetime) -> int:
        """Mandates unused for 36 months lapse (EPC rulebook); a new one must be signed."""
        before = now - timedelta(days=round(settings.mandate_lapse_months * 30.44))
        found = await repository.mandates_to_lapse(db, before=before)
        for mandate in found:
            mandate.status = "lapsed"
        return len(found)

    return lapse


async def rotate_batch(db: AsyncSession, _now: datetime, limit: int = 200) -> int:
    """Re-encrypt, under the current key, mandates still under a retired one."""
    found = await repository.mandates_not_under(db, key_id=cipher.current, limit=limit)
    for mandate in found:
        for field in fields.ENCRYPTED:
            token = getattr(mandate, field)
            if fields.key_id(token) != cipher.current:
                clear = fields.decrypt(cipher, "mandates", mandate.id, field, token)
                setattr(
                    mandate, field, fields.encrypt(cipher, "mandates", mandate.id, field, clear)
                )
    return len(found)


# -- statistics --------------------------------------------------------------------------------


def _bracket(children: int | None) -> str:
    if children is None:
        return "no profile"
    return "3+ children" if children >= 3 else f"{children} children"


async def statistics(
    db: AsyncSession, *, principal: Principal, by: str, year: int, k: int
) -> tuple[list[Cell], int]:
    rows = await repository.grants_of_year(db, tenant_id=principal.tenant_id, year=year)
    # Art. 18: a restricted person's data is kept, not used, not even in a count.
    frozen = await subject_data.flagged(db, subject_data.restrictions, list({r[0] for r in rows}))
    rows = [r for r in rows if r[0] not in frozen]
    label = (lambda r: r[1]) if by == "kind" else (lambda r: _bracket(r[3]))
    groups: dict[str, list[tuple[str, int]]] = {}
    for row in rows:
        groups.setdefault(label(row), []).append((row[0], row[2]))
    return k_anonymous(groups, k)
