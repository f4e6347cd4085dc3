"""Grants: the subsidies reserved for an order or a booking, within caps and budget.

No HTTP here. Every amount is in cents; a subsidy never exceeds what it pays for, a person's
yearly cap per rule, or what is left of the tenant's budget: a person's grants are computed one
at a time (a lock per person), and the budget is reserved by one conditional UPDATE, planned
again under the budget row's lock when others took what was left meanwhile.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
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


def _plan(
    rules_: Sequence[Rule],
    lines: Sequence[LineIn],
    children: int,
    used: dict[str, int],
    left: int,
    bracket: str | None,
) -> list[tuple[LineIn, Rule, int]]:
    """Each line's rule and amount, within the caps (``used`` so far) and ``left`` of the
    budget, line after line."""
    used, plan = dict(used), []
    for line in lines:
        best, chosen = _best(rules_, line, children, used, left, bracket)
        if chosen is None or best <= 0:
            continue
        plan.append((line, chosen, best))
        used[chosen.id] = used.get(chosen.id, 0) + best
        left -= best
    return plan


@dataclass
class Pending:
    """A grant planned, not yet reserved (``plan``, then ``settle``): what the person is entitled
    to by the rules and their caps, against what was left of the budget when it was read."""

    tenant_id: str
    user_id: str
    now: datetime
    status: GrantStatus
    hold_until: datetime | None = None
    order_id: str | None = None
    booking_id: str | None = None
    #: The total of an earlier reservation of the same order: settled already.
    existing: int | None = None
    budget_id: str | None = None
    lines: Sequence[LineIn] = ()
    rules: Sequence[Rule] = ()
    children: int = 0
    used: dict[str, int] = field(default_factory=dict)
    bracket: str | None = None
    plan: list[tuple[LineIn, Rule, int]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.existing if self.existing is not None else sum(a for *_, a in self.plan)


async def plan(
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
) -> Pending:
    """The grant of an order or a booking, planned (``settle`` reserves it; ``settle(db, await
    plan(db, ...))`` when nothing is to happen in between).

    For each line the most generous rule that applies, within its yearly cap for the person
    and what is left of the budget; nothing reserved yet. Asking again for the same order
    answers the same total and reserves nothing more.

    One grant of a person at a time (their caps: a lock per person until the commit), never
    one grant of the tenant at a time: the tenant's rows (the budget, the books' counter) are
    only taken by ``settle``, last, right before the commit. Taken first, as they were, every
    grant of a tenant waited for the others' whole transactions (``bench/orders.py``: 24
    subsidised orders a second in one tenant; docs/orders.md)."""
    pending = Pending(tenant_id, user_id, now, status, hold_until, order_id, booking_id)
    if order_id is not None:
        existing = await repository.grants_for(db, order_id=order_id)
        if existing:
            pending.existing = sum(g.amount_cents for g in existing)
            return pending
    profile = await profiles.profile_of(db, tenant_id=tenant_id, user_id=user_id)
    pending.children = profile.children_count if profile else 0
    pending.rules = await rules.active_rules(db, tenant_id=tenant_id)
    if any(rule.bracket is not None for rule in pending.rules):
        pending.bracket = await quotients.current_bracket(
            db, tenant_id=tenant_id, user_id=user_id, now=now
        )
    pending.lines = lines
    if not any(
        _applies(rule, line.kind, pending.children, pending.bracket)
        for rule in pending.rules
        for line in lines
    ):
        return pending  # most orders: nothing to grant, and no need to wait for any lock
    await repository.lock_person(db, tenant_id=tenant_id, user_id=user_id)
    budget = await budgets.budget(db, tenant_id=tenant_id, year=now.year)
    if budget is None:
        return pending
    pending.budget_id = budget.id
    pending.used = await repository.used_by_rule(
        db, tenant_id=tenant_id, user_id=user_id, year=now.year
    )
    _replan(pending, budget.amount_cents - budget.reserved_cents)
    if pending.plan:
        await subject_data.record_personal_data(db, events, subject=user_id, tenant=tenant_id)
    return pending


def _replan(pending: Pending, left: int) -> None:
    pending.plan = _plan(
        pending.rules, pending.lines, pending.children, pending.used, left, pending.bracket
    )


async def settle(db: AsyncSession, pending: Pending) -> int:
    """Reserve what ``plan`` planned: the budget by one conditional UPDATE (the budget's row is
    then locked until the commit), planned again under that row's lock when other grants took
    what was left since it was read; then the grants and their entries in the books (the
    entries' counter, after the budget: ``release`` takes them in the same order, so two
    transactions never wait on each other). Returns the total reserved."""
    if pending.existing is not None:
        return pending.existing
    if not pending.plan or pending.budget_id is None:
        return 0
    year = pending.now.year
    if not await budgets.reserve(db, budget_id=pending.budget_id, amount=pending.total):
        budget = await budgets.budget(db, tenant_id=pending.tenant_id, year=year, for_update=True)
        assert budget is not None  # a budget is never deleted
        _replan(pending, budget.amount_cents - budget.reserved_cents)
        if not pending.plan:
            return 0
        if not await budgets.reserve(db, budget_id=budget.id, amount=pending.total):
            raise Conflict("the subsidy budget is spent")  # cannot happen under the row lock
    granted = [
        Grant(
            tenant_id=pending.tenant_id,
            user_id=pending.user_id,
            rule_id=chosen.id,
            kind=line.kind,
            order_id=pending.order_id,
            booking_id=pending.booking_id,
            amount_cents=amount,
            year=year,
            status=pending.status,
            created_at=pending.now,
            hold_until=pending.hold_until,
        )
        for line, chosen, amount in pending.plan
    ]
    db.add_all(granted)
    await db.flush()
    for made in granted:
        await accounting.record_grant(db, made)  # the books: one entry per grant
    return pending.total


async def release(
    db: AsyncSession,
    grants: Sequence[Grant],
    *,
    now: datetime | None = None,
    occurred_at: datetime | None = None,
) -> int:
    """Give the grants' amounts back to their budgets (an order cancelled, a hold expired).
    Their reversing entries are written ``now`` (the platform's clock unless given), their
    document dated ``occurred_at`` (the order's cancellation or refund) or ``now``."""
    for item in grants:
        item.status = GrantStatus.RELEASED
        item.hold_until = None
        await budgets.give_back(
            db, tenant_id=item.tenant_id, year=item.year, amount=item.amount_cents
        )
    # The books after the budget, in the order a grant takes them (budget row, then the
    # entries' counter): two transactions never wait on each other's lock.
    now = utcnow() if now is None else now
    for item in grants:
        await accounting.release_grant(db, item, now=now, occurred_at=occurred_at)
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


async def on_order(
    db: AsyncSession,
    *,
    event_type: OrderEvent,
    order_id: str,
    occurred_at: datetime | None = None,
    now: datetime | None = None,
) -> None:
    """An order's event (``occurred_at``: when it happened) received ``now``."""
    outcome = ORDER_OUTCOME[event_type]
    grants = await repository.grants_for(db, order_id=order_id)
    if outcome == GrantStatus.RELEASED:
        await release(db, grants, now=now, occurred_at=occurred_at)
        return
    for item in grants:
        if outcome == GrantStatus.PAID or item.status == GrantStatus.HELD:
            item.status = outcome
            item.hold_until = None
