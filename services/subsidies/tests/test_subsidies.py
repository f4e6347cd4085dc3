"""Grants within caps and budget, releases, bank details (validation, encryption bound to row
and field, masking, rotation), mandate lapse, k-anonymous statistics, retention on erasure."""

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from pydantic import SecretStr
from sqlalchemy import select

from kit.auth import Principal, Role
from kit.db import Database
from kit.errors import Conflict, Invalid
from kit.testing import sqlite_database
from subsidies import fields, service
from subsidies.config import Settings
from subsidies.models import Base, Budget, Grant, Mandate, Rule, subject_data
from subsidies.schemas import MandateIn
from subsidies.stats import k_anonymous

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
TENANT = "t-1"
IBAN = "FR76 3000 6000 0112 3456 7890 189"


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    async with sqlite_database(tmp_path, Base.metadata) as db:
        yield db


def person(user: str = "u-1", tenant: str = TENANT) -> Principal:
    return Principal(user, tenant, "demo", frozenset({Role.EMPLOYEE}), "s-1")


async def setup(database: Database, *, budget: int = 100_000, cap: int = 3000) -> None:
    async with database.transaction() as db:
        db.add(Budget(tenant_id=TENANT, year=NOW.year, amount_cents=budget, reserved_cents=0))
        db.add(
            Rule(
                tenant_id=TENANT,
                name="cinema 2+ children",
                offer_kind="ticket",
                min_children=2,
                amount_cents=300,
                cap_cents_per_year=cap,
                active=True,
                created_at=NOW,
            )
        )


async def order_grant(database: Database, user: str, order: str, quantity: int = 1) -> int:
    async with database.transaction() as db:
        return await service.grant(
            db,
            tenant_id=TENANT,
            user_id=user,
            lines=[service.LineIn("ticket", quantity, 750)],
            now=NOW,
            status="held",
            hold_until=NOW + timedelta(minutes=15),
            order_id=order,
        )


async def reserved(database: Database) -> int:
    async with database.transaction() as db:
        return int(await db.scalar(select(Budget.reserved_cents)) or 0)


async def test_the_rule_needs_its_condition_and_is_capped(database: Database) -> None:
    await setup(database, cap=1000)
    assert await order_grant(database, "u-1", "o-0") == 0  # no profile: 0 children
    async with database.transaction() as db:
        await service.set_profile(db, principal=person(), children_count=2, now=NOW)
    assert await order_grant(database, "u-1", "o-1", quantity=2) == 600
    assert await order_grant(database, "u-1", "o-1", quantity=2) == 600  # asked again: same
    assert await order_grant(database, "u-1", "o-2", quantity=3) == 400  # the cap's rest
    assert await order_grant(database, "u-1", "o-3") == 0
    assert await reserved(database) == 1000


async def test_the_budget_is_never_overspent(database: Database) -> None:
    await setup(database, budget=1000)
    for user in ("a", "b", "c", "d"):
        async with database.transaction() as db:
            await service.set_profile(db, principal=person(user), children_count=3, now=NOW)
    granted = [await order_grant(database, user, f"o-{user}") for user in ("a", "b", "c", "d")]
    assert granted == [300, 300, 300, 100]
    assert await reserved(database) == 1000


async def test_cancelled_orders_and_expired_holds_give_the_budget_back(
    database: Database,
) -> None:
    await setup(database)
    async with database.transaction() as db:
        await service.set_profile(db, principal=person(), children_count=2, now=NOW)
    await order_grant(database, "u-1", "o-1")
    await order_grant(database, "u-1", "o-2")
    assert await reserved(database) == 600
    async with database.transaction() as db:
        await service.on_order(db, event_type="order.placed", order_id="o-1")
        await service.on_order(db, event_type="order.cancelled", order_id="o-1")
        await service.on_order(db, event_type="order.cancelled", order_id="o-1")  # twice
    assert await reserved(database) == 300
    async with database.transaction() as db:
        assert await service.release_expired_holds(db, NOW + timedelta(minutes=14)) == 0
        assert await service.release_expired_holds(db, NOW + timedelta(minutes=16)) == 1
    assert await reserved(database) == 0


@pytest.mark.parametrize(
    "iban,bic",
    [
        ("FR76 3000 6000 0112 3456 7890 188", "BNPAFRPP"),  # checksum
        ("FR76 3000 6000 0112 3456 7890", "BNPAFRPP"),  # length
        ("not an iban", "BNPAFRPP"),
        (IBAN, "BNP"),
        (IBAN, "BNPAFRPP1"),
    ],
)
async def test_bad_bank_details_are_refused_without_quoting_them(
    database: Database, iban: str, bic: str
) -> None:
    async with database.transaction() as db:
        with pytest.raises(Invalid) as refused:
            await service.add_mandate(
                db,
                principal=person(),
                data=MandateIn(holder="Ann Lee", iban=iban, bic=bic),
                now=NOW,
            )
    assert iban.replace(" ", "")[4:] not in str(refused.value.detail)
    async with database.transaction() as db:
        assert (await db.scalars(select(Mandate))).all() == []


async def test_bank_details_are_encrypted_bound_to_row_and_field_and_masked(
    database: Database,
) -> None:
    async with database.transaction() as db:
        first = await service.add_mandate(
            db,
            principal=person(),
            data=MandateIn(holder="Ann Lee", iban=IBAN, bic="bnpafrpp"),
            now=NOW,
        )
        second = await service.add_mandate(
            db,
            principal=person(),
            data=MandateIn(holder="Ann Lee", iban=IBAN, bic="BNPAFRPP"),
            now=NOW,
        )
        shown = service.masked(first)
    assert shown == {"holder": "A. L.", "iban": "FR76 **** **** 0189", "bic": "BNPA****"}
    assert first.iban.startswith("k1:") and first.iban.isascii()  # text any database stores
    assert "30006000011234567890" not in first.iban
    assert first.iban != second.iban  # a fresh nonce each time
    cipher = fields.field_cipher(Settings())
    with pytest.raises(InvalidTag):  # another row's ciphertext does not open here
        fields.decrypt(cipher, "mandates", first.id, "iban", second.iban)
    with pytest.raises(InvalidTag):  # nor another field's
        fields.decrypt(cipher, "mandates", first.id, "iban", first.bic)
    async with database.transaction() as db:
        exported = await subject_data.export(db, "u-1")
    assert {m["iban"] for m in exported["mandates"]} == {IBAN.replace(" ", "")}


async def test_key_rotation_re_encrypts_every_mandate_without_losing_one(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with database.transaction() as db:
        await service.add_mandate(
            db,
            principal=person(),
            data=MandateIn(holder="Ann Lee", iban=IBAN, bic="BNPAFRPP"),
            now=NOW,
        )
    rotated = Settings(
        field_key=SecretStr("a new key"),
        field_key_id="k2",
        retired_field_keys={"k1": Settings().field_key},
    )
    monkeypatch.setattr(service, "cipher", fields.field_cipher(rotated))
    async with database.transaction() as db:
        assert await service.rotate_batch(db, NOW) == 1
    async with database.transaction() as db:
        assert await service.rotate_batch(db, NOW) == 0
        mandate = (await db.scalars(select(Mandate))).one()
        assert mandate.iban.startswith("k2:") and mandate.holder.startswith("k2:")
        assert service.masked(mandate)["iban"] == "FR76 **** **** 0189"


async def test_a_mandate_unused_for_36_months_lapses(database: Database) -> None:
    async with database.transaction() as db:
        mandate = await service.add_mandate(
            db,
            principal=person(),
            data=MandateIn(holder="Ann Lee", iban=IBAN, bic="BNPAFRPP"),
            now=NOW,
        )
        mandate.last_collection_at = NOW
    lapse = service.lapse_job(Settings())
    async with database.transaction() as db:
        assert await lapse(db, NOW + timedelta(days=35 * 30)) == 0
        assert await lapse(db, NOW + timedelta(days=37 * 30)) == 1
        assert (await db.scalars(select(Mandate.status))).one() == "lapsed"


async def test_erasure_keeps_a_used_mandate_13_months_encrypted(database: Database) -> None:
    async with database.transaction() as db:
        used = await service.add_mandate(
            db,
            principal=person(),
            data=MandateIn(holder="Ann Lee", iban=IBAN, bic="BNPAFRPP"),
            now=NOW,
        )
        used.last_collection_at = NOW
        await service.add_mandate(  # never used: nothing the law needs
            db,
            principal=person(),
            data=MandateIn(holder="Ann Lee", iban=IBAN, bic="BNPAFRPP"),
            now=NOW,
        )
    async with database.transaction() as db:
        report = {
            t.table: t for t in await subject_data.erase(db, "u-1", now=NOW + timedelta(days=1))
        }
        archived = (await db.execute(select(subject_data.archive.c.data))).scalars().all()
    assert report["mandates"].erased_rows == 2 and report["mandates"].kept_rows == 1
    assert (
        report["mandates"].kept_until == (NOW.replace(year=2027) + timedelta(days=31)).isoformat()
    )
    assert "0189" not in archived[0] and '"iban": "k1:' in archived[0]


def test_statistics_never_single_anyone_out() -> None:
    """Whatever the data, every shown group has at least k people, every use is shown once,
    and with fewer than k people in all nothing is shown."""
    rng = random.Random(7)
    k = 5
    for _ in range(500):
        labels = [f"g{i}" for i in range(rng.randint(1, 6))]
        people = [f"p{i}" for i in range(rng.randint(0, 30))]
        groups: dict[str, list[tuple[str, int]]] = {}
        for who in people:
            for _ in range(rng.randint(1, 3)):
                groups.setdefault(rng.choice(labels), []).append((who, rng.randint(1, 500)))
        cells, _merged = k_anonymous(groups, k)
        assert all(cell.people >= k for cell in cells)
        everyone = {p for uses in groups.values() for p, _ in uses}
        if len(everyone) < k:
            assert cells == []
        elif cells:
            assert sum(c.uses for c in cells) == sum(len(u) for u in groups.values())


def test_a_small_group_is_merged_not_shown() -> None:
    groups = {
        "ticket": [(f"p{i}", 300) for i in range(8)],
        "activity": [("lonely", 2000)],
    }
    cells, merged = k_anonymous(groups, 5)
    assert [c.label for c in cells] == ["other"] and merged == 2
    assert cells[0].people == 9


async def test_budget_cannot_drop_below_what_is_granted(database: Database) -> None:
    await setup(database)
    async with database.transaction() as db:
        await service.set_profile(db, principal=person(), children_count=2, now=NOW)
    await order_grant(database, "u-1", "o-1")
    admin = Principal("adm", TENANT, "demo", frozenset({Role.TENANT_ADMIN}), "s-2")
    async with database.transaction() as db:
        with pytest.raises(Conflict):
            await service.set_budget(db, principal=admin, year=NOW.year, amount_cents=100)
    async with database.transaction() as db:
        grants = (await db.scalars(select(Grant))).all()
    assert [g.amount_cents for g in grants] == [300]


async def test_statistics_leave_out_restricted_people(database: Database) -> None:
    await setup(database, budget=1_000_000)
    for i in range(6):
        async with database.transaction() as db:
            await service.set_profile(db, principal=person(f"p{i}"), children_count=2, now=NOW)
        await order_grant(database, f"p{i}", f"o{i}")
        async with database.transaction() as db:
            await service.on_order(db, event_type="order.placed", order_id=f"o{i}")
    admin = Principal("adm", TENANT, "demo", frozenset({Role.TENANT_ADMIN}), "s-2")
    async with database.transaction() as db:
        cells, _ = await service.statistics(db, principal=admin, by="kind", year=NOW.year, k=5)
        assert [(c.label, c.people) for c in cells] == [("ticket", 6)]
        await subject_data.restrict(db, "p0", request_id="r-1", now=NOW)
        await subject_data.restrict(db, "p1", request_id="r-2", now=NOW)
        cells, _ = await service.statistics(db, principal=admin, by="kind", year=NOW.year, k=5)
    assert cells == []  # four people left: fewer than k, nothing shown
