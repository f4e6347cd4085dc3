"""The worker's jobs: key rotation and lapse of mandates, and the end of a live account's
records past their lifetime (Art. 5(1)(e))."""

from datetime import UTC, datetime, timedelta

from pydantic import SecretStr
from sqlalchemy import insert, select

from kit.db import Database
from services.subsidies.tests.factories import (
    NOW,
    booking_row,
    make_mandate_in,
    make_person,
    mandate_row,
)
from subsidies import jobs
from subsidies.bookings.models import Booking
from subsidies.config import Settings
from subsidies.context import Context
from subsidies.grants.models import Grant
from subsidies.mandates import fields
from subsidies.mandates.models import Mandate
from subsidies.mandates.service import add_mandate, masked


async def test_key_rotation_re_encrypts_every_mandate_without_losing_one(
    database: Database, context: Context
) -> None:
    async with database.transaction() as db:
        await add_mandate(
            db, cipher=context.cipher, principal=make_person(), data=make_mandate_in(), now=NOW
        )
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
        mandate = (await db.scalars(select(Mandate))).one()
        assert mandate.iban.startswith("k2:") and mandate.holder.startswith("k2:")
        assert masked(cipher, mandate)["iban"] == "FR76 **** **** 0189"


async def test_a_mandate_unused_for_36_months_lapses(database: Database, context: Context) -> None:
    async with database.transaction() as db:
        mandate = await add_mandate(
            db, cipher=context.cipher, principal=make_person(), data=make_mandate_in(), now=NOW
        )
        mandate.last_collection_at = NOW
    lapse = jobs.lapse_job(Settings())
    async with database.transaction() as db:
        assert await lapse(db, NOW + timedelta(days=35 * 30)) == 0
        assert await lapse(db, NOW + timedelta(days=37 * 30)) == 1
        assert (await db.scalars(select(Mandate.status))).one() == "lapsed"


# -- Art. 5(1)(e) while the account exists -------------------------------------------------------

LIVE = "retention while the account exists"


def test_the_schedule_ends_live_accounts_records_hourly(context: Context) -> None:
    scheduled = {j.name: j.every_seconds for j in jobs.scheduled(context)}
    assert scheduled[LIVE] == 3600 and scheduled["retention purge"] == 3600


async def live_retention(database: Database, context: Context, now: datetime) -> int:
    [job] = [j for j in jobs.scheduled(context) if j.name == LIVE]
    async with database.transaction() as db:
        return await job.run(db, now)


async def test_a_lapsed_mandate_goes_once_refunds_can_no_longer_be_claimed(
    database: Database, context: Context
) -> None:
    """Lapsed or revoked: 13 months after the last collection (L133-24), at once when never
    used; an active mandate stays, however old its last collection."""
    used = datetime(2024, 1, 10, 8, 0, tzinfo=UTC)
    rows = [
        mandate_row(context.cipher, id="lapsed", status="lapsed", last_collection_at=used),
        mandate_row(context.cipher, id="revoked-unused", status="revoked", last_collection_at=None),
        mandate_row(context.cipher, id="active", status="active", last_collection_at=used),
    ]
    async with database.transaction() as db:
        await db.execute(insert(Mandate), rows)
    due = datetime(2025, 2, 10, 8, 0, tzinfo=UTC)  # one year and 31 days
    assert await live_retention(database, context, due - timedelta(seconds=1)) == 1
    async with database.transaction() as db:
        assert sorted(await db.scalars(select(Mandate.id))) == ["active", "lapsed"]
    assert await live_retention(database, context, due) == 1
    async with database.transaction() as db:
        assert list(await db.scalars(select(Mandate.id))) == ["active"]
    assert await live_retention(database, context, due + timedelta(days=3650)) == 0


async def test_bookings_after_five_years_and_grants_after_ten(
    database: Database, context: Context
) -> None:
    booked = datetime(2020, 9, 1, 18, 30, tzinfo=UTC)
    grant = {
        "id": "g-1",
        "tenant_id": "t-1",
        "user_id": "u-1",
        "rule_id": "r-1",
        "kind": "activity",
        "booking_id": "b-1",
        "amount_cents": 500,
        "year": 2020,
        "status": "paid",
        "created_at": booked,
    }
    async with database.transaction() as db:
        await db.execute(insert(Booking), [booking_row(id="b-1", created_at=booked)])
        await db.execute(insert(Grant), [grant])
    five, ten = booked.replace(year=2025), booked.replace(year=2030)
    assert await live_retention(database, context, five - timedelta(seconds=1)) == 0
    assert await live_retention(database, context, five) == 1
    async with database.transaction() as db:
        assert list(await db.scalars(select(Booking.id))) == []
        assert list(await db.scalars(select(Grant.id))) == ["g-1"]
    assert await live_retention(database, context, ten - timedelta(seconds=1)) == 0
    assert await live_retention(database, context, ten) == 1
