"""Art. 5(1)(e) while the account exists: rows past their table's lifetime leave it on the
day, not a day before; what the law still keeps goes to the restricted archive until its date,
the rest is deleted; and the worker runs the job at start, then every period."""

import asyncio
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Column, MetaData, String, Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import Database, UtcDateTime
from kit.privacy.declarations import (
    LegalBasis,
    Lifetime,
    Purpose,
    Retention,
    not_personal,
    personal,
    subject_table,
)
from kit.privacy.subject import SubjectData
from kit.worker import LIVE_RETENTION_SECONDS, Job, _repeat, live_retention

P, C = Purpose.ORDER_PROCESSING, LegalBasis.CONTRACT
BOUGHT = datetime(2021, 3, 1, 9, 0, tzinfo=UTC)
SALE = Retention(5, "at", LegalBasis.LEGAL_CLAIMS, "a limitation period", setting="sale_years")
tables = MetaData()
data = SubjectData(tables, service="shop", purpose=P)
sales = Table(
    "sales",
    tables,
    Column("id", String(36), primary_key=True, info=not_personal("an id")),
    Column("person", String(36), info=personal("buyer", P, C, retained=True)),
    Column("address", String(100), info=personal("address", P, C)),
    Column("at", UtcDateTime, info=personal("date", P, C, retained=True)),
    info=subject_table("person", retention=SALE, lifetime=Lifetime.of(SALE)),
)
#: Visible for two years, then restricted until the sale's five years are over.
carts = Table(
    "carts",
    tables,
    Column("id", String(36), primary_key=True, info=not_personal("an id")),
    Column("person", String(36), info=personal("buyer", P, C, retained=True)),
    Column("at", UtcDateTime, info=personal("date", P, C, retained=True)),
    info=subject_table(
        "person",
        retention=replace(SALE, setting=None),
        lifetime=Lifetime(counted_from="at", reason="two years of history", years=2),
    ),
)
cards = Table(
    "cards",
    tables,
    Column("id", String(36), primary_key=True, info=not_personal("an id")),
    Column("person", String(36), info=personal("holder", P, C)),
    Column("status", String(10), info=not_personal("active or ended")),
    Column("used_at", UtcDateTime, info=personal("last use", P, C)),
    info=subject_table(
        "person",
        lifetime=Lifetime(
            counted_from="used_at",
            reason="13 months",
            years=1,
            days=31,
            only_when=("status", ("ended",)),
        ),
    ),
)


@dataclass
class ShopSettings:
    subject_key: SecretStr
    sale_years: int = 5


@pytest.fixture(name="metadata")
def metadata_fixture() -> MetaData:
    return tables


@pytest.fixture(autouse=True)
def bound() -> None:
    data.bind(ShopSettings(SecretStr("k" * 32)))


async def rows(database: Database, table: Table) -> list[str]:
    async with database.transaction() as s:
        return sorted(await s.scalars(select(table.c.id)))


async def expire(database: Database, now: datetime) -> int:
    async with database.transaction() as s:
        return await data.expire(s, now=now)


async def archived(database: Database) -> list[dict[str, Any]]:
    async with database.transaction() as s:
        found = (await s.execute(select(data.archive))).all()
    return [dict(r._mapping) for r in found]


async def test_a_record_goes_on_its_date_and_not_a_second_before(database: Database) -> None:
    async with database.transaction() as s:
        await s.execute(sales.insert().values(id="old", person="p1", address="1 rue", at=BOUGHT))
        later = BOUGHT + timedelta(days=1)
        await s.execute(sales.insert().values(id="new", person="p1", address="2 rue", at=later))
    due = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)  # five years to the second
    assert await expire(database, due - timedelta(seconds=1)) == 0
    assert await rows(database, sales) == ["new", "old"]
    assert await expire(database, due) == 1
    assert await rows(database, sales) == ["new"]
    # Its legal date has come too: nothing to keep in the restricted archive.
    assert await archived(database) == []
    assert await expire(database, due) == 0  # nothing more on the same day


async def test_a_restricted_persons_records_stay_until_the_restriction_is_lifted(
    database: Database,
) -> None:
    """Art. 18(1)(c): the person may need the data for a legal claim once we no longer do."""
    async with database.transaction() as s:
        await s.execute(sales.insert().values(id="kept", person="p1", address="1 rue", at=BOUGHT))
        await s.execute(sales.insert().values(id="gone", person="p2", address="2 rue", at=BOUGHT))
        assert await data.restrict(s, "p1", request_id="r-1", now=BOUGHT)
    due = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert await expire(database, due) == 1
    assert await rows(database, sales) == ["kept"]
    async with database.transaction() as s:
        assert await data.lift(s, "p1")
    assert await expire(database, due) == 1
    assert await rows(database, sales) == []


async def test_the_period_comes_from_the_bound_settings(database: Database) -> None:
    data.bind(ShopSettings(SecretStr("k" * 32), sale_years=7))
    async with database.transaction() as s:
        await s.execute(sales.insert().values(id="s", person="p1", address="x", at=BOUGHT))
    assert await expire(database, datetime(2027, 3, 1, 9, 0, tzinfo=UTC)) == 0
    assert await expire(database, datetime(2028, 3, 1, 9, 0, tzinfo=UTC)) == 1
    [entry] = [t for t in data.inventory() if t["table"] == "sales"]
    assert entry["lifetime"] == {
        "years": 7,
        "days": 0,
        "counted_from": "at",
        "only_when": None,
        "reason": "a limitation period",
    }


async def test_a_row_whose_record_runs_longer_moves_to_the_restricted_archive(
    database: Database,
) -> None:
    async with database.transaction() as s:
        await s.execute(carts.insert().values(id="c1", person="p1", at=BOUGHT))
    now = datetime(2023, 3, 1, 9, 0, tzinfo=UTC)
    assert await expire(database, now) == 1
    assert await rows(database, carts) == []
    [kept] = await archived(database)
    assert kept["subject_key"] == data.subject_key("p1") and kept["source_table"] == "carts"
    assert json.loads(kept["data"]) == {"person": "p1", "at": BOUGHT.isoformat()}
    assert kept["legal_basis"] == "legal_claims"
    assert kept["keep_until"] == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    # The archive's own purge ends it on its date.
    async with database.transaction() as s:
        assert await data.purge_due(s, now=datetime(2026, 3, 1, 9, 0, tzinfo=UTC)) == 1


async def test_only_ended_rows_expire_and_an_undated_ended_one_at_once(
    database: Database,
) -> None:
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    async with database.transaction() as s:
        for id_, status, used in [
            ("active-old", "active", long_ago),
            ("ended-old", "ended", long_ago),
            ("ended-recent", "ended", datetime(2026, 1, 1, tzinfo=UTC)),
            ("ended-unused", "ended", None),
            ("active-unused", "active", None),
        ]:
            await s.execute(cards.insert().values(id=id_, person="p1", status=status, used_at=used))
    assert await expire(database, datetime(2026, 6, 1, tzinfo=UTC)) == 2
    assert await rows(database, cards) == ["active-old", "active-unused", "ended-recent"]
    # Thirteen months after its last use: 1 February 2027.
    assert await expire(database, datetime(2027, 2, 1, tzinfo=UTC) - timedelta(seconds=1)) == 0
    assert await expire(database, datetime(2027, 2, 1, tzinfo=UTC)) == 1


def test_the_job_is_hourly_and_expires_through_the_declarations() -> None:
    job = live_retention(data)
    assert job.every_seconds == LIVE_RETENTION_SECONDS == 3600
    assert "retention" in job.name


async def test_the_worker_runs_a_job_at_start_then_every_period(database: Database) -> None:
    """The scheduling itself: a job runs first at start, then again each ``every_seconds``,
    each run in a transaction of its own; a run that fails does not stop the next."""
    runs: list[datetime] = []

    async def run(session: AsyncSession, now: datetime) -> int:
        assert session.in_transaction()
        runs.append(now)
        if len(runs) == 2:
            raise RuntimeError("one failed run")
        return 1

    task = asyncio.create_task(_repeat(Job("probe", 0.05, run), database, "shop"))
    try:
        await asyncio.sleep(0.01)
        assert len(runs) == 1  # at start, before the first period
        await asyncio.sleep(0.2)
    finally:
        task.cancel()
    assert 3 <= len(runs) <= 6, runs  # every 50 ms, the failed run included
    assert runs == sorted(runs)
