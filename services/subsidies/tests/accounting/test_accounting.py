"""The books: every grant, paid order, SEPA debit and voucher is one balanced entry; nothing
changes once written (a correction is a new, reversing entry); the FEC and CSV exports; the
person only ever named apart from the books, and erased from there."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import Database
from kit.errors import Invalid
from kit.events import Envelope
from kit.testing import BadgeVerifier, badge
from services.subsidies.tests.factories import (
    NOW,
    TENANT,
    activity_row,
    add_cinema_rule,
    make_admin,
    make_person,
    mandate_row,
    order_grant,
    rule_row,
)
from subsidies import handlers
from subsidies.accounting import fec, service
from subsidies.accounting.chart import Budget as BudgetOf
from subsidies.accounting.chart import Role, Source
from subsidies.accounting.models import LedgerEntry, LedgerLine, LedgerSubject
from subsidies.activities.models import Activity
from subsidies.bookings import service as bookings
from subsidies.budgets.models import Budget
from subsidies.config import Settings
from subsidies.context import Context
from subsidies.grants import service as grants
from subsidies.grants.models import OrderEvent
from subsidies.main import build_app
from subsidies.mandates.models import Mandate
from subsidies.models import subject_data
from subsidies.profiles.service import set_profile
from subsidies.rules.models import Rule

JUNE = (NOW.date().replace(day=1), NOW.date().replace(day=30))


async def entries(database: Database, tenant: str = TENANT) -> list[LedgerEntry]:
    async with database.transaction() as db:
        return list(
            await service.journal(
                db, tenant_id=tenant, start=date(2000, 1, 1), end=date(2100, 1, 1)
            )
        )


def balance(found: list[LedgerEntry]) -> tuple[int, int]:
    lines = [x for e in found for x in e.lines]
    return sum(x.debit_cents for x in lines), sum(x.credit_cents for x in lines)


def by_account(found: list[LedgerEntry], number: str, aux: str | None = None) -> int:
    """The account's balance (debits less credits), for one auxiliary account if given."""
    return sum(
        x.debit_cents - x.credit_cents
        for e in found
        for x in e.lines
        if x.account_number == number and (aux is None or x.aux == aux)
    )


async def paid(database: Database, order: str, total: int, subsidy: int, user: str = "u-1") -> None:
    async with database.transaction() as db:
        await grants.on_order(db, event_type=OrderEvent.PAID, order_id=order)
        await service.on_order_event(
            db,
            event_type="order.paid",
            tenant_id=TENANT,
            user_id=user,
            payload={"order_id": order, "total_cents": total, "subsidy_cents": subsidy},
            occurred_at=NOW + timedelta(hours=1),
            now=NOW + timedelta(hours=1),
        )


async def subsidised_person(database: Database, user: str = "u-1") -> None:
    async with database.transaction() as db:
        await set_profile(db, principal=make_person(user), children_count=2, now=NOW)


async def test_a_subsidised_order_paid_balances_and_settles_its_beneficiary_account(
    database: Database,
) -> None:
    await add_cinema_rule(database)
    await subsidised_person(database)
    assert await order_grant(database, "u-1", "o-1", quantity=2) == 600
    await paid(database, "o-1", total=1500, subsidy=600)
    await paid(database, "o-1", total=1500, subsidy=600)  # the event delivered twice
    found = await entries(database)
    assert [e.source_key for e in found] == ["grant:" + found[0].source_key[6:], "order.paid:o-1"]
    assert [e.number for e in found] == [1, 2]
    debit, credit = balance(found)
    assert debit == credit == 600 + 1500
    assert all(
        sum(x.debit_cents for x in e.lines) == sum(x.credit_cents for x in e.lines) for e in found
    )
    assert by_account(found, "6572") == 600  # the ASC budget's subsidy expense
    assert by_account(found, "4672", aux="o-1") == 0  # what the grant owed is settled
    assert by_account(found, "5122") == 900  # what the buyer paid
    assert by_account(found, "4012", aux="o-1") == -1500  # owed to the partner
    assert {e.journal_code for e in found} == {"ASC"}


async def test_a_cancellation_after_the_export_is_a_new_entry_and_the_export_stays_the_same(
    database: Database,
) -> None:
    await add_cinema_rule(database)
    await subsidised_person(database)
    await order_grant(database, "u-1", "o-1")
    async with database.transaction() as db:
        first = fec.fec(await service.journal(db, tenant_id=TENANT, start=JUNE[0], end=JUNE[1]))
    before = [
        (e.id, e.number, [(x.debit_cents, x.credit_cents) for x in e.lines])
        for e in await entries(database)
    ]
    async with database.transaction() as db:
        await grants.on_order(db, event_type=OrderEvent.CANCELLED, order_id="o-1")
        await grants.on_order(db, event_type=OrderEvent.CANCELLED, order_id="o-1")  # twice
    found = await entries(database)
    assert [
        (e.id, e.number, [(x.debit_cents, x.credit_cents) for x in e.lines]) for e in found[:1]
    ] == before
    assert len(found) == 2
    reversal = found[1]
    assert reversal.reverses_id == found[0].id and reversal.number == 2
    assert [(x.account_number, x.debit_cents, x.credit_cents) for x in reversal.lines] == [
        (x.account_number, x.credit_cents, x.debit_cents) for x in found[0].lines
    ]
    assert balance(found) == (600, 600) and by_account(found, "6572") == 0
    async with database.transaction() as db:
        again = fec.fec(await service.journal(db, tenant_id=TENANT, start=JUNE[0], end=JUNE[1]))
    assert again == first  # the cancellation is dated today, outside June 2026


async def test_a_refunded_order_is_reversed_once(database: Database) -> None:
    await add_cinema_rule(database)
    await subsidised_person(database)
    await order_grant(database, "u-1", "o-1")
    await paid(database, "o-1", total=750, subsidy=300)
    for _ in range(2):
        async with database.transaction() as db:
            await grants.on_order(db, event_type=OrderEvent.REFUNDED, order_id="o-1")
            await service.on_order_event(
                db,
                event_type="order.refunded",
                tenant_id=TENANT,
                user_id="u-1",
                payload={"order_id": "o-1", "total_cents": 750, "subsidy_cents": 300},
                occurred_at=NOW + timedelta(days=2),
            )
    found = await entries(database)
    assert [e.source_key.split(":")[0] for e in found] == [
        "grant",
        "order.paid",
        "grant.released",
        "order.refunded",
    ]
    assert balance(found)[0] == balance(found)[1] == 2 * (300 + 750)
    for account in ("6572", "4672", "5122", "4012"):
        assert by_account(found, account) == 0, account


async def test_an_activity_booked_and_paid_by_sepa_then_cancelled(
    database: Database, context: Context
) -> None:
    activity = activity_row(price_cents=4000)
    mandate = mandate_row(context.cipher)
    async with database.transaction() as db:
        await db.execute(insert(Activity), [activity])
        await db.execute(insert(Mandate), [mandate])
        await db.execute(
            insert(Rule),
            [
                rule_row(
                    offer_kind="activity", amount_cents=None, percent=50, cap_cents_per_year=10_000
                )
            ],
        )
        db.add(Budget(tenant_id=TENANT, year=NOW.year, amount_cents=100_000, reserved_cents=0))
    async with database.transaction() as db:
        booking, _ = await bookings.book(
            db,
            principal=make_person(),
            activity_id=activity["id"],
            mandate_id=mandate["id"],
            now=NOW,
        )
    assert booking.subsidy_cents == 2000
    found = await entries(database)
    assert len(found) == 2 and balance(found) == (2000 + 4000, 2000 + 4000)
    assert by_account(found, "5122") == 2000  # the SEPA debit: the rest after the subsidy
    assert by_account(found, "7062") == -4000
    assert by_account(found, "4672", aux=booking.id) == 0
    async with database.transaction() as db:
        await bookings.cancel_booking(db, principal=make_person(), booking_id=booking.id)
    found = await entries(database)
    assert len(found) == 4 and {by_account(found, a) for a in ("5122", "7062", "6572")} == {0}


async def test_a_voucher_is_recorded_once_and_reversed_once(database: Database) -> None:
    async with database.transaction() as db:
        for _ in range(2):
            await service.record_voucher(
                db, tenant_id=TENANT, voucher_id="v-1", amount_cents=5000, when=NOW, user_id="u-1"
            )
        with pytest.raises(Invalid):
            await service.record_voucher(
                db, tenant_id=TENANT, voucher_id="v-2", amount_cents=0, when=NOW
            )
    async with database.transaction() as db:
        for _ in range(2):
            await service.record_voucher(
                db, tenant_id=TENANT, voucher_id="v-1", when=NOW, cancelled=True
            )
    found = await entries(database)
    assert [(e.number, e.piece_ref) for e in found] == [(1, "v-1"), (2, "v-1")]
    assert by_account(found, "62342") == 0 and by_account(found, "4082", aux="v-1") == 0


async def test_numbers_follow_each_other_per_tenant(database: Database) -> None:
    async with database.transaction() as db:
        for i in range(3):
            for tenant in (TENANT, "t-2"):
                await service.record_voucher(
                    db, tenant_id=tenant, voucher_id=f"v-{i}", amount_cents=100, when=NOW
                )
    assert [e.number for e in await entries(database)] == [1, 2, 3]
    assert [e.number for e in await entries(database, "t-2")] == [1, 2, 3]


async def test_the_fec_has_the_18_columns_tab_separated_and_amounts_with_a_comma(
    database: Database,
) -> None:
    async with database.transaction() as db:
        await service.record_voucher(
            db, tenant_id=TENANT, voucher_id="v-1", amount_cents=1234, when=NOW, now=NOW
        )
        found = await service.journal(db, tenant_id=TENANT, start=JUNE[0], end=JUNE[1])
        body, table = fec.fec(found), fec.as_csv(found)
    assert body.decode("iso8859_15").split("\r\n") == [
        "JournalCode\tJournalLib\tEcritureNum\tEcritureDate\tCompteNum\tCompteLib\tCompAuxNum\t"
        "CompAuxLib\tPieceRef\tPieceDate\tEcritureLib\tDebit\tCredit\tEcritureLet\tDateLet\t"
        "ValidDate\tMontantdevise\tIdevise",
        "ASC\tActivités sociales et culturelles\t1\t20260601\t62342\t"
        "Bons d'achat et cadeaux - activités sociales et culturelles\t\t\tv-1\t20260601\t"
        "Bon d'achat offert\t12,34\t0,00\t\t\t20260601\t\t",
        "ASC\tActivités sociales et culturelles\t1\t20260601\t4082\t"
        "Émetteurs de bons d'achat - activités sociales et culturelles\tv-1\tv-1\tv-1\t20260601\t"
        "Bon d'achat offert\t0,00\t12,34\t\t\t20260601\t\t",
        "",
    ]
    rows = table.decode().splitlines()
    assert rows[0].split(",")[:3] == ["JournalCode", "JournalLib", "EcritureNum"]
    assert rows[0].endswith(",Budget") and rows[1].endswith(",12.34,0.00,,,2026-06-01,,,asc")


def test_a_period_is_two_dates_in_order_and_not_too_long() -> None:
    assert service.period("2026-01-01", "2026-12-31", max_days=731) == (
        date(2026, 1, 1),
        date(2026, 12, 31),
    )
    for start, end in [
        ("2026-02-30", "2026-03-01"),
        ("20260101", "2026-12-31"),
        ("2026-W01-1", "2026-12-31"),
        ("2026-01-01", "\uff12\uff10\uff12\uff16-12-31"),  # full-width digits
        ("x", "y"),
        ("2026-03-01", "2026-02-01"),
        ("2020-01-01", "2026-01-01"),
    ]:
        with pytest.raises(Invalid):
            service.period(start, end, max_days=731)


async def test_an_erased_person_leaves_balanced_books_with_no_trace_of_them(
    database: Database,
) -> None:
    await add_cinema_rule(database)
    await subsidised_person(database, "u-erased")
    await order_grant(database, "u-erased", "o-1", quantity=2)
    await paid(database, "o-1", total=1500, subsidy=600, user="u-erased")
    async with database.transaction() as db:
        exported = await subject_data.export(db, "u-erased")
    assert len(exported["ledger_subjects"]) == 2
    declared = next(t for t in subject_data.inventory() if t["table"] == "ledger_subjects")
    assert declared["retention"]["years"] == 10 and "L123-22" in declared["retention"]["reason"]
    assert declared["kept"] == "10 years after the entry (accounting records)"
    async with database.transaction() as db:
        before = fec.fec(await service.journal(db, tenant_id=TENANT, start=JUNE[0], end=JUNE[1]))
        report = {
            t.table: t
            for t in await subject_data.erase(db, "u-erased", now=NOW + timedelta(days=1))
        }
    assert report["ledger_subjects"].erased_rows == 2 and report["ledger_subjects"].kept_rows == 2
    assert report["ledger_subjects"].legal_basis == "legal_obligation"
    assert (
        report["ledger_subjects"].kept_until
        == (NOW + timedelta(hours=1)).replace(year=2036).isoformat()
    )
    async with database.transaction() as db:
        assert await db.scalar(select(func.count()).select_from(LedgerSubject)) == 0
        assert await db.scalar(select(func.count()).select_from(LedgerLine)) == 5
        found = list(await service.journal(db, tenant_id=TENANT, start=JUNE[0], end=JUNE[1]))
    after = fec.fec(found)
    assert after == before and b"u-erased" not in after and b"u-erased" not in fec.as_csv(found)
    assert balance(found) == (2100, 2100)


PEOPLE = {"admin": make_admin(), "ann": make_person(), "other": make_admin("adm-2", "t-2")}


@pytest.fixture
def client(tmp_path: Path, database: Database) -> Any:
    url = str(database.engine.url)
    settings = Settings(database_url=url, var_dir=tmp_path)
    with TestClient(build_app(settings, verifier=BadgeVerifier(PEOPLE), outbox=None)) as client:
        yield client


async def test_the_treasurer_downloads_the_fec_and_the_csv(
    database: Database, client: TestClient
) -> None:
    async with database.transaction() as db:
        await service.record_voucher(
            db, tenant_id=TENANT, voucher_id="v-1", amount_cents=1000, when=NOW, now=NOW
        )
    query = "?from=2026-06-01&to=2026-06-30"
    answer = client.get("/api/accounting/entries.fec" + query, headers=badge("admin"))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/plain; charset=iso-8859-15"
    assert 'filename="FEC20260630.txt"' in answer.headers["content-disposition"]
    assert answer.content.count(b"\r\n") == 3
    assert (
        client.get("/api/accounting/entries.fec" + query, headers=badge("admin")).content
        == answer.content
    )
    table = client.get("/api/accounting/entries.csv" + query, headers=badge("admin"))
    assert table.status_code == 200 and table.headers["content-type"].startswith("text/csv")
    totals = client.get("/api/accounting/totals" + query, headers=badge("admin")).json()
    assert totals["balanced"] and totals["debit_cents"] == totals["credit_cents"] == 1000
    assert [(b["budget"], b["entries"], b["debit_cents"]) for b in totals["budgets"]] == [
        ("asc", 1, 1000),
        ("aep", 0, 0),
    ]
    other = client.get("/api/accounting/entries.fec" + query, headers=badge("other"))
    assert other.content.count(b"\r\n") == 1  # another tenant's treasurer: the header only
    assert (
        client.get("/api/accounting/entries.fec" + query, headers=badge("ann")).status_code == 403
    )
    for bad in (
        "?from=2026-06-31&to=2026-07-01",
        "?from=2026-07-01&to=2026-06-01",
        "?from=2026-06-01",
        "?from=2020-01-01&to=2026-01-01",
    ):
        refused = client.get("/api/accounting/entries.fec" + bad, headers=badge("admin"))
        assert refused.status_code == 422, bad


async def test_the_chart_is_configuration(database: Database) -> None:
    """ACCOUNTING_CHART (JSON) renumbers an account or moves a source to the other budget."""
    chart = Settings.model_validate(
        {
            "accounting_chart": {
                "budgets": {"voucher": "aep"},
                "journals": {"aep": {"code": "FCT", "label": "Fonctionnement"}},
            }
        }
    ).accounting_chart
    service.books.bind(chart, timezone="Europe/Paris")
    async with database.transaction() as db:
        await service.record_voucher(
            db, tenant_id=TENANT, voucher_id="v-1", amount_cents=700, when=NOW
        )
    found = await entries(database)
    assert [(e.budget, e.journal_code) for e in found] == [("aep", "FCT")]
    assert [x.account_number for x in found[0].lines] == ["62341", "4081"]
    assert chart.budgets[Source.GRANT] == BudgetOf.ASC  # the rest keeps its defaults
    assert chart.journals[BudgetOf.ASC].code == "ASC"
    renumbered = Settings.model_validate(
        {"accounting_chart": {"accounts": {"asc": {"bank": {"number": "5120", "label": "Banque"}}}}}
    ).accounting_chart
    assert renumbered.accounts[BudgetOf.ASC][Role.BANK].number == "5120"
    assert renumbered.accounts[BudgetOf.ASC][Role.SUBSIDIES].number == "6572"


async def test_entries_are_dated_in_the_works_councils_time(database: Database) -> None:
    """Paid at 23:30 UTC on 30 June: 1 July in Paris, so July's books (and not June's)."""
    late = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
    async with database.transaction() as db:
        await service.record_voucher(
            db, tenant_id=TENANT, voucher_id="v-1", amount_cents=100, when=late, now=late
        )
        june = await service.journal(db, tenant_id=TENANT, start=JUNE[0], end=JUNE[1])
        july = await service.journal(
            db, tenant_id=TENANT, start=date(2026, 7, 1), end=date(2026, 7, 31)
        )
    assert june == [] and [e.entry_date for e in july] == [date(2026, 7, 1)]
    assert b"\t20260701\t" in fec.fec(july)


# -- two dates: the entry's (when it is written) and its document's (when it happened) ---------

JULY = (date(2026, 7, 1), date(2026, 7, 31))
AUGUST = (date(2026, 8, 1), date(2026, 8, 31))


async def exported(database: Database, period: tuple[date, date]) -> bytes:
    async with database.transaction() as db:
        return fec.fec(await service.journal(db, tenant_id=TENANT, start=period[0], end=period[1]))


def records(body: bytes) -> list[tuple[str, str, str, str, str]]:
    """Per entry of a FEC: its number, EcritureDate, PieceDate, PieceRef and ValidDate."""
    lines = [line.split("\t") for line in body.decode(fec.FEC_ENCODING).split("\r\n")[1:-1]]
    return sorted({(x[2], x[3], x[9], x[8], x[15]) for x in lines}, key=lambda x: int(x[0]))


def order_event(kind: str, order: str, occurred_at: datetime) -> Envelope:
    return Envelope(
        type=kind,
        source="orders",
        tenant=TENANT,
        subject="u-1",
        occurred_at=occurred_at,
        payload={"order_id": order, "total_cents": 1500, "subsidy_cents": 600},
    )


async def test_an_order_paid_on_a_months_last_day_received_after_its_export_books_in_the_next(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Paid at noon on 30 June, the event reaches the subsidies worker on 2 July, after June
    was exported: June exports again byte for byte the same, the entry is July's (written 2
    July, numbered after June's), its document dated 30 June. Refunded on 31 July, received
    on 3 August: the same, July unchanged and the reversals in August."""
    await add_cinema_rule(database)
    await subsidised_person(database)
    assert await order_grant(database, "u-1", "o-1", quantity=2) == 600  # 1 June
    june = await exported(database, JUNE)
    assert [x[:4] for x in records(june)] == [("1", "20260601", "20260601", "o-1")]

    paid_at = datetime(2026, 6, 30, 10, 0, tzinfo=UTC)
    monkeypatch.setattr(
        handlers, "utcnow", lambda: datetime(2026, 7, 2, 8, 0, tzinfo=UTC), raising=False
    )
    async with database.transaction() as db:
        await handlers.on_order(db, order_event("order.paid", "o-1", paid_at))
    assert await exported(database, JUNE) == june
    july = await exported(database, JULY)
    assert records(july) == [("2", "20260702", "20260630", "o-1", "20260702")]

    refunded_at = datetime(2026, 7, 31, 20, 0, tzinfo=UTC)
    monkeypatch.setattr(
        handlers, "utcnow", lambda: datetime(2026, 8, 3, 9, 0, tzinfo=UTC), raising=False
    )
    async with database.transaction() as db:
        await handlers.on_order(db, order_event("order.refunded", "o-1", refunded_at))
    assert await exported(database, JUNE) == june and await exported(database, JULY) == july
    august = records(await exported(database, AUGUST))
    assert [x[:3] for x in august] == [("3", "20260803", "20260731"), ("4", "20260803", "20260731")]
    found = await entries(database)
    assert [e.source_key.split(":")[0] for e in found[2:]] == ["grant.released", "order.refunded"]
    for account in ("6572", "4672", "5122", "4012"):
        assert by_account(found, account) == 0, account


async def paid_event(db: AsyncSession, order: str, paid_at: datetime, *, written: datetime) -> None:
    """``order.paid`` of a 10 EUR order paid at ``paid_at``, received at ``written``."""
    await service.on_order_event(
        db,
        event_type="order.paid",
        tenant_id=TENANT,
        user_id="u-1",
        payload={"order_id": order, "total_cents": 1000, "subsidy_cents": 0},
        occurred_at=paid_at,
        now=written,
    )


async def test_the_booking_date_is_the_works_councils_day_near_midnight_utc(
    database: Database,
) -> None:
    """Both paid at 21:30 UTC on 30 June (23:30 in Paris: their documents are of 30 June); one
    written at 21:45 UTC (23:45 in Paris: June's books), the other at 22:30 UTC (00:30 on 1 July
    in Paris: July's books, although it is still 30 June in UTC)."""
    paid_at = datetime(2026, 6, 30, 21, 30, tzinfo=UTC)
    async with database.transaction() as db:
        await paid_event(db, "o-1", paid_at, written=paid_at.replace(minute=45))
        await paid_event(db, "o-2", paid_at, written=paid_at.replace(hour=22))
    june, july = await exported(database, JUNE), await exported(database, JULY)
    assert records(june) == [("1", "20260630", "20260630", "o-1", "20260630")]
    assert records(july) == [("2", "20260701", "20260630", "o-2", "20260701")]
    found = await entries(database)
    assert [e.recorded_at for e in found] == [paid_at.replace(minute=45), paid_at.replace(hour=22)]


async def test_numbers_never_go_back_in_date_around_midnight(database: Database) -> None:
    """An entry whose clock was read at 23:59 in Paris but which took its number after one
    written at 00:01 (it waited for the books' counter) is booked on the later day: the numbers
    follow the dates, and the day before, maybe exported already, gets nothing new."""
    paid_at = datetime(2026, 6, 30, 21, 0, tzinfo=UTC)
    async with database.transaction() as db:
        # 00:01 on 1 July in Paris, then one whose clock said 23:59 on 30 June.
        await paid_event(db, "o-late", paid_at, written=datetime(2026, 6, 30, 22, 1, tzinfo=UTC))
        await paid_event(db, "o-early", paid_at, written=datetime(2026, 6, 30, 21, 59, tzinfo=UTC))
    june, july = await exported(database, JUNE), await exported(database, JULY)
    assert records(june) == []
    assert [r[0] for r in records(july)] == ["1", "2"]
    assert {r[1] for r in records(july)} == {"20260701"}
