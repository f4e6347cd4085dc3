"""Legal retention with an injectable clock: the connection log outlives the account by one
year exactly, in the restricted archive, and is purged at its date, not a day before."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from identity.accounts.models import User
from identity.base import subject_data
from identity.sessions.models import LoginEvent
from kit.db import Database
from services.identity.tests.factories import make_tenant, make_user

LOGIN = datetime(2026, 1, 10, 9, 30, tzinfo=UTC)
ERASED = LOGIN + timedelta(days=40)


async def person(database: Database) -> str:
    async with database.transaction() as db:
        tenant = make_tenant(created_at=LOGIN)
        db.add(tenant)
        await db.flush()
        user = make_user(
            tenant.id, "ret@demo.test", first_name="R", last_name="T", created_at=LOGIN
        )
        db.add(user)
        await db.flush()
        db.add(LoginEvent(user_id=user.id, tenant_id=tenant.id, at=LOGIN))
        return user.id


async def archived(database: Database) -> int:
    async with database.transaction() as db:
        return int(await db.scalar(select(func.count()).select_from(subject_data.archive)) or 0)


async def test_connection_log_is_kept_one_year_then_purged_on_the_day(database: Database) -> None:
    user_id = await person(database)
    async with database.transaction() as db:
        report = await subject_data.erase(db, user_id, now=ERASED)
    kept = {t.table: t for t in report}["login_events"]
    assert kept.kept_rows == 1
    assert kept.kept_until == datetime(2027, 1, 10, 9, 30, tzinfo=UTC).isoformat()
    async with database.transaction() as db:
        assert await db.scalar(select(func.count()).select_from(User)) == 0
        assert await db.scalar(select(func.count()).select_from(LoginEvent)) == 0
    async with database.transaction() as db:
        assert await subject_data.purge_due(db, now=datetime(2027, 1, 9, 9, 30, tzinfo=UTC)) == 0
    assert await archived(database) == 1
    async with database.transaction() as db:
        assert await subject_data.purge_due(db, now=datetime(2027, 1, 10, 9, 30, tzinfo=UTC)) == 1
    assert await archived(database) == 0


async def test_a_record_already_past_its_date_is_not_archived(database: Database) -> None:
    user_id = await person(database)
    async with database.transaction() as db:
        report = await subject_data.erase(db, user_id, now=LOGIN + timedelta(days=400))
    assert {t.table: t for t in report}["login_events"].kept_rows == 0
    assert await archived(database) == 0


async def test_second_erasure_finds_nothing(database: Database) -> None:
    user_id = await person(database)
    async with database.transaction() as db:
        await subject_data.erase(db, user_id, now=ERASED)
    async with database.transaction() as db:
        again = await subject_data.erase(db, user_id, now=ERASED)
    assert all(t.erased_rows == 0 and t.kept_rows == 0 for t in again)
    assert await archived(database) == 1
