"""The audit's fixes of the family quotient: the bracket the figures give goes with them (at
the check, whatever its outcome, and with an unchecked notice); only an approved declaration
is kept for URSSAF, a refused or never-checked one 30 days; nobody checks their own
declaration; the tax year is this year or the two before; the notices are re-encrypted by the
key rotation, and one that can no longer be read is "no document", never an error."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from kit.crypto import AesGcm
from kit.db import Database
from kit.errors import Conflict, Forbidden, Invalid, NotFound
from services.subsidies.tests.factories import NOW, TENANT, make_admin, make_person
from services.subsidies.tests.quotients.test_quotients import (
    INCOME,
    MAX,
    NOTICE,
    PROOF_YEARS,
    configured,
    declare,
)
from subsidies import jobs
from subsidies.config import Settings
from subsidies.context import Context
from subsidies.mandates import fields
from subsidies.models import subject_data
from subsidies.quotients import service
from subsidies.quotients.models import QuotientDeclaration, QuotientDocument
from subsidies.quotients.schemas import CheckIn, Figures

#: The cipher of the default settings, as the ``context`` fixture builds it.
CIPHER = fields.field_cipher(Settings())


async def check(
    database: Database,
    declaration_id: str,
    data: CheckIn,
    admin: str = "adm",
    cipher: AesGcm = CIPHER,
) -> QuotientDeclaration:
    async with database.transaction() as db:
        return await service.check(
            db,
            cipher=cipher,
            principal=make_admin(admin),
            declaration_id=declaration_id,
            data=data,
            proof_years=PROOF_YEARS,
            now=NOW,
        )


async def row(database: Database, user: str) -> QuotientDeclaration | None:
    async with database.transaction() as db:
        query = select(QuotientDeclaration).where(QuotientDeclaration.user_id == user)
        return (await db.scalars(query)).one_or_none()


async def expire(database: Database, now: datetime) -> int:
    async with database.transaction() as db:
        return await subject_data.expire(db, now=now)


async def test_the_check_clears_the_proposed_bracket_whatever_its_outcome(
    database: Database, context: Context
) -> None:
    await configured(database)
    approved = await declare(database, context, user="u-1")
    refused = await declare(database, context, user="u-2")
    assert approved.proposed_bracket == refused.proposed_bracket == "B"
    answer = await check(database, approved.id, CheckIn(approved=True, bracket="B"))
    assert answer.proposed_bracket is None
    await check(database, refused.id, CheckIn(approved=False))
    for user in ("u-1", "u-2"):
        found = await row(database, user)
        assert found is not None and found.proposed_bracket is None
        async with database.transaction() as db:
            exported = await subject_data.export(db, user)
        assert exported["quotient_declarations"][0]["proposed_bracket"] is None
    kept = await row(database, "u-1")
    assert kept is not None and kept.bracket == "B" and kept.checked_by == "adm"


async def test_an_unchecked_notice_takes_the_bracket_its_figures_gave(
    database: Database, context: Context
) -> None:
    await configured(database)
    first = await declare(database, context, user="u-1")
    await declare(database, context, user="u-2")
    async with database.transaction() as db:
        assert await service.drop_unchecked_notices(db, NOW + timedelta(days=29)) == 0
    # The notice's own lifetime may come first: the declaration is cleared all the same.
    assert await expire(database, NOW + timedelta(days=31)) == 2
    async with database.transaction() as db:
        assert await service.drop_unchecked_notices(db, NOW + timedelta(days=31)) == 2
        assert await service.drop_unchecked_notices(db, NOW + timedelta(days=32)) == 0
        assert (await db.scalars(select(QuotientDocument))).all() == []
        status = await service.own_status(db, principal=make_person("u-1"), now=NOW)
        exported = await subject_data.export(db, "u-1")
    assert status.status == "expired"
    found = await row(database, "u-1")
    assert found is not None and found.id == first.id
    assert found.proposed_bracket is None and found.document_deleted_at is not None
    assert exported["quotient_declarations"][0]["proposed_bracket"] is None


async def test_the_job_drops_an_unchecked_notice_by_itself(
    database: Database, context: Context
) -> None:
    await configured(database)
    await declare(database, context)
    [job] = [j for j in jobs.scheduled(context) if j.name == "unchecked quotient notices"]
    async with database.transaction() as db:
        assert await job.run(db, NOW + timedelta(days=31)) == 1
        assert (await db.scalars(select(QuotientDocument))).all() == []
    found = await row(database, "u-1")
    assert found is not None and found.proposed_bracket is None


async def test_only_an_approved_declaration_is_kept_for_urssaf(
    database: Database, context: Context
) -> None:
    await configured(database)
    approved = await declare(database, context, user="u-ok")
    refused = await declare(database, context, user="u-no")
    await declare(database, context, user="u-never")
    await check(database, approved.id, CheckIn(approved=True, bracket="A"))
    await check(database, refused.id, CheckIn(approved=False))
    # Refused: 30 days after the check.
    await expire(database, NOW + timedelta(days=29))
    assert await row(database, "u-no") is not None
    await expire(database, NOW + timedelta(days=31))
    assert await row(database, "u-no") is None
    # Never checked: its notice at 30 days, the declaration 30 days later.
    assert await row(database, "u-never") is not None
    await expire(database, NOW + timedelta(days=59))
    assert await row(database, "u-never") is not None
    await expire(database, NOW + timedelta(days=61))
    assert await row(database, "u-never") is None
    # Approved: QUOTIENT_PROOF_YEARS after the end of its tax year.
    end = datetime(NOW.year + 1 + PROOF_YEARS, 1, 1, tzinfo=UTC)
    await expire(database, end - timedelta(days=1))
    assert await row(database, "u-ok") is not None
    await expire(database, end)
    assert await row(database, "u-ok") is None


async def test_nobody_checks_their_own_declaration(database: Database, context: Context) -> None:
    await configured(database)
    own = await declare(database, context, user="adm")
    for data in (CheckIn(approved=True, bracket="A"), CheckIn(approved=False)):
        with pytest.raises(Forbidden, match="your own declaration"):
            await check(database, own.id, data)
    found = await row(database, "adm")
    assert found is not None and found.status == "pending" and found.proposed_bracket == "B"
    async with database.transaction() as db:
        assert len((await db.scalars(select(QuotientDocument))).all()) == 1
    done = await check(database, own.id, CheckIn(approved=True, bracket="B"), admin="adm-2")
    assert done.status == "approved" and done.checked_by == "adm-2"


async def declare_year(database: Database, context: Context, year: int) -> QuotientDeclaration:
    async with database.transaction() as db:
        return await service.declare(
            db,
            cipher=context.cipher,
            principal=make_person(f"u-{year}"),
            figures=Figures(income=INCOME, shares=Decimal("2.5")),
            tax_year=year,
            document=NOTICE,
            max_bytes=MAX,
            now=NOW,
        )


async def test_the_tax_year_is_this_year_or_the_two_before(
    database: Database, context: Context
) -> None:
    await configured(database)
    for year in (NOW.year + 1, NOW.year - 3, 2100):
        with pytest.raises(Invalid, match="tax_year"):
            await declare_year(database, context, year)
    async with database.transaction() as db:
        assert (await db.scalars(select(QuotientDeclaration))).all() == []
    ok = await declare_year(database, context, NOW.year - 2)
    with pytest.raises(Invalid, match="tax_year"):
        await check(database, ok.id, CheckIn(approved=True, bracket="B", tax_year=2100))
    done = await check(database, ok.id, CheckIn(approved=True, bracket="B", tax_year=NOW.year))
    assert done.tax_year == NOW.year


def test_the_year_is_the_works_councils(context: Context) -> None:
    """31 December 23:30 UTC is already 1 January in Paris."""
    late = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert service.check_tax_year(2027, late) == 2027
    with pytest.raises(Invalid):
        service.check_tax_year(2027, late - timedelta(hours=1))


async def test_key_rotation_re_encrypts_the_pending_notices(
    database: Database, context: Context
) -> None:
    await configured(database)
    declaration = await declare(database, context)
    rotated = Settings(
        field_key=SecretStr("a new key"),
        field_key_id="k2",
        retired_field_keys={"k1": Settings().field_key},
    )
    cipher = fields.field_cipher(rotated)
    rotate_batch = jobs.key_rotation(cipher)
    async with database.transaction() as db:
        assert await rotate_batch(db, NOW) == 1
    async with database.transaction() as db:
        assert await rotate_batch(db, NOW) == 0
        stored = (await db.scalars(select(QuotientDocument))).one()
    assert stored.content.startswith("k2:") and stored.figures.startswith("k2:")
    # The old key retired for good: the notice still opens under the new one alone.
    only_new = AesGcm({"k2": cipher.keys["k2"]}, "k2")
    async with database.transaction() as db:
        page = await service.pending(db, cipher=only_new, tenant_id=TENANT, cursor=None, limit=10)
        notice = await service.notice(
            db, cipher=only_new, tenant_id=TENANT, declaration_id=declaration.id
        )
    assert page.items[0].income == INCOME and notice.content == NOTICE


async def test_a_notice_that_can_no_longer_be_read_is_no_document(
    database: Database, context: Context
) -> None:
    await configured(database)
    declaration = await declare(database, context)
    stranger = AesGcm({"k9": b"\x01" * 32}, "k9")
    async with database.transaction() as db:
        page = await service.pending(db, cipher=stranger, tenant_id=TENANT, cursor=None, limit=10)
    [line] = page.items
    assert (line.has_document, line.income, line.quotient) == (False, None, None)
    with pytest.raises(NotFound, match="can no longer be read"):
        async with database.transaction() as db:
            await service.notice(
                db, cipher=stranger, tenant_id=TENANT, declaration_id=declaration.id
            )
    # The rotation leaves it as it is (and does not fail on it).
    async with database.transaction() as db:
        assert await jobs.key_rotation(stranger)(db, NOW) == 0
    # Nobody approves what they could not read; it can still be refused.
    with pytest.raises(Conflict, match="can no longer be read"):
        await check(database, declaration.id, CheckIn(approved=True, bracket="B"), cipher=stranger)
    refused = await check(database, declaration.id, CheckIn(approved=False), cipher=stranger)
    assert refused.status == "refused"
