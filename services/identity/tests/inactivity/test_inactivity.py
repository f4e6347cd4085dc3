"""Inactive accounts with an injectable clock: warned after two years, erased (asked of the
privacy service) thirty days later unless they logged in, once; staff rules; restrictions."""

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from identity import jobs
from identity.accounts.models import User
from identity.base import subject_data
from identity.config import Settings
from identity.inactivity import service as inactivity
from identity.sessions.models import Session
from kit.db import Database
from services.identity.tests.factories import (
    NOW,
    make_session,
    make_tenant,
    make_user,
    outbox,
)

TWO_YEARS = timedelta(days=730)
DAY = timedelta(days=1)


@pytest.fixture
async def tenant(database: Database) -> str:
    async with database.transaction() as db:
        found = make_tenant(email_domains=["demo.test"])
        db.add(found)
        await db.flush()
        return found.id


async def person(
    database: Database,
    tenant: str,
    name: str,
    *,
    created: datetime,
    last_login: datetime | None = None,
    roles: tuple[str, ...] = ("employee",),
    active: bool = True,
) -> str:
    async with database.transaction() as db:
        user = make_user(
            tenant,
            f"{name}@demo.test",
            first_name=name,
            last_name="T",
            roles=list(roles),
            password_hash="x",
            is_active=active,
            created_at=created,
            last_login_at=last_login,
        )
        db.add(user)
        await db.flush()
        db.add(
            make_session(
                user.id,
                tenant,
                token_hash=f"{name:x<64}",
                created_at=created,
                expires_at=NOW + DAY * 400,
            )
        )
        return user.id


async def run(database: Database, settings: Settings, now: datetime) -> inactivity.Outcome:
    async with database.transaction() as db:
        return await inactivity.check(db, settings, now=now)


async def user(database: Database, user_id: str) -> User:
    async with database.transaction() as db:
        found = await db.get(User, user_id)
        assert found is not None
        return found


async def test_warned_once_after_two_years_without_activity(
    database: Database, settings: Settings, tenant: str
) -> None:
    old = await person(database, tenant, "old", created=NOW - TWO_YEARS - DAY)
    await person(database, tenant, "recent", created=NOW - TWO_YEARS + DAY)
    logged = await person(
        database, tenant, "logged", created=NOW - 3 * TWO_YEARS, last_login=NOW - TWO_YEARS + DAY
    )
    assert await run(database, settings, NOW) == inactivity.Outcome(warned=1)
    assert (await user(database, old)).inactivity_warned_at == NOW
    assert (await user(database, logged)).inactivity_warned_at is None  # a login counts
    [mail] = await outbox(database, "mail.requested")
    assert mail["payload"]["to"] == "old@demo.test"
    subject, text = mail["payload"]["subject"], mail["payload"]["text"]
    assert subject == (
        "Votre compte sera supprimé le 27 décembre 2026 / "
        "Your account will be deleted on 27 December 2026"
    )
    assert text.index("Bonjour") < text.index("Hello")  # French, then English
    assert "supprimés le 27 décembre 2026" in text and "deleted on 27 December 2026" in text
    assert "https://localhost:8443" in text
    # The job again, the next hour and the next month: no second mail.
    assert await run(database, settings, NOW + timedelta(hours=1)) == inactivity.Outcome()
    assert await run(database, settings, NOW + 29 * DAY) == inactivity.Outcome(warned=2)
    mails = [m["payload"]["to"] for m in await outbox(database, "mail.requested")]
    assert sorted(mails) == ["logged@demo.test", "old@demo.test", "recent@demo.test"]


async def test_erased_after_the_grace_period_once(
    database: Database, settings: Settings, tenant: str
) -> None:
    old = await person(database, tenant, "old", created=NOW - TWO_YEARS - DAY)
    await run(database, settings, NOW)
    assert await run(database, settings, NOW + 30 * DAY - timedelta(seconds=1)) == (
        inactivity.Outcome()
    )
    assert (await user(database, old)).is_active
    assert await run(database, settings, NOW + 30 * DAY) == inactivity.Outcome(erasing=1)
    closed = await user(database, old)
    assert not closed.is_active  # no more login while the erasure runs
    async with database.transaction() as db:
        session = await db.scalar(select(Session).where(Session.user_id == old))
    assert session is not None and session.revoked_at == NOW + 30 * DAY
    [event] = await outbox(database, "account.inactive")
    assert event["routing_key"] == "account.inactive.privacy"  # published mandatory
    assert (event["subject"], event["tenant"]) == (old, tenant)
    assert "old@demo.test" not in json.dumps(event)
    # The job again: nothing more is asked.
    assert await run(database, settings, NOW + 31 * DAY) == inactivity.Outcome()
    assert len(await outbox(database, "account.inactive")) == 1


async def test_a_login_after_the_warning_keeps_the_account(
    database: Database, settings: Settings, tenant: str
) -> None:
    old = await person(database, tenant, "old", created=NOW - TWO_YEARS - DAY)
    await run(database, settings, NOW)
    async with database.transaction() as db:
        found = await db.get(User, old)
        assert found is not None
        found.last_login_at = NOW + 3 * DAY  # even were the warning not cleared at login
    assert await run(database, settings, NOW + 31 * DAY) == inactivity.Outcome()
    assert (await user(database, old)).is_active
    assert await outbox(database, "account.inactive") == []


async def test_staff_are_erased_but_never_a_companys_last_admin(
    database: Database, settings: Settings, tenant: str
) -> None:
    long_ago = NOW - TWO_YEARS - DAY
    first = await person(database, tenant, "admin1", created=long_ago, roles=("tenant_admin",))
    second = await person(database, tenant, "admin2", created=long_ago, roles=("tenant_admin",))
    agent = await person(database, tenant, "agent", created=long_ago, roles=("support_agent",))
    platform = await person(database, tenant, "root", created=long_ago, roles=("platform_admin",))
    assert (await run(database, settings, NOW)).warned == 4
    outcome = await run(database, settings, NOW + 30 * DAY)
    assert outcome == inactivity.Outcome(erasing=2, kept=2)
    states = {u: (await user(database, u)).is_active for u in (first, second, agent, platform)}
    assert not states[agent] and states[platform]
    assert sorted([states[first], states[second]]) == [False, True]  # one admin remains
    # Once the company has another admin, the last inactive one goes too.
    await person(database, tenant, "admin3", created=NOW, roles=("tenant_admin",))
    assert await run(database, settings, NOW + 31 * DAY) == inactivity.Outcome(erasing=1, kept=1)
    assert not (await user(database, first)).is_active
    assert not (await user(database, second)).is_active


async def test_restricted_and_deactivated_accounts_are_left_alone(
    database: Database, settings: Settings, tenant: str
) -> None:
    long_ago = NOW - TWO_YEARS - DAY
    frozen = await person(database, tenant, "frozen", created=long_ago)
    await person(database, tenant, "gone", created=long_ago, active=False)
    async with database.transaction() as db:
        await subject_data.restrict(db, frozen, request_id="r", now=NOW)
    assert await run(database, settings, NOW) == inactivity.Outcome()
    assert await run(database, settings, NOW + 31 * DAY) == inactivity.Outcome()
    assert await outbox(database, "mail.requested") == []


async def test_the_worker_job_counts_what_it_did(
    database: Database, settings: Settings, tenant: str
) -> None:
    await person(database, tenant, "old", created=NOW - TWO_YEARS - DAY)
    job = jobs.inactive_accounts(settings)
    assert job.every_seconds == settings.inactivity_check_seconds
    async with database.transaction() as db:
        assert await job.run(db, NOW) == 1
    async with database.transaction() as db:
        assert await job.run(db, NOW + 30 * DAY) == 1
