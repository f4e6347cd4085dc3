"""Grants: the subsidies reserved for an order or a booking, within caps and budget.

No HTTP here. Every amount is in cents; a subsidy never exceeds what it pays for, a person's
yearly cap per rule, or what is left of the tenant's budget (the budget row is locked while a
grant is computed, so concurrent orders are taken one at a time).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import utcnow
from kit.errors import Conflict
from subsidies.accounting import service as accounting
from subsidies.base import events, subject_data
from subsidies.budgets import repository as budgets
from subsidies.grants import repository
from subsidies.grants.models import Grant, GrantStatus, OrderEvent
from subsidies.profiles import repository as profiles
from subsidies.quotients import service as quotients
from subsidies.rules import repository as rules
from subsidies.rules.models import OfferKind, Rule


@dataclass(frozen=True)
class LineIn:
    kind: OfferKind
    quantity: int
    unit_price_cents: int


def _applies(rule: Rule, kind: str, children: int, bracket: str | None = None) -> bool:
    return (
        (rule.offer_kind in (None, kind))
        and children >= rule.min_children
        and rule.bracket in (None, bracket)
    )


def _best(
    rules_: Sequence[Rule],
    line: LineIn,
    children: int,
    used: dict[str, int],
    left: int,
    bracket: str | None = None,
) -> tuple[int, Rule | None]:
    """The most generous rule for the line, and its amount within the cap and the budget."""
    price = line.quantity * line.unit_price_cents
    best, chosen = 0, None
    for rule in rules_:
        if not _applies(rule, line.kind, children, bracket):
            continue
        raw = (
            line.quantity * rule.amount_cents
            if rule.amount_cents is not None
            else price * (rule.percent or 0) // 100
        )
        amount = min(raw, price, rule.cap_cents_per_year - used.get(rule.id, 0), left)
        if amount > best:
            best, chosen = amount, rule
    return best, chosen


async def grant(
    db: AsyncSession,
    *,
    tenant_id: str,
    user_id: str,
    lines: Sequence[LineIn],
    now: datetime,
    status: GrantStatus,
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
    profile = await profiles.profile_of(db, tenant_id=tenant_id, user_id=user_id)
    children = profile.children_count if profile else 0
    in_force = await rules.active_rules(db, tenant_id=tenant_id)
    bracket = None
    if any(rule.bracket is not None for rule in in_force):
        bracket = await quotients.current_bracket(db, tenant_id=tenant_id, user_id=user_id, now=now)
    if not any(_applies(rule, line.kind, children, bracket) for rule in in_force for line in lines):
        return 0  # most orders: nothing to grant, and no need to wait for the budget's lock
    budget = await budgets.budget(db, tenant_id=tenant_id, year=now.year, for_update=True)
    if budget is None:
        return 0
    used = await repository.used_by_rule(db, tenant_id=tenant_id, user_id=user_id, year=now.year)
    left = budget.amount_cents - budget.reserved_cents
    total = 0
    granted: list[Grant] = []
    for line in lines:
        best, chosen = _best(in_force, line, children, used, left, bracket)
        if chosen is None or best <= 0:
            continue
        made = Grant(
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
        db.add(made)
        granted.append(made)
        used[chosen.id] = used.get(chosen.id, 0) + best
        left -= best
        total += best
    if total:
        if not await budgets.reserve(db, budget_id=budget.id, amount=total):
            raise Conflict("the subsidy budget is spent")  # cannot happen under the row lock
        await db.flush()
        await subject_data.record_personal_data(db, events, subject=user_id, tenant=tenant_id)
        for made in granted:
            await accounting.record_grant(db, made)  # the books: one entry per grant
    return total


async def release(db: AsyncSession, grants: Sequence[Grant]) -> int:
    """Give the grants' amounts back to their budgets (an order cancelled, a hold expired)."""
    for item in grants:
        item.status = GrantStatus.RELEASED
        item.hold_until = None
        await budgets.give_back(
            db, tenant_id=item.tenant_id, year=item.year, amount=item.amount_cents
        )
    # The books after the budget, in the order a grant takes them (budget row, then the
    # entries' counter): two transactions never wait on each other's lock.
    now = utcnow()
    for item in grants:
        await accounting.release_grant(db, item, now=now)  # a reversing entry
    return len(grants)


async def release_for_booking(db: AsyncSession, *, booking_id: str) -> int:
    return await release(db, await repository.grants_for(db, booking_id=booking_id))


#: What an order's event does to its grants.
ORDER_OUTCOME = {
    OrderEvent.PLACED: GrantStatus.PLACED,
    OrderEvent.PAID: GrantStatus.PAID,
    OrderEvent.CANCELLED: GrantStatus.RELEASED,
    OrderEvent.REFUNDED: GrantStatus.RELEASED,
}


async def on_order(db: AsyncSession, *, event_type: OrderEvent, order_id: str) -> None:
    outcome = ORDER_OUTCOME[event_type]
    grants = await repository.grants_for(db, order_id=order_id)
    if outcome == GrantStatus.RELEASED:
        await release(db, grants)
        return
    for item in grants:
        if outcome == GrantStatus.PAID or item.status == GrantStatus.HELD:
            item.status = outcome
            item.hold_until = None
