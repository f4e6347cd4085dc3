"""The audit's fixes of the gift campaigns: the whole event is subject beyond the limit (and
exactly at it, exempt), the campaign's year is the works council's, one order takes from a
voucher once, and an order placed after its hold expired takes its vouchers up again (or shows
what it could not)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kit.db import Database
from services.subsidies.tests.campaigns.test_campaigns import (
    LIMIT,
    balance,
    campaign,
    people,
    report,
    use,
)
from services.subsidies.tests.factories import NOW, TENANT
from subsidies.campaigns import service
from subsidies.campaigns.models import Voucher, VoucherUse
from subsidies.grants.models import GrantStatus, OrderEvent

EXPIRED = NOW + timedelta(minutes=16)


async def uses(database: Database, order: str) -> list[VoucherUse]:
    async with database.transaction() as db:
        query = select(VoucherUse).where(VoucherUse.order_id == order)
        return list((await db.scalars(query.order_by(VoucherUse.amount_cents.desc()))).all())


async def test_at_the_limit_over_two_campaigns_exempt_one_cent_more_all_subject(
    database: Database,
) -> None:
    await people(database, a=0)
    await campaign(database, LIMIT - 1)
    await campaign(database, 1)  # exactly the limit in all: exempt
    line = (await report(database))[("a", "christmas")]
    assert (line.issued_cents, line.exempt_cents, line.not_exempt_cents) == (LIMIT, LIMIT, 0)
    third = await campaign(database, 1, confirm=True)  # one cent above: the whole event
    line = (await report(database))[("a", "christmas")]
    assert (line.issued_cents, line.exempt_cents, line.not_exempt_cents) == (
        LIMIT + 1,
        0,
        LIMIT + 1,
    )
    assert third.not_exempt_cents == 1
    async with database.transaction() as db:
        vouchers = (await db.scalars(select(Voucher))).all()
    assert sorted(v.not_exempt_cents for v in vouchers) == [1, 1, LIMIT - 1]
    assert sum(v.not_exempt_cents for v in vouchers) == line.not_exempt_cents


async def test_the_campaigns_year_is_the_works_councils() -> None:
    # 31 December 23:30 UTC is 1 January 00:30 in Paris.
    assert service.year_of(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == 2027
    assert service.year_of(datetime(2026, 12, 31, 22, 30, tzinfo=UTC)) == 2026


async def test_a_campaign_at_new_years_eve_in_paris_counts_in_the_new_year(
    database: Database,
) -> None:
    await people(database, a=0)
    created = await campaign(database, 100, now=datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    assert created.year == 2027
    assert ("a", "christmas") in await report(database, 2027)
    assert ("a", "christmas") not in await report(database, 2026)


async def test_one_order_takes_from_a_voucher_once(database: Database) -> None:
    await people(database, a=0)
    await campaign(database, 5_000)
    assert await use(database, "o-1", 2_000) == 2_000
    [first] = await uses(database, "o-1")
    # A second use of the same order and voucher cannot be written.
    with pytest.raises(IntegrityError):
        async with database.transaction() as db:
            db.add(
                VoucherUse(
                    tenant_id=TENANT,
                    user_id="a",
                    voucher_id=first.voucher_id,
                    order_id="o-1",
                    amount_cents=2_000,
                    shortfall_cents=0,
                    status=GrantStatus.HELD,
                    created_at=NOW,
                    hold_until=NOW,
                )
            )
    assert await balance(database) == 3_000
    # Its hold expired: asked again, the order takes its released use up, in the same row.
    async with database.transaction() as db:
        assert await service.release_expired_holds(db, EXPIRED) == 1
    assert await balance(database) == 5_000
    assert await use(database, "o-1", 2_500) == 2_500
    [again] = await uses(database, "o-1")
    assert (again.id, again.status, again.amount_cents) == (first.id, GrantStatus.HELD, 2_500)
    assert await balance(database) == 2_500


async def test_placed_after_the_hold_expired_takes_the_vouchers_again(
    database: Database,
) -> None:
    await people(database, a=0)
    await campaign(database, 5_000)
    assert await use(database, "o-1", 3_000) == 3_000
    async with database.transaction() as db:
        assert await service.release_expired_holds(db, EXPIRED) == 1
    assert await balance(database) == 5_000
    async with database.transaction() as db:
        await service.on_order(db, event_type=OrderEvent.PLACED, order_id="o-1")
    [taken] = await uses(database, "o-1")
    assert (taken.status, taken.amount_cents, taken.shortfall_cents) == ("placed", 3_000, 0)
    assert await balance(database) == 2_000
    async with database.transaction() as db:
        await service.on_order(db, event_type=OrderEvent.PAID, order_id="o-1")
    assert (await uses(database, "o-1"))[0].status == "paid" and await balance(database) == 2_000


async def test_what_was_spent_meanwhile_is_a_shortfall_in_the_ledger(database: Database) -> None:
    await people(database, a=0)
    await campaign(database, 5_000)
    assert await use(database, "o-1", 3_000) == 3_000
    async with database.transaction() as db:
        await service.release_expired_holds(db, EXPIRED)
    assert await use(database, "o-2", 4_000) == 4_000  # the balance went to another order
    async with database.transaction() as db:
        await service.on_order(db, event_type=OrderEvent.PAID, order_id="o-1")
    [taken] = await uses(database, "o-1")
    assert (taken.status, taken.amount_cents, taken.shortfall_cents) == ("paid", 1_000, 2_000)
    assert await balance(database) == 0
    async with database.transaction() as db:
        entries = await service.ledger(db, tenant_id=TENANT, year=NOW.year)
    [used] = [e for e in entries if e.kind == service.LedgerKind.USED and e.order_id == "o-1"]
    assert (used.amount_cents, used.shortfall_cents) == (1_000, 2_000)


async def test_a_cancelled_order_takes_nothing_again(database: Database) -> None:
    await people(database, a=0)
    await campaign(database, 5_000)
    await use(database, "o-1", 3_000)
    async with database.transaction() as db:
        await service.release_expired_holds(db, EXPIRED)
        await service.on_order(db, event_type=OrderEvent.CANCELLED, order_id="o-1")
    async with database.transaction() as db:
        await service.on_order(db, event_type=OrderEvent.PLACED, order_id="o-1")  # late
    assert (await uses(database, "o-1"))[0].status == "released"
    assert await balance(database) == 5_000
