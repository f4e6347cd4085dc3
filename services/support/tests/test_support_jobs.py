"""The worker's jobs (``support.jobs``) with an injectable clock: a closed ticket goes with its
messages on the day its retention ends, a partner contact three years after the last contact;
neither a day before."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from kit.db import Database
from kit.privacy.declarations import LegalBasis, Retention
from kit.worker import Job
from services.support.tests import factories
from support import jobs
from support.config import Settings
from support.models import Base, PartnerRequest, Ticket, TicketMessage
from support.partners import service as partners
from support.partners.schemas import PartnerReview
from support.tickets.models import TicketStatus

CLOSED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def job(name: str, **settings: int) -> Job:
    scheduled = {j.name: j for j in jobs.scheduled(Settings.model_validate(settings))}
    return scheduled[name]


async def run(database: Database, name: str, now: datetime, **settings: int) -> int:
    async with database.transaction() as db:
        return await job(name, **settings).run(db, now)


async def count(database: Database, model: type[Base]) -> int:
    async with database.transaction() as db:
        return int(await db.scalar(select(func.count()).select_from(model)) or 0)


async def ticket(database: Database, status: str, at: datetime) -> str:
    async with database.transaction() as db:
        opened = await factories.make_ticket(db, now=at)
        if status != TicketStatus.OPEN:
            await factories.change_ticket(db, opened.id, now=at, status=status)
        return opened.id


async def test_a_closed_ticket_goes_on_the_day_not_a_day_before(database: Database) -> None:
    await ticket(database, "closed", CLOSED)
    still_open = await ticket(database, "open", CLOSED - timedelta(days=3000))
    purge = "closed tickets purge"
    assert await run(database, purge, CLOSED + timedelta(days=729, hours=23)) == 0
    assert await count(database, Ticket) == 2 and await count(database, TicketMessage) == 2
    assert await run(database, purge, CLOSED + timedelta(days=730)) == 1
    async with database.transaction() as db:
        assert (await db.scalars(select(Ticket.id))).all() == [still_open]
        assert (await db.scalars(select(TicketMessage.ticket_id))).all() == [still_open]


async def test_the_retention_is_a_setting(database: Database) -> None:
    await ticket(database, "closed", CLOSED)
    purge = "closed tickets purge"
    assert (
        await run(database, purge, CLOSED + timedelta(days=29), closed_ticket_retention_days=30)
        == 0
    )
    assert (
        await run(database, purge, CLOSED + timedelta(days=30), closed_ticket_retention_days=30)
        == 1
    )
    assert await count(database, Ticket) == 0


async def test_a_ticket_left_resolved_is_closed_then_purged(database: Database) -> None:
    await ticket(database, "resolved", CLOSED)
    purge = "closed tickets purge"
    assert await run(database, purge, CLOSED + timedelta(days=29)) == 0
    assert await run(database, purge, CLOSED + timedelta(days=30)) == 1  # closed now
    async with database.transaction() as db:
        closed = (await db.scalars(select(Ticket))).one()
    assert closed.status == "closed" and closed.closed_at == CLOSED + timedelta(days=30)
    assert await run(database, purge, CLOSED + timedelta(days=30 + 729)) == 0
    assert await run(database, purge, CLOSED + timedelta(days=30 + 730)) == 1
    assert await count(database, Ticket) == 0


APPLY = factories.make_partner_apply()


async def test_a_partner_contact_goes_three_years_after_the_last_contact(
    database: Database,
) -> None:
    async with database.transaction() as db:
        await partners.apply_for_listing(db, factories.KnownTenants(), data=APPLY, now=CLOSED)
        reviewed = await partners.apply_for_listing(
            db, factories.KnownTenants(), data=APPLY, now=CLOSED
        )
        reviewed_id = reviewed.id
    later = CLOSED + timedelta(days=200)
    async with database.transaction() as db:
        await partners.review_partner_request(
            db,
            principal=factories.AGENT,
            request_id=reviewed_id,
            data=PartnerReview(status="contacted", note="Called"),
            now=later,
        )
    purge = "partner contacts purge"
    assert await run(database, purge, datetime(2029, 3, 1, 10, 0, tzinfo=UTC)) == 0
    assert await run(database, purge, datetime(2029, 3, 2, 10, 0, tzinfo=UTC)) == 1
    async with database.transaction() as db:
        assert (await db.scalars(select(PartnerRequest.id))).all() == [reviewed_id]
    assert await run(database, purge, later.replace(year=2029) - timedelta(days=1)) == 0
    assert await run(database, purge, later.replace(year=2029)) == 1
    assert await count(database, PartnerRequest) == 0


@pytest.mark.parametrize(
    "moment,years,start",
    [
        (datetime(2029, 3, 2, 10, tzinfo=UTC), 3, datetime(2026, 3, 2, 10, tzinfo=UTC)),
        # 29 February 2024 + 3 years is 28 February 2027, as kit's Retention counts it.
        (datetime(2027, 2, 28, 10, tzinfo=UTC), 3, datetime(2024, 2, 29, 10, tzinfo=UTC)),
        # All of 28 February 2025 is due on 29 February 2028.
        (
            datetime(2028, 2, 29, 10, tzinfo=UTC),
            3,
            datetime(2025, 2, 28, 23, 59, 59, 999999, tzinfo=UTC),
        ),
        (datetime(2028, 2, 28, 10, tzinfo=UTC), 4, datetime(2024, 2, 28, 10, tzinfo=UTC)),
        (datetime(2028, 2, 29, 10, tzinfo=UTC), 4, datetime(2024, 2, 29, 10, tzinfo=UTC)),
    ],
)
def test_years_before_is_exactly_the_kits_retention(
    moment: datetime, years: int, start: datetime
) -> None:
    assert jobs.years_before(moment, years) == start
    rule = Retention(years=years, counted_from="at", basis=LegalBasis.CONSENT, reason="test")
    # Due at ``moment``; a microsecond later, not yet.
    assert rule.until(start) <= moment < rule.until(start + timedelta(microseconds=1))
