"""Test data of the identity service: plain functions with sensible defaults and keyword
overrides, and the few steps (a sign-in, the gateway's check) that make a session."""

import json
from datetime import UTC, datetime
from typing import Any

import pyotp
from sqlalchemy import select

from identity.accounts.models import User
from identity.base import events
from identity.context import Context
from identity.sessions.models import Session
from identity.sessions.service import mark_seen, verify_session
from identity.signin import service as signin
from identity.signin.service import LoginResult
from identity.tenants.models import Tenant
from kit.auth import Principal, StaticKeys, TokenVerifier
from kit.db import Database

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
PASSWORD = "Abcdefgh12!x"
WRONG = "wrong-Password-1"


def make_tenant(**overrides: Any) -> Tenant:
    """The tenant ``demo``."""
    return Tenant(**({"slug": "demo", "name": "Demo", "created_at": NOW} | overrides))


def make_user(tenant_id: str, email: str = "alice@demo.test", **overrides: Any) -> User:
    """An active employee, without a password unless given a ``password_hash``."""
    fields: dict[str, Any] = {
        "tenant_id": tenant_id,
        "email": email,
        "first_name": "Alice",
        "last_name": "Martin",
        "roles": ["employee"],
        "is_active": True,
        "created_at": NOW,
    }
    return User(**(fields | overrides))


def make_session(user_id: str, tenant_id: str, **overrides: Any) -> Session:
    """An open session of the account, started at ``NOW``."""
    fields: dict[str, Any] = {
        "user_id": user_id,
        "tenant_id": tenant_id,
        "token_hash": "h" * 64,
        "created_at": NOW,
    }
    return Session(**(fields | overrides))


async def add_tenant(database: Database, **overrides: Any) -> Tenant:
    async with database.transaction() as db:
        tenant = make_tenant(**overrides)
        db.add(tenant)
    return tenant


async def outbox(database: Database, type_: str) -> list[dict[str, Any]]:
    """The outbox's events of ``type_``: their envelope, and the routing key they go with."""
    async with database.transaction() as db:
        rows = await db.execute(select(events.outbox).where(events.outbox.c.type == type_))
        return [json.loads(r.body) | {"routing_key": r.routing_key} for r in rows]


async def add_user(database: Database, tenant_id: str, email: str, **overrides: Any) -> User:
    async with database.transaction() as db:
        user = make_user(tenant_id, email, **overrides)
        db.add(user)
    return user


# -- the steps that make a session -------------------------------------------------------------


async def login(
    database: Database,
    ctx: Context,
    password: str,
    *,
    email: str = "alice@demo.test",
    tenant: str = "demo",
    now: datetime = NOW,
    device: str | None = None,
) -> LoginResult:
    async with database.transaction() as db:
        return await signin.login(
            db, ctx, tenant=tenant, email=email, password=password, now=now, device_cookie=device
        )


async def verify(database: Database, ctx: Context, token: str, **kw: object) -> str:
    """The gateway's check of a request with the session ``token``: identity's own token."""
    args: dict[str, object] = {
        "method": "GET",
        "csrf": None,
        "origin": None,
        "fetch_site": None,
        "now": NOW,
        "audience": "identity",
    }
    args.update(kw)
    async with database.reading() as db:  # as the route: a read, then the activity's write
        issued, seen = await verify_session(db, ctx, token=token, **args)  # type: ignore[arg-type]
    if seen is not None:
        async with database.transaction() as db:
            await mark_seen(db, seen)
    return issued[str(args["audience"])]


async def principal_of(database: Database, ctx: Context, token: str) -> Principal:
    """Who the services see for this session: the gateway's check, then their verification."""
    internal = await verify(database, ctx, token)
    verifier = TokenVerifier(StaticKeys(ctx.keys.jwks), issuer="identity", audience="identity")
    return await verifier.verify(internal)


async def lock(database: Database, ctx: Context, *, now: datetime = NOW, **kw: object) -> None:
    """Enough wrong passwords, from a browser that never signed in, to lock the account."""
    for _ in range(ctx.settings.login_free_failures):
        assert (await login(database, ctx, WRONG, now=now, **kw)).retry_after is None  # type: ignore[arg-type]
    assert (await login(database, ctx, PASSWORD, now=now, **kw)).retry_after is not None  # type: ignore[arg-type]


async def enrol(database: Database, ctx: Context, user: User) -> pyotp.TOTP:
    """Two-factor login turned on for ``user``: their authenticator app."""
    secret = ctx.totp.new_secret()
    async with database.transaction() as db:
        found = await db.get(User, user.id)
        assert found is not None
        found.totp_secret = ctx.totp.seal(user.id, secret)
    return pyotp.TOTP(secret)
