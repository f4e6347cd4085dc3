"""The data-subject operations derived from declarations, on a toy schema (SQLite)."""

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import JSON, Boolean, Column, Date, ForeignKey, MetaData, String, Table, select

from kit.crypto import open_sealed, public_key_text
from kit.db import Database
from kit.events import Envelope, EventStore
from kit.privacy.declarations import (
    LegalBasis,
    Purpose,
    Retention,
    not_personal,
    personal,
    subject_table,
    unclassified,
)
from kit.privacy.participant import Participant
from kit.privacy.protocol import Action, seal_context
from kit.privacy.subject import SubjectData
from kit.settings import ServiceSettings

P, C = Purpose.ORDER_PROCESSING, LegalBasis.CONTRACT
metadata = MetaData()
events = EventStore(metadata, source="shop")
data = SubjectData(metadata, service="shop", purpose=P, key=b"k" * 32)
people = Table(
    "people",
    metadata,
    Column("id", String(36), primary_key=True, info=personal("id", P, C, provided=False)),
    Column("nick", String(50), unique=True, info=personal("identity", P, C)),
    Column("vip", Boolean, info=personal("status", P, C)),
    Column("tags", JSON, info=personal("tags", P, C)),
    info=subject_table("id"),
)
orders = Table(
    "orders",
    metadata,
    Column("id", String(36), primary_key=True, info=not_personal("random id")),
    Column("person", ForeignKey("people.id"), info=personal("buyer", P, C, retained=True)),
    Column("address", String(200), info=personal("address", P, C)),
    Column("bought", Date, info=personal("date", P, C, retained=True)),
    info=subject_table(
        "person",
        retention=Retention(5, "bought", LegalBasis.LEGAL_OBLIGATION, "Code de commerce L110-4"),
    ),
)
NOW = datetime(2026, 11, 27, tzinfo=UTC)


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}")
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.execute(
            people.insert(),
            [
                {"id": "p1", "nick": "ann", "vip": False, "tags": []},
                {"id": "p2", "nick": "bea", "vip": True, "tags": ["x"]},
            ],
        )
        await conn.execute(
            orders.insert(),
            [
                {"id": "o1", "person": "p1", "address": "1 rue A", "bought": date(2025, 2, 28)},
                {"id": "o2", "person": "p1", "address": "1 rue A", "bought": date(2019, 1, 1)},
                {"id": "o3", "person": "p2", "address": "2 rue B", "bought": date(2025, 1, 1)},
            ],
        )
    yield db
    await db.dispose()


def test_declarations_are_complete() -> None:
    assert unclassified(metadata) == []


async def test_erasure_keeps_only_the_legal_record_of_recent_orders(database: Database) -> None:
    async with database.transaction() as s:
        report = {t.table: t for t in await data.erase(s, "p1", now=NOW)}
    assert report["people"].erased_rows == 1
    assert report["orders"].erased_rows == 2 and report["orders"].kept_rows == 1
    assert report["orders"].kept_until == "2030-02-28T00:00:00+00:00"
    async with database.transaction() as s:
        archived = (await s.execute(select(data.archive.c.data))).scalars().all()
        left = (await s.execute(select(orders.c.id))).scalars().all()
    assert archived == ['{"person": "p1", "bought": "2025-02-28"}']  # no address
    assert left == ["o3"]  # the other person's order is untouched


async def test_rectification_takes_text_columns_only(database: Database) -> None:
    async with database.transaction() as s:
        result = await data.rectify(
            s, "p1", {"people": {"nick": " annie ", "vip": "yes", "tags": "oops", "id": "p9"}}
        )
    assert result == {
        "applied": ["people.nick"],
        "refused": ["people.id", "people.tags", "people.vip"],
    }


async def test_a_refused_change_is_answered_failed_and_changes_nothing(database: Database) -> None:
    participant = Participant(service="shop", subject_data=data, events=events)
    command = events.envelope(
        "dsr.command",
        payload={
            "request_id": "r1",
            "action": Action.RECTIFY.value,
            "subject": "p1",
            "corrections": {"shop": {"people": {"nick": "bea"}}},  # taken by someone else
        },
    )
    async with database.transaction() as s:
        await participant.handle(s, command)
    async with database.transaction() as s:
        body = (await s.execute(select(events.outbox.c.body))).scalars().one()
        nick = (await s.execute(select(people.c.nick).where(people.c.id == "p1"))).scalar()
    answer = Envelope.model_validate_json(body).payload
    assert answer["status"] == "failed" and answer["result"] == {"failed": "IntegrityError"}
    assert nick == "ann"


async def test_export_is_sealed_to_the_request_service_and_action(database: Database) -> None:
    """Sealed to privacy's key from the configuration; a key the command names is ignored (a
    stolen broker account cannot have someone's data sealed to itself)."""
    key, attacker = X25519PrivateKey.generate(), X25519PrivateKey.generate()
    participant = Participant(service="shop", subject_data=data, events=events)
    subscription = participant.subscription(ServiceSettings(privacy_seal_key=public_key_text(key)))
    assert subscription.senders == {"privacy"}
    command = events.envelope(
        "dsr.command",
        payload={
            "request_id": "r2",
            "action": "export",
            "subject": "p2",
            "seal_to": public_key_text(attacker),
        },
    )
    async with database.transaction() as s:
        await participant.handle(s, command)
    async with database.transaction() as s:
        body = (await s.execute(select(events.outbox.c.body))).scalars().one()
    sealed = Envelope.model_validate_json(body).payload["sealed"]
    assert '"bea"' not in body  # in clear; the sealed base64 may hold the letters by chance
    opened = open_sealed(key, sealed, context=seal_context("r2", "shop", "export"))
    assert b'"nick": "bea"' in opened and b"ann" not in opened
    with pytest.raises(InvalidTag):  # not for the key the command named
        open_sealed(attacker, sealed, context=seal_context("r2", "shop", "export"))
    with pytest.raises(InvalidTag):  # another service's context
        open_sealed(key, sealed, context=seal_context("r2", "other", "export"))
