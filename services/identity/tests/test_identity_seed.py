"""The demo seed (``make run``): it keeps working on a database where imports have run."""

import pytest
from sqlalchemy import select

from identity import seed as seeding
from identity.accounts.models import User
from identity.config import Settings
from kit.db import Database
from kit.demo import demo_tenant_id
from services.identity.tests.factories import make_tenant, make_user


async def test_a_demo_number_taken_by_an_imported_person_stays_theirs(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = database.engine.url.render_as_string(hide_password=False)
    monkeypatch.setattr(
        seeding, "get_settings", lambda: settings.model_copy(update={"database_url": url})
    )
    tenant = make_tenant(id=demo_tenant_id("demo"))
    async with database.transaction() as db:
        db.add(tenant)
        await db.flush()
        db.add(make_user(tenant.id, email="imported@demo.test", employee_number="DEMO-0001"))
    await seeding.seed("Demo-Password-2026!")
    async with database.transaction() as db:
        rows = (await db.execute(select(User.email, User.employee_number))).all()
        numbers = {email: number for email, number in rows}
    assert numbers["imported@demo.test"] == "DEMO-0001"
    assert numbers["alice@demo.test"] is None  # the seed went on without it
    assert numbers["bob@demo.test"] == "DEMO-0002"
