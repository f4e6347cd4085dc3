"""Gift campaigns within URSSAF's limit (5 % of the PMSS per event, per employee or child,
per calendar year): the edge amounts, the confirmation, the yearly report, vouchers spent by
orders, and the personal-data declarations."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from kit.db import Database
from kit.errors import Conflict, Invalid
from services.subsidies.tests.factories import NOW, TENANT, make_person
from subsidies.accounting import service as accounting
from subsidies.campaigns import service
from subsidies.campaigns.models import Campaign, GiftTotal, Voucher, VoucherUse
from subsidies.campaigns.service import Draft
from subsidies.config import Settings
from subsidies.context import Context
from subsidies.grants.models import GrantStatus, OrderEvent
from subsidies.models import subject_data
from subsidies.profiles.models import Profile
from subsidies.profiles.service import set_profile

LIMIT = 20_025  # 5 % of the 2026 PMSS, 4 005 €
SETTINGS = Settings(pmss_cents={2026: 400_500, 2027: 410_000})


async def people(database: Database, **children: int) -> None:
    async with database.transaction() as db:
        for user, count in children.items():
            await set_profile(db, principal=make_person(user), children_count=count, now=NOW)


async def campaign(
    database: Database,
    amount: int,
    *,
    event: str = "christmas",
    confirm: bool = False,
    now: datetime = NOW,
    employees: set[str] | None = None,
    **extra: bool | int,
) -> Campaign:
    draft = Draft(name=f"{event} gift", event=event, amount_cents=amount, **extra)  # type: ignore[arg-type]
    async with database.transaction() as db:
        if employees is None:  # everyone with a profile is still employed
            employees = set(await db.scalars(select(Profile.user_id)))
        created, _ = await service.create(
            db,
            settings=SETTINGS,
            tenant_id=TENANT,
            draft=draft,
            confirm_over_limit=confirm,
            now=now,
            employees=employees,
        )
        return created


async def vouchers_of(database: Database) -> dict[str, int]:
    async with database.transaction() as db:
        rows = await db.execute(select(Voucher.user_id, Voucher.amount_cents))
        return {user: int(amount) for user, amount in rows.all()}


async def report(database: Database, year: int = 2026) -> dict[tuple[str, str], service.Exemption]:
    async with database.transaction() as db:
        page = await service.report(
            db, settings=SETTINGS, tenant_id=TENANT, year=year, cursor=None, limit=500
        )
    return {(line.user_id, line.event): line for line in page.items}


async def count(database: Database, model: type) -> int:
    async with database.transaction() as db:
        return int(await db.scalar(select(func.count()).select_from(model)) or 0)


def test_the_limit_is_five_percent_of_the_configured_ceiling(context: Context) -> None:
    assert service.unit_limit(context.settings, 2026) == LIMIT
    with pytest.raises(Invalid, match="2031"):
        service.unit_limit(context.settings, 2031)


async def test_exactly_at_the_limit_is_exempt(database: Database) -> None:
    await people(database, a=0)
    created = await campaign(database, LIMIT)
    assert (created.beneficiaries, created.total_cents, created.not_exempt_cents) == (1, LIMIT, 0)
    line = (await report(database))[("a", "christmas")]
    assert (line.issued_cents, line.exempt_cents, line.not_exempt_cents) == (LIMIT, LIMIT, 0)


async def test_one_cent_above_needs_the_confirmation_and_is_not_exempt(
    database: Database,
) -> None:
    await people(database, a=0, b=0)
    draft = Draft(name="xmas", event="christmas", amount_cents=LIMIT + 1)
    async with database.transaction() as db:
        preview = await service.plan(
            db, settings=SETTINGS, tenant_id=TENANT, draft=draft, now=NOW, employees={"a", "b"}
        )
    # Beyond the limit the tolerance does not apply: the whole voucher is subject (BOSS).
    assert preview.exceeding_count == 2 and preview.not_exempt_cents == 2 * (LIMIT + 1)
    assert preview.exceeding[0].excess_cents == LIMIT + 1
    assert preview.exceeding[0].limit_cents == LIMIT
    with pytest.raises(Conflict, match="2 beneficiaries"):
        await campaign(database, LIMIT + 1)
    assert await count(database, Voucher) == 0 and await count(database, Campaign) == 0
    created = await campaign(database, LIMIT + 1, confirm=True)
    assert created.not_exempt_cents == 2 * (LIMIT + 1)
    line = (await report(database))[("a", "christmas")]
    assert (line.exempt_cents, line.not_exempt_cents) == (0, LIMIT + 1)
    async with database.transaction() as db:
        vouchers = (await db.scalars(select(Voucher))).all()
    assert [v.not_exempt_cents for v in vouchers] == [LIMIT + 1, LIMIT + 1]


async def test_two_campaigns_of_one_event_add_up_and_other_events_are_separate(
    database: Database,
) -> None:
    await people(database, a=0)
    await campaign(database, 15_000)
    await campaign(database, LIMIT, event="wedding")  # another event: its own limit
    async with database.transaction() as db:
        second = await service.plan(
            db,
            settings=SETTINGS,
            tenant_id=TENANT,
            draft=Draft(name="more", event="christmas", amount_cents=6_000),
            now=NOW,
            employees={"a"},
        )
    # The second campaign takes the event over the limit: the first voucher, exempt until now,
    # becomes subject too (the whole event's amount).
    assert second.exceeding[0].already_cents == 15_000
    assert second.exceeding[0].excess_cents == 21_000
    assert (second.not_exempt_cents, second.reclassified_cents) == (21_000, 15_000)
    with pytest.raises(Conflict):
        await campaign(database, 6_000)
    created = await campaign(database, 6_000, confirm=True)
    lines = await report(database)
    assert lines[("a", "christmas")].issued_cents == 21_000
    assert lines[("a", "christmas")].not_exempt_cents == 21_000
    assert lines[("a", "christmas")].exempt_cents == 0
    assert lines[("a", "wedding")].not_exempt_cents == 0
    async with database.transaction() as db:
        campaigns = {c.amount_cents: c for c in await db.scalars(select(Campaign))}
        vouchers = {v.amount_cents: v for v in await db.scalars(select(Voucher))}
    # Each campaign and voucher says what of it is not exempt: the first one changed side.
    assert created.not_exempt_cents == 6_000
    assert campaigns[15_000].not_exempt_cents == 15_000
    assert campaigns[LIMIT].not_exempt_cents == 0
    assert (vouchers[15_000].not_exempt_cents, vouchers[6_000].not_exempt_cents) == (15_000, 6_000)


async def test_each_calendar_year_has_its_own_limit(database: Database) -> None:
    await people(database, a=0)
    # The works council's year (Europe/Paris, UTC+1 in winter), not UTC's.
    await campaign(database, LIMIT, now=datetime(2026, 12, 31, 22, 59, 59, tzinfo=UTC))
    new_year = datetime(2026, 12, 31, 23, 0, tzinfo=UTC)  # midnight in Paris
    created = await campaign(database, 20_500, now=new_year)  # 5 % of 4 100 €
    assert created.year == 2027 and created.not_exempt_cents == 0
    assert (await report(database, 2026))[("a", "christmas")].issued_cents == LIMIT
    assert (await report(database, 2027))[("a", "christmas")].limit_cents == 20_500
    with pytest.raises(Invalid, match="2028"):
        await campaign(database, 100, now=datetime(2028, 1, 1, tzinfo=UTC))


async def test_children_events_count_the_limit_per_child(database: Database) -> None:
    await people(database, none=0, one=1, three=3)
    created = await campaign(database, 7_000, event="back_to_school", per_child=True)
    assert created.beneficiaries == 2  # a person without children is not concerned
    assert created.total_cents == 7_000 + 21_000 and created.not_exempt_cents == 0
    flat = await campaign(database, 3 * LIMIT, event="christmas_children", confirm=True)
    lines = await report(database)
    assert ("none", "back_to_school") not in lines
    assert lines[("three", "christmas_children")].limit_cents == 3 * LIMIT
    assert lines[("three", "christmas_children")].not_exempt_cents == 0
    # One child: the limit is LIMIT, 3 times LIMIT goes beyond it and is subject in full.
    assert lines[("one", "christmas_children")].not_exempt_cents == 3 * LIMIT
    assert lines[("one", "christmas_children")].exempt_cents == 0
    assert flat.not_exempt_cents == 3 * LIMIT
    with pytest.raises(Invalid, match="per child"):
        await campaign(database, 100, event="christmas", per_child=True)
    with pytest.raises(Invalid, match="unknown event"):
        await campaign(database, 100, event="birthday")


async def test_the_condition_on_children_chooses_the_beneficiaries(database: Database) -> None:
    await people(database, a=0, b=2)
    with pytest.raises(Invalid, match="no beneficiary"):
        await campaign(database, 100, min_children=3)
    async with database.transaction() as db:
        await set_profile(db, principal=make_person("frozen"), children_count=2, now=NOW)
        await subject_data.restrict(db, "frozen", request_id="r-1", now=NOW)
    created = await campaign(database, 100, min_children=1)
    assert created.beneficiaries == 1  # b; a has no children, "frozen" is restricted (Art. 18)
    async with database.transaction() as db:
        own = await service.own_vouchers(db, tenant_id=TENANT, user_id="a", cursor=None, limit=10)
    assert own.items == []


async def use(database: Database, order: str, payable: int, user: str = "a") -> int:
    async with database.transaction() as db:
        return await service.consume(
            db,
            tenant_id=TENANT,
            user_id=user,
            order_id=order,
            payable_cents=payable,
            now=NOW,
            hold_until=NOW + timedelta(minutes=15),
        )


async def balance(database: Database, user: str = "a") -> int:
    async with database.transaction() as db:
        found = await db.scalars(select(Voucher).where(Voucher.user_id == user))
        return sum(v.amount_cents - v.used_cents for v in found)


async def test_orders_spend_the_vouchers_and_give_back_what_they_release(
    database: Database,
) -> None:
    await people(database, a=0, b=0)
    await campaign(database, 5_000)
    await campaign(database, 3_000, event="wedding")
    assert await use(database, "o-1", 6_000) == 6_000  # both vouchers, the oldest first
    assert await use(database, "o-1", 6_000) == 6_000  # asked again: the same, nothing more
    assert await balance(database) == 2_000
    assert await use(database, "o-2", 9_999) == 2_000  # what is left
    assert await use(database, "o-3", 500) == 0
    assert await use(database, "o-4", 500, user="b") == 500  # b's own voucher only
    async with database.transaction() as db:
        await service.on_order(db, event_type=OrderEvent.PLACED, order_id="o-1")
        await service.on_order(db, event_type=OrderEvent.CANCELLED, order_id="o-1")
        await service.on_order(db, event_type=OrderEvent.CANCELLED, order_id="o-1")  # twice
    assert await balance(database) == 6_000
    async with database.transaction() as db:
        await service.on_order(db, event_type=OrderEvent.PLACED, order_id="o-2")
        assert await service.release_expired_holds(db, NOW + timedelta(minutes=16)) == 1  # b's
    assert await balance(database, "b") == 8_000
    async with database.transaction() as db:
        entries = await service.ledger(db, tenant_id=TENANT, year=2026)
        statuses = {u.order_id: u.status for u in await db.scalars(select(VoucherUse))}
    assert statuses["o-2"] == GrantStatus.PLACED and statuses["o-1"] == GrantStatus.RELEASED
    issued = [e for e in entries if e.kind == service.LedgerKind.ISSUED]
    assert sum(e.amount_cents for e in issued) == 5_000 * 2 + 3_000 * 2
    assert {e.order_id for e in entries if e.kind == service.LedgerKind.USED} == {
        "o-1",
        "o-2",
        "o-4",
    }


async def test_vouchers_are_exported_and_kept_as_accounting_records_on_erasure(
    database: Database,
) -> None:
    await people(database, a=0)
    await campaign(database, 5_000)
    await use(database, "o-1", 1_000)
    async with database.transaction() as db:
        exported = await subject_data.export(db, "a")
    assert exported["vouchers"][0]["user_id"] == "a"
    assert {"voucher_uses", "gift_totals"} <= set(exported)
    async with database.transaction() as db:
        erased = {t.table: t for t in await subject_data.erase(db, "a", now=NOW)}
    for table in ("vouchers", "voucher_uses", "gift_totals"):
        assert erased[table].erased_rows == 1 and erased[table].kept_rows == 1
        assert erased[table].kept_until == NOW.replace(year=2036).isoformat()
    assert await count(database, Voucher) == 0 and await count(database, GiftTotal) == 0
    assert await count(database, Campaign) == 1  # the campaign itself names nobody


async def test_vouchers_leave_after_ten_years_while_the_account_exists(
    database: Database,
) -> None:
    await people(database, a=0)
    await campaign(database, 5_000)
    async with database.transaction() as db:
        assert await subject_data.expire(db, now=NOW.replace(year=2036) - timedelta(days=1)) == 0
    assert await count(database, Voucher) == 1
    async with database.transaction() as db:
        gone = await subject_data.expire(db, now=NOW.replace(year=2036) + timedelta(days=1))
    assert gone >= 2  # the voucher and the year's total (the profile stays)
    assert await count(database, Voucher) == 0 and await count(database, GiftTotal) == 0


async def test_the_books_record_the_campaign_once_and_the_vouchers_an_order_spent(
    database: Database,
) -> None:
    """A campaign is one entry of the books (the vouchers' expense, owed until spent), named by
    the campaign's id; an order paid partly with vouchers settles that debt for what it took,
    the rest of its subsidy from the beneficiaries' account: every entry balances."""
    await people(database, a=0, b=0)
    created = await campaign(database, 5_000)
    assert await use(database, "o-1", 7_000) == 5_000
    async with database.transaction() as db:
        await service.on_order(db, event_type=OrderEvent.PAID, order_id="o-1")
        await accounting.on_order_event(
            db,
            event_type="order.paid",
            tenant_id=TENANT,
            user_id="a",
            payload={"order_id": "o-1", "total_cents": 9_000, "subsidy_cents": 6_000},
            occurred_at=NOW,
        )
        books = list(
            await accounting.journal(
                db, tenant_id=TENANT, start=date(2000, 1, 1), end=date(2100, 1, 1)
            )
        )
    issue, order = books
    assert issue.piece_ref == created.id
    assert [(x.debit_cents, x.credit_cents) for x in issue.lines] == [
        (10_000, 0),
        (0, 10_000),
    ]
    owed = {x.account_number: x.debit_cents - x.credit_cents for x in order.lines}
    assert owed == {"5122": 3_000, "4672": 1_000, "4082": 5_000, "4012": -9_000}
    for entry in books:
        assert sum(x.debit_cents for x in entry.lines) == sum(x.credit_cents for x in entry.lines)


async def test_with_no_condition_every_active_employee_gets_a_voucher_profile_or_not(
    database: Database,
) -> None:
    """Issue 19: a Christmas campaign reaches the tenant's employees, not only those who once
    saved a profile; a departed employee whose profile is still held gets nothing."""
    await people(database, kept=2, departed=1)
    created = await campaign(database, 5_000, employees={"kept", "never-saved-a-profile"})
    assert created.beneficiaries == 2
    assert await vouchers_of(database) == {"kept": 5_000, "never-saved-a-profile": 5_000}
    line = (await report(database))[("never-saved-a-profile", "christmas")]
    assert (line.exempt_cents, line.not_exempt_cents) == (5_000, 0)


async def test_a_condition_on_children_needs_the_profile_that_says_how_many(
    database: Database,
) -> None:
    await people(database, parent=2, departed=3)
    async with database.transaction() as db:
        result = await service.plan(
            db,
            settings=SETTINGS,
            tenant_id=TENANT,
            draft=Draft(name="Rentrée", event="back_to_school", amount_cents=3_000, min_children=1),
            now=NOW,
            employees={"parent", "never-saved-a-profile"},
        )
    assert [issue.user_id for issue in result.issues] == ["parent"]


def test_a_bad_draft_is_refused_before_identity_is_asked() -> None:
    """The route asks identity only after ``check``: a bad draft is a 422 that asks nothing."""
    with pytest.raises(Invalid, match="per child"):
        service.check(
            SETTINGS, Draft(name="x", event="christmas", amount_cents=100, per_child=True), NOW
        )
    with pytest.raises(Invalid, match="2031"):
        service.check(
            SETTINGS, Draft(name="x", event="christmas", amount_cents=100), NOW.replace(year=2031)
        )


async def test_the_active_employees_must_be_given(database: Database) -> None:
    """Without identity's list of active employees, every profile held would be a
    beneficiary, a departed employee's included: a caller cannot leave it out."""
    await people(database, a=0)
    draft = Draft(name="xmas", event="christmas", amount_cents=1_000)
    async with database.transaction() as db:
        with pytest.raises(TypeError, match="employees"):
            await service.plan(db, settings=SETTINGS, tenant_id=TENANT, draft=draft, now=NOW)  # type: ignore[call-arg]
        with pytest.raises(TypeError, match="employees"):
            await service.create(  # type: ignore[call-arg]
                db,
                settings=SETTINGS,
                tenant_id=TENANT,
                draft=draft,
                confirm_over_limit=False,
                now=NOW,
            )
    assert await count(database, Voucher) == 0
