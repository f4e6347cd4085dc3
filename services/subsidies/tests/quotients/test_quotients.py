"""The family quotient: the formula and brackets, a declaration with its notice encrypted
until the check, the check deleting the notice and the figures whatever its outcome, the
bracket in the rules of a grant, its end with its tax year, and the data-subject side (export,
erasure, the row's lifetime)."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from kit.db import Database
from kit.errors import Conflict, Invalid
from services.subsidies.tests.factories import NOW, TENANT, make_admin, make_budget, make_person
from subsidies.context import Context
from subsidies.grants import service as grants
from subsidies.grants.models import GrantStatus
from subsidies.models import subject_data
from subsidies.quotients import service
from subsidies.quotients.models import QuotientDeclaration, QuotientDocument
from subsidies.quotients.schemas import CheckIn, Figures, QuotientSettingsIn
from subsidies.rules.models import OfferKind, Rule

#: A notice that is a PDF by its first bytes, with a marker to look for afterwards.
NOTICE = b"%PDF-1.7\n% avis d'imposition MARKER-7f3a9 revenu fiscal 28 740\n%%EOF\n"
INCOME = 28_740  # / 2.5 shares / 12 = 958 euros a month: bracket B
MAX = 100_000
PROOF_YEARS = 3
#: The works council's time zone (ACCOUNTING_TIMEZONE's default).
PARIS = ZoneInfo("Europe/Paris")
SETTINGS = QuotientSettingsIn.model_validate(
    {
        "formula": "monthly",
        "brackets": [
            {"name": "A", "up_to": 700},
            {"name": "B", "up_to": 1200},
            {"name": "C", "up_to": None},
        ],
        "default_bracket": "C",
    }
)


async def configured(database: Database) -> None:
    async with database.transaction() as db:
        await service.set_tenant_settings(db, principal=make_admin(), data=SETTINGS, now=NOW)


async def declare(
    database: Database, context: Context, user: str = "u-1", document: bytes = NOTICE
) -> QuotientDeclaration:
    async with database.transaction() as db:
        return await service.declare(
            db,
            cipher=context.cipher,
            principal=make_person(user),
            figures=Figures(income=INCOME, shares=Decimal("2.5")),
            tax_year=NOW.year,
            document=document,
            max_bytes=MAX,
            now=NOW,
        )


def test_the_formula_and_the_brackets() -> None:
    figures = Figures(income=INCOME, shares=Decimal("2.5"))
    assert service.quotient(figures, "monthly") == 958
    assert service.quotient(figures, "yearly") == 11_496
    brackets = SETTINGS.brackets
    assert [service.bracket_for(v, brackets) for v in (0, 700, 701, 1200, 1201)] == [
        "A", "A", "B", "B", "C"
    ]  # fmt: skip


@pytest.mark.parametrize(
    "body",
    [
        {"formula": "weekly", "brackets": [{"name": "A"}], "default_bracket": "A"},
        {"formula": "monthly", "brackets": [{"name": "A"}], "default_bracket": "Z"},
        {
            "formula": "monthly",
            "brackets": [{"name": "A", "up_to": 900}, {"name": "B", "up_to": 500}],
            "default_bracket": "A",
        },
        {
            "formula": "monthly",
            "brackets": [{"name": "A"}, {"name": "B", "up_to": 500}],
            "default_bracket": "A",
        },
        {"formula": "monthly", "brackets": [{"name": "A"}, {"name": "A"}], "default_bracket": "A"},
    ],
)
def test_bad_settings_are_refused(body: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        QuotientSettingsIn.model_validate(body)


def test_shares_go_by_quarters() -> None:
    with pytest.raises(ValueError):
        Figures(income=1, shares=Decimal("1.3"))
    assert Figures(income=1, shares=Decimal("1.75")).shares == Decimal("1.75")


@pytest.mark.parametrize(
    "document,why",
    [
        (b"", "empty"),
        (b"MZ\x90\x00 an executable", "PDF, PNG or JPEG"),
        (b"<html>%PDF-", "PDF, PNG or JPEG"),
        (b"%PDF-" + b"x" * MAX, "larger"),
    ],
)
async def test_a_bad_notice_is_refused_and_nothing_is_kept(
    database: Database, context: Context, document: bytes, why: str
) -> None:
    await configured(database)
    with pytest.raises(Invalid) as refused:
        await declare(database, context, document=document)
    assert why in refused.value.detail
    async with database.transaction() as db:
        assert (await db.scalars(select(QuotientDeclaration))).all() == []
        assert (await db.scalars(select(QuotientDocument))).all() == []


async def test_without_settings_a_declaration_is_refused(
    database: Database, context: Context
) -> None:
    with pytest.raises(Conflict):
        await declare(database, context)


async def test_the_notice_and_figures_wait_encrypted_then_the_check_deletes_them(
    database: Database, context: Context
) -> None:
    await configured(database)
    declaration = await declare(database, context)
    assert declaration.proposed_bracket == "B"
    async with database.transaction() as db:
        stored = (await db.scalars(select(QuotientDocument))).one()
        # Encrypted: neither the notice nor the income readable in the row.
        assert "MARKER" not in stored.content and str(INCOME) not in stored.figures
        # A second declaration while one waits: refused.
    with pytest.raises(Conflict):
        await declare(database, context)
    async with database.transaction() as db:
        page = await service.pending(
            db, cipher=context.cipher, tenant_id=TENANT, cursor=None, limit=10
        )
        notice = await service.notice(
            db, cipher=context.cipher, tenant_id=TENANT, declaration_id=declaration.id
        )
    [line] = page.items
    assert (line.income, line.shares, line.quotient, line.proposed_bracket) == (
        INCOME, Decimal("2.5"), 958, "B"
    )  # fmt: skip
    assert notice.content == NOTICE and notice.content_type == "application/pdf"
    # Another tenant's admin sees nothing of it.
    async with database.transaction() as db:
        other = await service.pending(
            db, cipher=context.cipher, tenant_id="t-2", cursor=None, limit=10
        )
    assert other.items == []
    async with database.transaction() as db:
        checked = await service.check(
            db,
            cipher=context.cipher,
            principal=make_admin(),
            declaration_id=declaration.id,
            proof_years=PROOF_YEARS,
            data=CheckIn(approved=True, bracket="B"),
            now=NOW,
        )
    assert checked.status == "approved" and checked.checked_by == "adm"
    assert checked.ends_at == datetime(NOW.year + 1, 1, 1, tzinfo=PARIS)
    async with database.transaction() as db:
        assert (await db.scalars(select(QuotientDocument))).all() == []
        row = (await db.scalars(select(QuotientDeclaration))).one()
        assert row.bracket == "B" and row.document_deleted_at == NOW
        assert len(row.document_sha256) == 64
        status = await service.own_status(db, principal=make_person(), now=NOW)
        exported = await subject_data.export(db, "u-1")
    assert (status.bracket, status.is_default, status.status) == ("B", False, "approved")
    # The export holds the declaration (bracket, year, check, hash), never a figure.
    assert exported["quotient_declarations"][0]["bracket"] == "B"
    assert str(INCOME) not in json.dumps(exported, default=str)
    with pytest.raises(Conflict):
        async with database.transaction() as db:
            await service.check(
                db,
                cipher=context.cipher,
                principal=make_admin(),
                declaration_id=declaration.id,
                proof_years=PROOF_YEARS,
                data=CheckIn(approved=False),
                now=NOW,
            )


async def test_a_refusal_deletes_the_notice_too_and_leaves_the_default_bracket(
    database: Database, context: Context
) -> None:
    await configured(database)
    declaration = await declare(database, context)
    async with database.transaction() as db:
        await service.check(
            db,
            cipher=context.cipher,
            principal=make_admin(),
            declaration_id=declaration.id,
            proof_years=PROOF_YEARS,
            data=CheckIn(approved=False),
            now=NOW,
        )
    async with database.transaction() as db:
        assert (await db.scalars(select(QuotientDocument))).all() == []
        status = await service.own_status(db, principal=make_person(), now=NOW)
    assert (status.bracket, status.is_default, status.status) == ("C", True, "refused")
    # A new declaration may follow.
    assert (await declare(database, context)).status == "pending"


async def test_approving_needs_one_of_the_tenants_brackets(
    database: Database, context: Context
) -> None:
    await configured(database)
    declaration = await declare(database, context)
    with pytest.raises(Invalid):
        async with database.transaction() as db:
            await service.check(
                db,
                cipher=context.cipher,
                principal=make_admin(),
                declaration_id=declaration.id,
                proof_years=PROOF_YEARS,
                data=CheckIn(approved=True, bracket="Z"),
                now=NOW,
            )
    async with database.transaction() as db:
        assert len((await db.scalars(select(QuotientDocument))).all()) == 1


async def approved(database: Database, context: Context, user: str, bracket: str) -> None:
    declaration = await declare(database, context, user=user)
    async with database.transaction() as db:
        await service.check(
            db,
            cipher=context.cipher,
            principal=make_admin(),
            declaration_id=declaration.id,
            proof_years=PROOF_YEARS,
            data=CheckIn(approved=True, bracket=bracket),
            now=NOW,
        )


async def activity_grant(database: Database, user: str, now: datetime = NOW) -> int:
    async with database.transaction() as db:
        return await grants.settle(
            db,
            await grants.plan(
                db,
                tenant_id=TENANT,
                user_id=user,
                lines=[grants.LineIn(OfferKind.ACTIVITY, 1, 10_000)],
                now=now,
                status=GrantStatus.PLACED,
            ),
        )


async def test_rules_by_bracket_apply_until_the_tax_year_ends(
    database: Database, context: Context
) -> None:
    """Holiday activities: 70 % in bracket A, 50 % in B, 30 % otherwise."""
    await configured(database)
    async with database.transaction() as db:
        db.add(make_budget(amount_cents=10_000_000))
        db.add(make_budget(year=NOW.year + 1, amount_cents=10_000_000))
        for name, bracket, percent in (("A", "A", 70), ("B", "B", 50), ("any", None, 30)):
            db.add(
                Rule(
                    tenant_id=TENANT,
                    name=f"holidays {name}",
                    offer_kind=OfferKind.ACTIVITY,
                    min_children=0,
                    bracket=bracket,
                    percent=percent,
                    cap_cents_per_year=1_000_000,
                    active=True,
                    created_at=NOW,
                )
            )
    await approved(database, context, "u-a", "A")
    await approved(database, context, "u-b", "B")
    assert await activity_grant(database, "u-a") == 7_000
    assert await activity_grant(database, "u-b") == 5_000
    assert await activity_grant(database, "u-none") == 3_000  # no declaration: default C
    async with database.transaction() as db:
        met = await service.current_bracket(db, tenant_id=TENANT, user_id="u-a", now=NOW)
    assert met == "A"
    # The tax year is over: back to the default bracket.
    next_year = datetime(NOW.year + 1, 1, 1, tzinfo=UTC)
    assert await activity_grant(database, "u-a", now=next_year) == 3_000
    async with database.transaction() as db:
        status = await service.own_status(db, principal=make_person("u-a"), now=next_year)
    assert (status.bracket, status.is_default, status.status) == ("C", True, "expired")


async def test_a_bracket_ends_at_midnight_on_1_january_in_the_works_councils_time(
    database: Database, context: Context
) -> None:
    """The tax year is the works council's (``check_tax_year``: Paris): a bracket approved for
    2026 ends at 00:00 on 1 January 2027 in Paris, 23:00 UTC on 31 December, not an hour
    later at midnight UTC."""
    await configured(database)
    await approved(database, context, "u-a", "A")
    new_year = datetime(NOW.year + 1, 1, 1, tzinfo=PARIS)
    async with database.transaction() as db:
        row = (await db.scalars(select(QuotientDeclaration))).one()
        assert row.ends_at == new_year == datetime(NOW.year, 12, 31, 23, tzinfo=UTC)
        before = new_year - timedelta(minutes=1)
        after = new_year + timedelta(minutes=30)  # still 31 December in UTC
        assert after.astimezone(UTC).year == NOW.year
        still = await service.current_bracket(db, tenant_id=TENANT, user_id="u-a", now=before)
        gone = await service.current_bracket(db, tenant_id=TENANT, user_id="u-a", now=after)
        status = await service.own_status(db, principal=make_person("u-a"), now=after)
    assert (still, gone) == ("A", "C")  # C: the default bracket
    assert (status.bracket, status.is_default, status.status) == ("C", True, "expired")


async def test_erasure_and_lifetimes(database: Database, context: Context) -> None:
    await configured(database)
    await approved(database, context, "u-1", "A")
    await declare(database, context, user="u-2")  # still pending: its notice waits
    # The unchecked notice goes after DOCUMENT_DAYS; the declaration stays, shown expired.
    async with database.transaction() as db:
        assert await subject_data.expire(db, now=NOW + timedelta(days=29)) == 0
    async with database.transaction() as db:
        assert await subject_data.expire(db, now=NOW + timedelta(days=31)) == 1
    async with database.transaction() as db:
        assert (await db.scalars(select(QuotientDocument))).all() == []
        status = await service.own_status(db, principal=make_person("u-2"), now=NOW)
    assert status.status == "expired"
    # An approved declaration: 3 years after its tax year (URSSAF checks), then gone.
    end = datetime(NOW.year + 1, 1, 1, tzinfo=UTC)
    async with database.transaction() as db:
        assert await subject_data.expire(db, now=end.replace(year=end.year + 3)) >= 1
        left = (await db.scalars(select(QuotientDeclaration.user_id))).all()
    assert "u-1" not in left
    # Erasure takes the rest.
    async with database.transaction() as db:
        await subject_data.erase(db, "u-2", now=NOW)
        assert (await db.scalars(select(QuotientDeclaration))).all() == []


async def test_an_erased_administrators_id_leaves_the_declarations_they_checked(
    database: Database, context: Context
) -> None:
    await configured(database)
    await approved(database, context, "u-1", "A")
    async with database.transaction() as db:
        report = await service.forget_checker(db, "adm", {}, NOW)
    assert report == {"checker_references_blanked": 1}
    async with database.transaction() as db:
        row = (await db.scalars(select(QuotientDeclaration))).one()
    assert row.checked_by is None and row.bracket == "A" and row.checked_at == NOW
