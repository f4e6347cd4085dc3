"""A closed tenant (the client's contract ended, the privacy service closes it): nobody of it
signs in, its sessions end at once, its page is gone; and the client's admins are mailed by
role (a new sub-processor, a breach), the other tenants untouched."""

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from identity import handlers
from identity.accounts.models import User
from identity.context import Context
from identity.models import events
from identity.passwords import service as passwords
from identity.sessions.models import Session
from identity.tenants import service as tenants
from identity.tenants.models import Tenant
from kit.db import Database
from kit.errors import NotFound, Unauthenticated
from kit.events import Envelope
from kit.mail import MAIL
from kit.privacy.protocol import (
    ACCOUNT_MAIL,
    PERSONAL_DATA_RECORDED,
    TENANT_CLOSED,
    TENANT_CLOSING,
)
from services.identity.tests.factories import (
    PASSWORD,
    add_tenant,
    add_user,
    login,
    outbox,
    verify,
)


def closing(tenant_id: str, source: str = "privacy") -> Envelope:
    return Envelope(type=TENANT_CLOSING, source=source, tenant=tenant_id, payload={})


async def test_a_closed_tenant_signs_nobody_in_and_its_sessions_end(
    database: Database, ctx: Context, alice: User
) -> None:
    other = await add_tenant(database, slug="other", name="Other")
    await add_user(
        database,
        other.id,
        "carol@other.test",
        password_hash=ctx.passwords.hash(PASSWORD),
    )
    mine = await login(database, ctx, PASSWORD)
    theirs = await login(database, ctx, PASSWORD, email="carol@other.test", tenant="other")
    assert mine.session_token and theirs.session_token
    await verify(database, ctx, mine.session_token)

    async with database.transaction() as db:
        await handlers.close_tenant(db, closing(alice.tenant_id))
    async with database.transaction() as db:
        tenant = await db.get(Tenant, alice.tenant_id)
        assert tenant is not None and tenant.closed_at is not None
        sessions = (await db.scalars(select(Session).where(Session.user_id == alice.id))).all()
        assert sessions and all(s.revoked_at is not None for s in sessions)
        with pytest.raises(NotFound):
            await tenants.public_tenant(db, "demo")
        assert (await tenants.public_tenant(db, "other")).name == "Other"
    with pytest.raises(Unauthenticated):
        await verify(database, ctx, mine.session_token)
    refused = await login(database, ctx, PASSWORD)
    assert refused.session_token is None and refused.mfa_token is None
    # No reset link either: a closed tenant's people have no way back in.
    async with database.transaction() as db:
        await passwords.request_reset(
            db, ctx, tenant="demo", email=alice.email, now=datetime.now(UTC)
        )
    assert not [m for m in await outbox(database, MAIL) if "alice" in json.dumps(m)]
    # Another tenant: its people still sign in, their sessions still live.
    await verify(database, ctx, theirs.session_token)
    again = await login(database, ctx, PASSWORD, email="carol@other.test", tenant="other")
    assert again.session_token
    # Told twice (a repeated event): the same closure, the first date kept.
    async with database.transaction() as db:
        first = (await db.get(Tenant, alice.tenant_id)).closed_at  # type: ignore[union-attr]
        await handlers.close_tenant(db, closing(alice.tenant_id))
    async with database.transaction() as db:
        assert (await db.get(Tenant, alice.tenant_id)).closed_at == first  # type: ignore[union-attr]
    # Each time, identity answered with its accounts, each announced to the data map first.
    closed = [e for e in await outbox(database, TENANT_CLOSED) if e["tenant"] == alice.tenant_id]
    assert [(e["routing_key"], e["payload"]) for e in closed] == [
        ("tenant.closed.privacy", {"accounts": 1})
    ] * 2
    marks = await outbox(database, PERSONAL_DATA_RECORDED)
    assert alice.id in {m["subject"] for m in marks}
    # Only the privacy service closes tenants.
    assert handlers.tenant_subscription().senders == {"privacy"}
    assert handlers.tenant_subscription().bindings == ["tenant.closing.identity"]


async def test_a_tenants_admins_are_mailed_by_role(
    database: Database, ctx: Context, alice: User
) -> None:
    await add_user(database, alice.tenant_id, "admin@demo.test", roles=["tenant_admin", "dpo"])
    await add_user(
        database, alice.tenant_id, "gone@demo.test", roles=["tenant_admin"], is_active=False
    )
    await add_user(database, alice.tenant_id, "dpo@demo.test", roles=["dpo"])
    other = await add_tenant(database, slug="other", name="Other")
    await add_user(database, other.id, "admin@other.test", roles=["tenant_admin"])
    envelope = Envelope(
        type=ACCOUNT_MAIL,
        source="privacy",
        tenant=alice.tenant_id,
        payload={
            "subject": "A new sub-processor",
            "text": "SMS Ltd",
            "marketing": False,
            "recipients": [],
            "role": "tenant_admin",
        },
    )
    async with database.transaction() as db:
        await handlers.mail_accounts(db, envelope)
    async with database.transaction() as db:
        rows = await db.execute(select(events.outbox).where(events.outbox.c.type == MAIL))
        sent = [json.loads(r.body)["payload"] for r in rows]
    assert [m["to"] for m in sent] == ["admin@demo.test"]
    assert sent[0]["subject"] == "A new sub-processor"
