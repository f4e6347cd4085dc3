"""Declarations bound to the service's settings at start-up, and the bulk data-map marks."""

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr
from sqlalchemy import Column, MetaData, String, Table, func, select

from kit.db import Database, UtcDateTime
from kit.events import EventStore
from kit.privacy.declarations import LegalBasis, Purpose, Retention, personal, subject_table
from kit.privacy.protocol import PERSONAL_DATA_RECORDED
from kit.privacy.subject import SubjectData

P, C = Purpose.ORDER_PROCESSING, LegalBasis.CONTRACT
NOW = datetime(2026, 12, 3, tzinfo=UTC)
tables = MetaData()
events = EventStore(tables, source="shop")
data = SubjectData(tables, service="shop", purpose=P)
receipts = Table(
    "receipts",
    tables,
    Column("id", String(36), primary_key=True, info=personal("id", P, C, provided=False)),
    Column("person", String(36), info=personal("buyer", P, C, retained=True)),
    Column("at", UtcDateTime, info=personal("date", P, C, retained=True)),
    info=subject_table(
        "person",
        retention=Retention(5, "at", LegalBasis.LEGAL_OBLIGATION, "a law", setting="receipt_years"),
        kept="{receipt_days} days after the purchase",
    ),
)


@dataclass
class ShopSettings:
    subject_key: SecretStr
    receipt_years: int
    receipt_days: int


@pytest.fixture(name="metadata")
def metadata_fixture() -> MetaData:
    return tables


def test_unbound_subject_data_says_so_instead_of_using_no_key() -> None:
    unbound = SubjectData(MetaData(), service="x", purpose=P)
    with pytest.raises(RuntimeError, match="bind"):
        unbound.subject_key("p1")


def test_retention_and_kept_text_come_from_the_bound_settings() -> None:
    data.bind(ShopSettings(SecretStr("k" * 32), receipt_years=7, receipt_days=30))
    [receipts_entry] = [t for t in data.inventory() if t["table"] == "receipts"]
    assert receipts_entry["retention"]["years"] == 7  # not the declared default of 5
    assert receipts_entry["kept"] == "30 days after the purchase"


async def test_erasure_keeps_the_record_for_the_configured_years(database: Database) -> None:
    data.bind(ShopSettings(SecretStr("k" * 32), receipt_years=7, receipt_days=30))
    async with database.transaction() as s:
        await s.execute(receipts.insert().values(id="r1", person="p1", at=NOW))
        [report] = [t for t in await data.erase(s, "p1", now=NOW) if t.table == "receipts"]
    assert report.kept_until == "2033-12-03T00:00:00+00:00"


async def test_many_marks_announce_each_person_once(database: Database) -> None:
    data.bind(ShopSettings(SecretStr("k" * 32), receipt_years=7, receipt_days=30))
    async with database.transaction() as s:
        await data.record_personal_data(s, events, subject="p1", tenant="t")
    async with database.transaction() as s:
        batch = events.batch(tenant="t")
        await data.record_personal_data_many(s, batch, subjects=["p1", "p2", "p3", "p2"], now=NOW)
        assert len(batch) == 2  # p1 was already announced with these categories
        await batch.write(s)
        assert len(batch) == 0
    async with database.transaction() as s:
        marks = await s.scalar(select(func.count()).select_from(data.announced))
        rows = (await s.execute(select(events.outbox.c.type, events.outbox.c.body))).all()
    assert marks == 3
    announced = [body for kind, body in rows if kind == PERSONAL_DATA_RECORDED]
    assert len(announced) == 3
    assert sum('"subject":"p2"' in body for body in announced) == 1
