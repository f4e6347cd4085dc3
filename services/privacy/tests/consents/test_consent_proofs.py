"""Art. 5(1)(e): a consent event is the proof of a choice, kept ``consent_proof_years`` after
the choice stops being in force (the person's next choice, or the withdrawal), then deleted by
the worker's schedule while the account exists; the proof of a choice still in force stays."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from kit.db import Database
from privacy import jobs
from privacy.base import subject_data
from privacy.config import Settings
from privacy.consents.models import ConsentEvent, UnsubscribeToken
from privacy.context import Context

GIVEN = datetime(2019, 5, 2, 8, 0, tzinfo=UTC)
WITHDRAWN = datetime(2020, 3, 1, 12, 0, tzinfo=UTC)
GIVEN_AGAIN = datetime(2021, 7, 1, 9, 0, tzinfo=UTC)
PROOF = "consent proof retention"


def event(id_: str, at: datetime, granted: bool, **fields: str | None) -> ConsentEvent:
    values: dict[str, object] = {
        "id": id_,
        "subject": "u-1",
        "tenant_id": "t-1",
        "purpose": "newsletter",
        "granted": granted,
        "notice_version": "2026-11",
        "channel": "web",
        "at": at,
    }
    return ConsentEvent(**(values | fields))


async def run(database: Database, ctx: Context, now: datetime) -> int:
    [job] = [j for j in jobs.scheduled(ctx) if j.name == PROOF]
    async with database.transaction() as db:
        return await job.run(db, now)


async def remaining(database: Database) -> list[str]:
    async with database.transaction() as db:
        return sorted(await db.scalars(select(ConsentEvent.id)))


def test_the_proofs_are_purged_hourly(ctx: Context) -> None:
    assert {j.name: j.every_seconds for j in jobs.scheduled(ctx)}[PROOF] == 3600
    assert Settings().consent_proof_years == 5


async def test_a_proof_goes_five_years_after_its_choice_ended(
    database: Database, ctx: Context
) -> None:
    async with database.transaction() as db:
        db.add_all(
            [
                event("given", GIVEN, True),
                event("withdrawn", WITHDRAWN, False),
                event("given-again", GIVEN_AGAIN, True),
                # The same person's other purpose, and another person: their own histories.
                event("offers", GIVEN, True, purpose="partner_offers"),
                event("other", GIVEN, True, subject="u-2"),
            ]
        )
    # "given" ended when it was withdrawn: five years after, to the second.
    assert await run(database, ctx, WITHDRAWN.replace(year=2025) - timedelta(seconds=1)) == 0
    assert await run(database, ctx, WITHDRAWN.replace(year=2025)) == 1
    assert await remaining(database) == ["given-again", "offers", "other", "withdrawn"]
    # The withdrawal ended when consent was given again.
    assert await run(database, ctx, GIVEN_AGAIN.replace(year=2026)) == 1
    # The choices in force keep their proof, however old.
    assert await run(database, ctx, datetime(2040, 1, 1, tzinfo=UTC)) == 0
    assert await remaining(database) == ["given-again", "offers", "other"]


async def test_a_last_withdrawal_and_an_erased_persons_history_go_too(
    database: Database, ctx: Context
) -> None:
    async with database.transaction() as db:
        db.add_all(
            [
                event("given", GIVEN, True, subject=None, subject_key="k" * 64),
                event("withdrawn", WITHDRAWN, False, subject=None, subject_key="k" * 64),
            ]
        )
    assert await run(database, ctx, WITHDRAWN.replace(year=2025) - timedelta(seconds=1)) == 0
    assert await run(database, ctx, WITHDRAWN.replace(year=2025)) == 2
    assert await remaining(database) == []


async def test_a_restricted_persons_proofs_stay_until_the_restriction_is_lifted(
    database: Database, ctx: Context
) -> None:
    async with database.transaction() as db:
        db.add_all([event("given", GIVEN, True), event("withdrawn", WITHDRAWN, False)])
        assert await subject_data.restrict(db, "u-1", request_id="r-1", now=GIVEN)
    later = datetime(2040, 1, 1, tzinfo=UTC)
    assert await run(database, ctx, later) == 0
    async with database.transaction() as db:
        assert await subject_data.lift(db, "u-1")
    assert await run(database, ctx, later) == 2
    assert await remaining(database) == []


async def test_a_dead_unsubscribe_link_is_deleted(database: Database, ctx: Context) -> None:
    expires = datetime(2026, 2, 1, 10, 0, tzinfo=UTC)
    async with database.transaction() as db:
        db.add(
            UnsubscribeToken(
                token_hash="h" * 64,
                subject="u-1",
                tenant_id="t-1",
                purpose="newsletter",
                expires_at=expires,
            )
        )
    [job] = [j for j in jobs.scheduled(ctx) if j.name == "retention while the account exists"]
    assert job.every_seconds == 3600
    async with database.transaction() as db:
        assert await job.run(db, expires - timedelta(seconds=1)) == 0
        assert await job.run(db, expires) == 1
        assert list(await db.scalars(select(UnsubscribeToken.token_hash))) == []
