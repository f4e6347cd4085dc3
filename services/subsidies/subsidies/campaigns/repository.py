"""The gift campaigns' queries; all carry the tenant (or an order the buyer's call names)."""

import zlib
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import By, Keyset, Page, Part, fetch
from subsidies.campaigns.models import Campaign, GiftTotal, Voucher, VoucherUse
from subsidies.grants.models import GrantStatus
from subsidies.profiles.models import Profile

#: The tenant's campaigns, the newest first.
CAMPAIGNS_NEWEST = Keyset[Campaign](
    "campaigns",
    (By(Campaign.created_at, datetime, descending=True), By(Campaign.id, str, descending=True)),
    key=lambda c: (c.created_at, c.id),
)
#: A person's vouchers, the newest first.
VOUCHERS_NEWEST = Keyset[Voucher](
    "vouchers",
    (By(Voucher.created_at, datetime, descending=True), By(Voucher.id, str, descending=True)),
    key=lambda v: (v.created_at, v.id),
)
#: The yearly report: per person, then event (the unique index's order).
TOTALS_BY_PERSON = Keyset[GiftTotal](
    "gift-report",
    (By(GiftTotal.user_id, str), By(GiftTotal.event, str)),
    key=lambda t: (t.user_id, t.event),
)


async def lock_tenant_campaigns(db: AsyncSession, *, tenant_id: str) -> None:
    """One campaign of a tenant at a time (a transaction-scoped advisory lock): two campaigns
    for the same event never both pass the limit on the same totals."""
    if db.get_bind().dialect.name != "postgresql":
        return  # SQLite (unit tests) runs one writing transaction at a time anyway
    key = zlib.crc32(f"campaigns:{tenant_id}".encode())
    await db.execute(select(func.pg_advisory_xact_lock(key)))


async def eligible(
    db: AsyncSession, *, tenant_id: str, min_children: int
) -> Sequence[tuple[str, int]]:
    """The tenant's beneficiaries (people with a profile) meeting the condition, with their
    number of children."""
    rows = await db.execute(
        select(Profile.user_id, Profile.children_count)
        .where(Profile.tenant_id == tenant_id, Profile.children_count >= min_children)
        .order_by(Profile.user_id)
    )
    return [(user, int(children)) for user, children in rows.all()]


async def totals_of(
    db: AsyncSession, *, tenant_id: str, year: int, event: str
) -> dict[str, GiftTotal]:
    query = select(GiftTotal).where(
        GiftTotal.tenant_id == tenant_id, GiftTotal.year == year, GiftTotal.event == event
    )
    return {t.user_id: t for t in (await db.scalars(query)).all()}


async def campaigns_page(
    db: AsyncSession, *, tenant_id: str, cursor: str | None, limit: int
) -> Page[Campaign]:
    query = select(Campaign).where(Campaign.tenant_id == tenant_id)
    return await fetch(db, [Part(query, CAMPAIGNS_NEWEST)], cursor=cursor, limit=limit)


async def vouchers_page(
    db: AsyncSession, *, tenant_id: str, user_id: str, cursor: str | None, limit: int
) -> Page[Voucher]:
    query = select(Voucher).where(Voucher.tenant_id == tenant_id, Voucher.user_id == user_id)
    return await fetch(db, [Part(query, VOUCHERS_NEWEST)], cursor=cursor, limit=limit)


async def report_page(
    db: AsyncSession, *, tenant_id: str, year: int, cursor: str | None, limit: int
) -> Page[GiftTotal]:
    query = select(GiftTotal).where(GiftTotal.tenant_id == tenant_id, GiftTotal.year == year)
    return await fetch(db, [Part(query, TOTALS_BY_PERSON)], cursor=cursor, limit=limit)


async def open_vouchers(db: AsyncSession, *, tenant_id: str, user_id: str) -> Sequence[Voucher]:
    """A person's vouchers with something left, the oldest first, locked: two orders at once
    never spend the same balance."""
    query = (
        select(Voucher)
        .where(
            Voucher.tenant_id == tenant_id,
            Voucher.user_id == user_id,
            Voucher.used_cents < Voucher.amount_cents,
        )
        .order_by(Voucher.created_at, Voucher.id)
        .with_for_update()
    )
    return (await db.scalars(query)).all()


#: Read by each of an order's events: built once with bound parameters, as every statement a
#: frequent operation runs (docs/performance.md).
_USES_OF_ORDER = select(VoucherUse).where(VoucherUse.order_id == bindparam("order_id"))


async def uses_of_order(db: AsyncSession, *, order_id: str) -> Sequence[VoucherUse]:
    """Every use of vouchers by an order, live or released: one query for what each of an
    order's events needs of both (most orders have none)."""
    return (await db.scalars(_USES_OF_ORDER, {"order_id": order_id})).all()


async def voucher(db: AsyncSession, *, voucher_id: str) -> Voucher | None:
    return await db.scalar(select(Voucher).where(Voucher.id == voucher_id).with_for_update())


async def expired_holds(
    db: AsyncSession, *, now: datetime, limit: int = 500
) -> Sequence[VoucherUse]:
    query = select(VoucherUse).where(
        VoucherUse.status == GrantStatus.HELD, VoucherUse.hold_until <= now
    )
    return (await db.scalars(query.limit(limit))).all()


async def vouchers_of_people(
    db: AsyncSession, *, tenant_id: str, year: int, event: str, user_ids: list[str]
) -> Sequence[Voucher]:
    """The vouchers of one event and year of some people (their exemption changes side)."""
    query = select(Voucher).where(
        Voucher.tenant_id == tenant_id,
        Voucher.year == year,
        Voucher.event == event,
        Voucher.user_id.in_(user_ids),
    )
    return (await db.scalars(query)).all()


async def campaigns_by_id(db: AsyncSession, *, ids: list[str]) -> dict[str, Campaign]:
    if not ids:
        return {}
    found = await db.scalars(select(Campaign).where(Campaign.id.in_(ids)))
    return {c.id: c for c in found}


async def vouchers_of_year(db: AsyncSession, *, tenant_id: str, year: int) -> Sequence[Voucher]:
    """Every voucher of the tenant's year (the journal's reading)."""
    query = select(Voucher).where(Voucher.tenant_id == tenant_id, Voucher.year == year)
    return (await db.scalars(query.order_by(Voucher.created_at, Voucher.id))).all()


async def uses_of_year(db: AsyncSession, *, tenant_id: str, year: int) -> Sequence[VoucherUse]:
    """What orders took from the vouchers of the tenant's year (the journal's reading)."""
    query = (
        select(VoucherUse)
        .join(Voucher, Voucher.id == VoucherUse.voucher_id)
        .where(Voucher.tenant_id == tenant_id, Voucher.year == year)
    )
    return (await db.scalars(query.order_by(VoucherUse.created_at, VoucherUse.id))).all()
