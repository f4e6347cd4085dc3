"""Gift campaigns within URSSAF's exemption limit ("bons d'achat et cadeaux"). No HTTP here.

The limit is ``gift_exemption_percent`` (5) % of the year's PMSS (settings ``pmss_cents``) per
event, per employee and per calendar year (the year in the works council's time zone,
``ACCOUNTING_TIMEZONE``). Beyond it the tolerance does not apply at all: the WHOLE amount of
the event's vouchers that year is subject to contributions, not only the excess (BOSS,
"Avantages en nature - bons d'achat et cadeaux"); exactly at the limit it is exempt. For
the events counted per child (settings ``gift_events``: Christmas of the children, back to
school) it is that much per child. Two campaigns of the same event in one year add up;
different events, and different years, are separate. Every event of a campaign is one
URSSAF lists, so the yearly global tolerance (5 % in all) is always met when each event is
(docs/subsidies.md).

A voucher is a stored balance: an order the person places takes from it what the subsidy left
to pay (``consume``, called by ``POST /internal/grants``), held until the order is placed,
released when it is cancelled, refunded or never committed.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from kit.errors import Conflict, Invalid
from kit.pagination import Page
from subsidies.accounting import service as accounting
from subsidies.base import events, subject_data
from subsidies.campaigns import repository
from subsidies.campaigns.models import Campaign, GiftTotal, LimitBasis, Voucher, VoucherUse
from subsidies.config import Settings
from subsidies.grants.models import LIVE, GrantStatus, OrderEvent

#: At most this many beneficiaries over the limit are listed in a preview (all are counted).
LISTED = 100
#: People looked up at once (a statement's parameters are limited).
CHUNK = 5_000


@dataclass(frozen=True)
class Draft:
    """What an admin asks for: the event, the amount per beneficiary (or per child), who."""

    name: str
    event: str
    amount_cents: int
    per_child: bool = False
    min_children: int = 0


@dataclass(frozen=True)
class Excess:
    """A beneficiary the campaign takes over the limit of the event's year."""

    user_id: str
    already_cents: int
    new_cents: int
    limit_cents: int
    #: Not exempt: the whole amount of the event's vouchers in the year (what they already
    #: received and this campaign's voucher), not only what goes beyond the limit.
    excess_cents: int


@dataclass(frozen=True)
class Issue:
    user_id: str
    amount_cents: int
    limit_units: int
    not_exempt_cents: int


@dataclass
class Plan:
    """A campaign's dry run: what it gives, to how many, and what goes over the limit."""

    event: str
    year: int
    per_child_limit: bool
    unit_limit_cents: int
    beneficiaries: int = 0
    total_cents: int = 0
    #: What the campaign makes subject to contributions: its vouchers to people it takes over
    #: the limit, in full, and what those people already received for the event that year
    #: when it was still exempt (``reclassified_cents`` of it).
    not_exempt_cents: int = 0
    reclassified_cents: int = 0
    #: The people whose earlier vouchers of the event change side: True, now not exempt.
    reclassified: dict[str, bool] = field(default_factory=dict)
    exceeding_count: int = 0
    exceeding: list[Excess] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)


@dataclass(frozen=True)
class Exemption:
    """One line of the yearly report: a person's vouchers of one event in one year."""

    user_id: str
    year: int
    event: str
    issued_cents: int
    limit_cents: int
    exempt_cents: int
    not_exempt_cents: int


class LedgerKind(StrEnum):
    ISSUED = "voucher.issued"
    USED = "voucher.used"


@dataclass(frozen=True)
class LedgerEntry:
    """What the accounting journal reads (``ledger``): ids and amounts, nothing else."""

    kind: LedgerKind
    #: The voucher's id (issued) or the use's id (used).
    id: str
    voucher_id: str
    user_id: str
    at: datetime
    amount_cents: int
    campaign_id: str | None = None
    event: str | None = None
    #: Issued: the part beyond the exemption limit (subject to contributions).
    not_exempt_cents: int = 0
    #: Used: the order, and the use's ``GrantStatus`` (``released`` gave the amount back).
    order_id: str | None = None
    status: str | None = None
    #: Used: what an order placed after its hold expired could no longer take (spent meanwhile).
    shortfall_cents: int = 0


def limit_basis(settings: Settings, event: str) -> LimitBasis:
    try:
        return LimitBasis(settings.gift_events[event])
    except KeyError:
        raise Invalid("unknown event: choose one of the events URSSAF lists") from None


def year_of(now: datetime) -> int:
    """The calendar year of ``now`` in the works council's time zone (the books' one): a
    campaign on 31 December at 23:30 in Paris is of that year, whatever UTC says."""
    return accounting.books.day(now).year


def is_exempt(total_cents: int, limit_cents: int) -> bool:
    """URSSAF's tolerance: exempt when the event's amount does not exceed the limit."""
    return total_cents <= limit_cents


def unit_limit(settings: Settings, year: int) -> int:
    """The exempt amount per event (per employee, or per child) in ``year``, in cents."""
    pmss = settings.pmss_cents.get(year)
    if pmss is None:
        raise Invalid(f"the social-security ceiling of {year} is not configured (PMSS_CENTS)")
    return pmss * settings.gift_exemption_percent // 100


def events_of(settings: Settings, year: int) -> list[tuple[str, LimitBasis, int]]:
    """The configured events, what their limit counts, and the limit of ``year``."""
    limit = unit_limit(settings, year)
    return [(event, LimitBasis(basis), limit) for event, basis in settings.gift_events.items()]


def check(settings: Settings, draft: Draft, now: datetime) -> tuple[LimitBasis, int]:
    """Refuse a draft that cannot be planned (an unknown event, an amount per child for an
    event counted per employee, a year without its ceiling), before anyone is asked anything;
    else what the event's limit counts, and the limit of the year."""
    basis = limit_basis(settings, draft.event)
    if draft.per_child and basis != LimitBasis.CHILD:
        raise Invalid("an amount per child is for the events counted per child")
    return basis, unit_limit(settings, year_of(now))


async def plan(
    db: AsyncSession,
    *,
    settings: Settings,
    tenant_id: str,
    draft: Draft,
    now: datetime,
    employees: Collection[str],
) -> Plan:
    """The dry run: every eligible beneficiary's voucher and, for those it takes past the limit
    of the event's year (what they already received for it included), the excess.

    ``employees`` are the tenant's active employees (identity's ids, asked by the route before
    its first statement: no connection or lock is held during that call), and required: a
    caller that forgot them would issue vouchers on every profile held, a departed employee's
    included. Only they receive a voucher, and with no condition on children each of them
    does, whether or not they ever saved a profile; a condition on children needs the profile
    that says how many."""
    basis, limit = check(settings, draft, now)
    per_child_limit = basis == LimitBasis.CHILD
    year = year_of(now)
    result = Plan(draft.event, year, per_child_limit, limit)
    min_children = max(draft.min_children, 1 if per_child_limit else 0)
    people = await repository.eligible(db, tenant_id=tenant_id, min_children=min_children)
    active = set(employees)
    people = [(user, children) for user, children in people if user in active]
    if min_children == 0:
        known = {user for user, _ in people}
        people = sorted([*people, *((user, 0) for user in active - known)])
    # Art. 18: a restricted person's profile is kept, not used: no voucher is issued on it.
    frozen: set[str] = set()
    for start in range(0, len(people), CHUNK):
        chunk = [user for user, _ in people[start : start + CHUNK]]
        frozen |= await subject_data.flagged(db, subject_data.restrictions, chunk)
    totals = await repository.totals_of(db, tenant_id=tenant_id, year=year, event=draft.event)
    for user_id, children in people:
        if user_id in frozen:
            continue
        amount = draft.amount_cents * (children if draft.per_child else 1)
        total = totals.get(user_id)
        already = total.issued_cents if total else 0
        units = max(children if per_child_limit else 1, total.limit_units if total else 0)
        # Beyond the limit, the whole event is subject: this voucher in full, and what was
        # issued before for the event that year changes side if it was exempt until now.
        over = not is_exempt(already + amount, limit * units)
        was_over = total is not None and not is_exempt(already, limit * total.limit_units)
        result.issues.append(Issue(user_id, amount, units, amount if over else 0))
        result.beneficiaries += 1
        result.total_cents += amount
        if already and over != was_over:
            result.reclassified[user_id] = over
            if over:
                result.reclassified_cents += already
                result.not_exempt_cents += already
        if over:
            result.not_exempt_cents += amount
            result.exceeding_count += 1
            if len(result.exceeding) < LISTED:
                result.exceeding.append(
                    Excess(user_id, already, amount, limit * units, already + amount)
                )
    return result


async def _reclassify(
    db: AsyncSession, *, tenant_id: str, year: int, event: str, changed: dict[str, bool]
) -> None:
    """The earlier vouchers of the event and year of the people whose side changed: wholly not
    exempt (or exempt again, when more children raised the limit), with their campaigns'
    not-exempt figures."""
    people = list(changed)
    for start in range(0, len(people), CHUNK):
        chunk = people[start : start + CHUNK]
        found = await repository.vouchers_of_people(
            db, tenant_id=tenant_id, year=year, event=event, user_ids=chunk
        )
        campaigns = await repository.campaigns_by_id(
            db, ids=list({v.campaign_id for v in found if v.campaign_id})
        )
        for item in found:
            value = item.amount_cents if changed[item.user_id] else 0
            delta, item.not_exempt_cents = value - item.not_exempt_cents, value
            owner = campaigns.get(item.campaign_id) if item.campaign_id else None
            if owner is not None:
                owner.not_exempt_cents += delta


async def create(
    db: AsyncSession,
    *,
    settings: Settings,
    tenant_id: str,
    draft: Draft,
    confirm_over_limit: bool,
    now: datetime,
    employees: Collection[str],
) -> tuple[Campaign, Plan]:
    """Issue the campaign's vouchers. When some go over the exemption limit, nothing is issued
    unless the admin confirmed it (``confirm_over_limit``): the whole event's amount of those
    people is then recorded as not exempt (campaigns, vouchers and the yearly report)."""
    await repository.lock_tenant_campaigns(db, tenant_id=tenant_id)
    result = await plan(
        db, settings=settings, tenant_id=tenant_id, draft=draft, now=now, employees=employees
    )
    if result.exceeding_count and not confirm_over_limit:
        raise Conflict(
            f"{result.exceeding_count} beneficiaries would go over the exemption limit "
            f"({result.not_exempt_cents} cents not exempt): preview the campaign, then confirm "
            "with confirm_over_limit"
        )
    if not result.beneficiaries:
        raise Invalid("no beneficiary meets the campaign's condition")
    campaign = Campaign(
        tenant_id=tenant_id,
        name=draft.name,
        event=draft.event,
        amount_cents=draft.amount_cents,
        per_child=draft.per_child,
        min_children=draft.min_children,
        year=result.year,
        beneficiaries=result.beneficiaries,
        total_cents=result.total_cents,
        # Its own vouchers; what it made subject of earlier ones goes to their campaigns.
        not_exempt_cents=result.not_exempt_cents - result.reclassified_cents,
        created_at=now,
    )
    if result.reclassified:
        await _reclassify(
            db,
            tenant_id=tenant_id,
            year=result.year,
            event=draft.event,
            changed=result.reclassified,
        )
    db.add(campaign)
    await db.flush()
    totals = await repository.totals_of(
        db, tenant_id=tenant_id, year=result.year, event=draft.event
    )
    for issue in result.issues:
        db.add(
            Voucher(
                tenant_id=tenant_id,
                user_id=issue.user_id,
                campaign_id=campaign.id,
                event=draft.event,
                year=result.year,
                amount_cents=issue.amount_cents,
                used_cents=0,
                not_exempt_cents=issue.not_exempt_cents,
                limit_units=issue.limit_units,
                created_at=now,
            )
        )
        total = totals.get(issue.user_id)
        if total is None:
            total = GiftTotal(
                tenant_id=tenant_id,
                user_id=issue.user_id,
                year=result.year,
                event=draft.event,
                issued_cents=0,
            )
            db.add(total)
        total.issued_cents += issue.amount_cents
        total.limit_units = issue.limit_units
        total.updated_at = now
    await db.flush()
    # The books: one entry for the campaign's vouchers (the budget's expense, owed until the
    # vouchers are spent), named by the campaign's id: nobody's name or id is in it.
    await accounting.record_voucher(
        db, tenant_id=tenant_id, voucher_id=campaign.id, when=now, amount_cents=campaign.total_cents
    )
    batch = events.batch(tenant=tenant_id)
    await subject_data.record_personal_data_many(
        db, batch, subjects=[i.user_id for i in result.issues], now=now
    )
    await batch.write(db)
    return campaign, result


def exemption(total: GiftTotal, limit_cents: int) -> Exemption:
    """Exempt in full up to the limit; beyond it, not exempt in full (BOSS)."""
    limit = limit_cents * total.limit_units
    exempt = total.issued_cents if is_exempt(total.issued_cents, limit) else 0
    return Exemption(
        user_id=total.user_id,
        year=total.year,
        event=total.event,
        issued_cents=total.issued_cents,
        limit_cents=limit,
        exempt_cents=exempt,
        not_exempt_cents=total.issued_cents - exempt,
    )


async def report(
    db: AsyncSession,
    *,
    settings: Settings,
    tenant_id: str,
    year: int,
    cursor: str | None,
    limit: int,
) -> Page[Exemption]:
    """One page of the year's report: per person and event, what is exempt and what is not."""
    unit = unit_limit(settings, year)
    page = await repository.report_page(
        db, tenant_id=tenant_id, year=year, cursor=cursor, limit=limit
    )
    return page.map(lambda total: exemption(total, unit))


# -- vouchers spent by orders ------------------------------------------------------------------


async def consume(
    db: AsyncSession,
    *,
    tenant_id: str,
    user_id: str,
    order_id: str,
    payable_cents: int,
    now: datetime,
    hold_until: datetime,
) -> int:
    """Take from the buyer's vouchers (the oldest first) up to ``payable_cents``, what is left
    to pay once the subsidies are applied; held until the order is placed. Asking again for
    the same order answers the same amount and takes nothing more."""
    # The buyer's vouchers are locked first: a second call for the same order at the same time
    # waits here, then sees the first one's uses and takes nothing more (the unique
    # (order_id, voucher_id) of ``voucher_uses`` is the backstop).
    vouchers = await repository.open_vouchers(db, tenant_id=tenant_id, user_id=user_id)
    live, released_uses = _by_state(await repository.uses_of_order(db, order_id=order_id))
    if live:
        return sum(use.amount_cents for use in live)
    if payable_cents <= 0:
        return 0
    # A use released earlier for this order (its hold expired) is taken up again, not doubled.
    released = {u.voucher_id: u for u in released_uses}
    left, taken = payable_cents, 0
    for item in vouchers:
        amount = min(left, item.amount_cents - item.used_cents)
        if amount <= 0:
            break
        item.used_cents += amount
        use = released.get(item.id)
        if use is None:
            db.add(
                VoucherUse(
                    tenant_id=tenant_id,
                    user_id=user_id,
                    voucher_id=item.id,
                    order_id=order_id,
                    amount_cents=amount,
                    shortfall_cents=0,
                    status=GrantStatus.HELD,
                    created_at=now,
                    hold_until=hold_until,
                )
            )
        else:
            use.amount_cents, use.shortfall_cents = amount, 0
            use.status, use.hold_until, use.created_at = GrantStatus.HELD, hold_until, now
        left -= amount
        taken += amount
    if taken:
        await db.flush()
        await subject_data.record_personal_data(db, events, subject=user_id, tenant=tenant_id)
    return taken


async def release(db: AsyncSession, uses: Sequence[VoucherUse], *, expired: bool = False) -> int:
    """Give the uses' amounts back to their vouchers (an order cancelled, a hold expired). A
    hold that expired keeps its ``hold_until``: the order's ``placed``/``paid`` event may
    still come, and takes the use up again (``on_order``)."""
    for use in uses:
        item = await repository.voucher(db, voucher_id=use.voucher_id)
        if item is not None:
            item.used_cents -= use.amount_cents
        use.status = GrantStatus.RELEASED
        if not expired:
            use.hold_until = None
    return len(uses)


async def release_expired_holds(db: AsyncSession, now: datetime) -> int:
    """Uses held for orders that never got placed (the order's transaction failed, or its
    event is late: see ``on_order``)."""
    return await release(db, await repository.expired_holds(db, now=now), expired=True)


async def _take_again(db: AsyncSession, uses: Sequence[VoucherUse], outcome: GrantStatus) -> None:
    """The order was placed after all, with the discount the vouchers gave: its uses released
    by an expired hold are taken up again, as much as each voucher's balance still allows;
    what it no longer allows (spent meanwhile by another order) is the use's
    ``shortfall_cents``, shown in the ledger (the books then count it as the subsidy's)."""
    for use in uses:
        item = await repository.voucher(db, voucher_id=use.voucher_id)
        left = item.amount_cents - item.used_cents if item is not None else 0
        amount = max(0, min(use.amount_cents, left))
        if item is not None:
            item.used_cents += amount
        use.shortfall_cents = use.amount_cents - amount
        use.amount_cents = amount
        use.status = outcome
        use.hold_until = None


async def on_order(
    db: AsyncSession, *, event_type: OrderEvent, order_id: str
) -> Sequence[VoucherUse]:
    """An order's event moves what it took from vouchers as it moves its grants; returns the
    order's uses as they now stand (the books' entry of the event reads them)."""
    found = await repository.uses_of_order(db, order_id=order_id)
    uses, released = _by_state(found)
    if event_type in (OrderEvent.CANCELLED, OrderEvent.REFUNDED):
        await release(db, uses)  # their hold_until cleared too
        # A late placed/paid event of a cancelled order takes nothing up again.
        for use in released:
            use.hold_until = None
        return found
    outcome = GrantStatus.PAID if event_type == OrderEvent.PAID else GrantStatus.PLACED
    for use in uses:
        if outcome == GrantStatus.PAID or use.status == GrantStatus.HELD:
            use.status = outcome
            use.hold_until = None
    await _take_again(db, [u for u in released if u.hold_until], outcome)
    return found


def _by_state(uses: Sequence[VoucherUse]) -> tuple[list[VoucherUse], list[VoucherUse]]:
    """An order's uses of vouchers: the live ones (held, placed, paid), then the released."""
    live = [u for u in uses if u.status in LIVE]
    return live, [u for u in uses if u.status == GrantStatus.RELEASED]


# -- for the accounting journal ----------------------------------------------------------------


async def ledger(db: AsyncSession, *, tenant_id: str, year: int) -> list[LedgerEntry]:
    """Every voucher issued in the tenant's ``year`` and every use orders made of them, in
    time order: ids and amounts only (the accounting journal's reading)."""
    entries = [
        LedgerEntry(
            kind=LedgerKind.ISSUED,
            id=v.id,
            voucher_id=v.id,
            user_id=v.user_id,
            at=v.created_at,
            amount_cents=v.amount_cents,
            campaign_id=v.campaign_id,
            event=v.event,
            not_exempt_cents=v.not_exempt_cents,
        )
        for v in await repository.vouchers_of_year(db, tenant_id=tenant_id, year=year)
    ]
    entries += [
        LedgerEntry(
            kind=LedgerKind.USED,
            id=u.id,
            voucher_id=u.voucher_id,
            user_id=u.user_id,
            at=u.created_at,
            amount_cents=u.amount_cents,
            order_id=u.order_id,
            status=u.status,
            shortfall_cents=u.shortfall_cents,
        )
        for u in await repository.uses_of_year(db, tenant_id=tenant_id, year=year)
    ]
    return sorted(entries, key=lambda e: (e.at, e.id))


async def own_vouchers(
    db: AsyncSession, *, tenant_id: str, user_id: str, cursor: str | None, limit: int
) -> Page[Voucher]:
    return await repository.vouchers_page(
        db, tenant_id=tenant_id, user_id=user_id, cursor=cursor, limit=limit
    )


async def campaigns(
    db: AsyncSession, *, tenant_id: str, cursor: str | None, limit: int
) -> Page[Campaign]:
    return await repository.campaigns_page(db, tenant_id=tenant_id, cursor=cursor, limit=limit)
