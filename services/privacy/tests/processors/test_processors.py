"""Processors (PR9): the EU/EEA rule, ISO codes, the three defaults written once (by a
migration, never by a read), and who keeps which entries: the platform's are in every
tenant's register, so only the platform administrator changes them (issue 14)."""

import sqlite3
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import Database
from kit.errors import Forbidden, Invalid, NotFound
from privacy.config import Settings
from privacy.models import Processor
from privacy.processors import repository
from privacy.processors import service as processors
from privacy.processors.models import ProcessorScope
from privacy.register import service as register
from services.privacy.tests.factories import make_principal

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
DEFAULTS = ["Hosting provider", "Email relay", "Payment provider"]


DPO_1, DPO_2 = make_principal("t-1", "dpo"), make_principal("t-2", "dpo")
ROOT = make_principal("t-1", "platform_admin")
ANALYTICS: dict[str, Any] = {
    "name": "Analytics Inc.",
    "role": "usage statistics",
    "data_categories": ["connection data"],
    "location": "us",
    "safeguard": "EU-US Data Privacy Framework (adequacy decision 2023/1795)",
}


def test_the_eu_and_the_eea_need_nothing_more() -> None:
    assert len(processors.EU_EEA) == 30  # the 27, Iceland, Liechtenstein, Norway
    for code in ("FR", "DE", "IE", "GR", "HR", "IS", "LI", "NO"):
        assert processors.check_location(code, None) == code
    assert processors.check_location(" fr ", None) == "FR"
    assert not processors.in_eea("CH") and not processors.in_eea("GB")


@pytest.mark.parametrize("code", ["US", "CH", "GB", "IN", "us"])
def test_elsewhere_needs_a_safeguard(code: str) -> None:
    for missing in (None, "", "   "):
        with pytest.raises(Invalid, match=r"outside the EU/EEA.*safeguard"):
            processors.check_location(code, missing)
    assert processors.check_location(code, "standard contractual clauses (2021/914)") == (
        code.upper()
    )


@pytest.mark.parametrize("code", ["ZZ", "UK", "EL", "XK", "F1", "  "])
def test_unknown_codes_are_refused(code: str) -> None:
    with pytest.raises(Invalid, match="ISO 3166"):
        processors.check_location(code, "standard contractual clauses")


async def names(db: AsyncSession, tenant_id: str) -> list[str]:
    page = await repository.page(db, tenant_id=tenant_id, cursor=None, limit=100)
    assert page.next_cursor is None
    return [p.name for p in page.items]


async def test_the_defaults_are_written_once_by_the_migration_never_by_a_read(
    database: Database,
) -> None:
    async with database.transaction() as db:
        first = (await repository.page(db, tenant_id="t-1", cursor=None, limit=100)).items
        assert [p.name for p in first] == DEFAULTS
        assert all(p.location == "FR" and p.safeguard is None for p in first)
        assert {processors.scope_of(p) for p in first} == {"platform"}
        assert await names(db, "t-2") == DEFAULTS  # the platform's: in every tenant's list
    async with database.transaction() as db:
        for default in first:
            await processors.remove(db, principal=ROOT, processor_id=default.id)
    for _ in range(2):  # an empty list stays empty: reading writes nothing
        async with database.transaction() as db:
            assert await names(db, "t-1") == []
            assert (await register.register(db, Settings(), NOW, tenant_id="t-1"))[
                "processors"
            ] == []
    async with database.transaction() as db:
        assert await db.scalar(select(func.count()).select_from(Processor)) == 0


def test_an_upgrade_keeps_the_list_the_first_reads_made(
    tmp_path: Path, migrate_to: Callable[[Path, str], None]
) -> None:
    """Before the migration wrote them, the first read did: a database that has any row had
    its defaults, and one removed since does not come back."""
    path = tmp_path / "old.db"
    migrate_to(path, "0005")
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.executemany(
            "INSERT INTO processors (id, name, role, data_categories, location, safeguard,"
            " created_at) VALUES (?, ?, 'r', '[\"c\"]', 'FR', NULL, '2026-11-27 12:00:00')",
            [("1653864a-5c9a-5fe6-901a-4c416227b37e", "Email relay"), ("x-1", "Backups Ltd")],
        )
    migrate_to(path, "head")
    with closing(sqlite3.connect(path)) as conn:
        rows = conn.execute("SELECT name, tenant_id FROM processors ORDER BY name").fetchall()
    assert rows == [("Backups Ltd", None), ("Email relay", None)]  # the platform's, as before


async def test_a_tenants_dpo_changes_only_their_own_tenants_register(
    database: Database,
) -> None:
    """The platform's processors are in every register: a DPO cannot add to them nor remove
    one (403); their own entries are their tenant's, invisible to another tenant (404)."""
    now = datetime.now(UTC)  # after the migration wrote the defaults: listed after them
    async with database.transaction() as db:
        hosting = (await repository.page(db, tenant_id="t-1", cursor=None, limit=1)).items[0]
        before = (await register.register(db, Settings(), now, tenant_id="t-2"))["processors"]
        with pytest.raises(Forbidden, match="platform administrator"):
            await processors.remove(db, principal=DPO_1, processor_id=hosting.id)
        with pytest.raises(Forbidden, match="platform administrator"):
            await processors.add(
                db, principal=DPO_1, scope=ProcessorScope.PLATFORM, **ANALYTICS, now=now
            )
        own = await processors.add(db, principal=DPO_1, scope=None, **ANALYTICS, now=now)
        assert processors.scope_of(own) == "tenant"
    async with database.transaction() as db:
        assert await names(db, "t-1") == [*DEFAULTS, "Analytics Inc."]
        assert await names(db, "t-2") == DEFAULTS
        one = await register.register(db, Settings(), now, tenant_id="t-1")
        two = await register.register(db, Settings(), now, tenant_id="t-2")
        assert two["processors"] == before  # nothing t-1's DPO did shows in t-2's register
        assert "Analytics Inc." in one["purposes"][0]["transfers_outside_eu"]
        assert two["purposes"][0]["transfers_outside_eu"].startswith("none")
        with pytest.raises(NotFound):  # another tenant's entry is no entry of theirs
            await processors.remove(db, principal=DPO_2, processor_id=own.id)
        with pytest.raises(Forbidden, match="DPO"):  # nor the platform admin's to keep
            await processors.remove(db, principal=ROOT, processor_id=own.id)
        with pytest.raises(Forbidden, match="DPO"):
            await processors.add(
                db, principal=ROOT, scope=ProcessorScope.TENANT, **ANALYTICS, now=now
            )
        await processors.remove(db, principal=DPO_1, processor_id=own.id)
    # The platform administrator changes every tenant's register.
    async with database.transaction() as db:
        cloud = await processors.add(db, principal=ROOT, scope=None, **ANALYTICS, now=now)
        assert processors.scope_of(cloud) == "platform"
    async with database.transaction() as db:
        for tenant in ("t-1", "t-2"):
            assert await names(db, tenant) == [*DEFAULTS, "Analytics Inc."]
        with pytest.raises(Forbidden):
            await processors.remove(db, principal=DPO_2, processor_id=cloud.id)
        await processors.remove(db, principal=ROOT, processor_id=cloud.id)
        assert await names(db, "t-2") == DEFAULTS


async def test_a_refused_processor_is_not_stored(database: Database) -> None:
    async with database.transaction() as db:
        with pytest.raises(Invalid):
            await processors.add(
                db,
                principal=DPO_1,
                scope=None,
                name="Cloud",
                role="hosting",
                data_categories=["everything"],
                location="US",
                safeguard=None,
                now=NOW,
            )
    async with database.transaction() as db:
        assert await names(db, "t-1") == DEFAULTS
