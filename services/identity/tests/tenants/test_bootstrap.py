"""``python -m identity.bootstrap``: a new client's tenant and its first administrator."""

import pytest
from sqlalchemy import func, select

from identity.accounts.models import User
from identity.bootstrap import Refused, bootstrap, main
from identity.context import Context
from identity.models import events
from identity.tenants.models import Tenant
from kit.auth import Role
from kit.db import Database

PASSWORD = "Correct-Horse-Battery-2026"


async def run(database: Database, ctx: Context, **overrides: str) -> str:
    fields = {
        "slug": "acme",
        "name": "Acme works council",
        "domain": "acme.example",
        "email": "ada@acme.example",
        "password": PASSWORD,
    } | overrides
    return await bootstrap(database, ctx.passwords, **fields)


async def counts(database: Database) -> tuple[int, int, int]:
    async with database.transaction() as db:
        return (
            int(await db.scalar(select(func.count()).select_from(Tenant)) or 0),
            int(await db.scalar(select(func.count()).select_from(User)) or 0),
            int(await db.scalar(select(func.count()).select_from(events.outbox)) or 0),
        )


async def test_the_tenant_and_its_administrator_are_made_once(
    database: Database, ctx: Context
) -> None:
    admin_id = await run(database, ctx)
    async with database.transaction() as db:
        admin = await db.get(User, admin_id)
        assert admin is not None
        tenant = await db.get(Tenant, admin.tenant_id)
    assert tenant is not None and tenant.slug == "acme"
    assert tenant.email_domains == ["acme.example"]
    assert admin.roles == [Role.TENANT_ADMIN] and admin.is_active
    assert ctx.passwords.verify(admin.password_hash or "", PASSWORD)
    assert admin.totp_secret is None  # the second factor is enrolled at the first sign-in
    assert await counts(database) == (1, 1, 1)  # and the data map hears of the account
    with pytest.raises(Refused, match="exists already"):
        await run(database, ctx, email="bob@acme.example")
    assert await counts(database) == (1, 1, 1)


async def test_a_weak_password_is_refused_and_nothing_is_written(
    database: Database, ctx: Context
) -> None:
    with pytest.raises(Refused):
        await run(database, ctx, password="short")
    assert await counts(database) == (0, 0, 0)


def test_bad_input_exits_2_before_touching_anything(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["Not A Slug!", "Acme", "acme.example", "ada@acme.example"])
    assert exit_.value.code == 2
    assert "refused" in capsys.readouterr().err
