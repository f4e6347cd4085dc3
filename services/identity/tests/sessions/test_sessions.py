"""Session verification (the gateway's check), expiry, CSRF, logout, idle staff sessions and
the housekeeping of ended sessions, on a real (SQLite) database."""

from datetime import timedelta

import pytest

from identity.accounts.models import User
from identity.context import Context
from identity.jobs import purge_expired
from identity.main import ROUTERS
from identity.sessions import service as sessions
from identity.sessions.service import verify_session
from kit.auth import StaticKeys, TokenVerifier
from kit.db import Database
from kit.errors import Forbidden, Unauthenticated
from services.identity.tests.factories import NOW, PASSWORD, login, verify


async def test_the_gateways_check_gives_each_service_a_token_only_it_accepts(
    database: Database, ctx: Context, alice: User
) -> None:
    session = (await login(database, ctx, PASSWORD)).session_token
    assert session
    async with database.reading() as db:
        issued, _ = await verify_session(
            db, ctx, token=session, method="GET", csrf=None, origin=None, fetch_site=None, now=NOW
        )
    assert set(issued) == set(ctx.settings.audiences)
    for audience, token in issued.items():
        for verifier_audience in ctx.settings.audiences:
            verifier = TokenVerifier(
                StaticKeys(ctx.keys.jwks), issuer="identity", audience=verifier_audience
            )
            if verifier_audience == audience:
                assert (await verifier.verify(token)).user_id == alice.id
            else:
                with pytest.raises(Unauthenticated):
                    await verifier.verify(token)


async def test_login_then_verify_gives_a_token_for_the_user(
    database: Database, ctx: Context, alice: User
) -> None:
    result = await login(database, ctx, PASSWORD)
    assert result.session_token and result.csrf_token
    internal = await verify(database, ctx, result.session_token)
    principal = await TokenVerifier(
        StaticKeys(ctx.keys.jwks), issuer="identity", audience="identity"
    ).verify(internal)
    assert principal.user_id == alice.id and principal.tenant == "demo"


async def test_session_expires_after_24_hours(
    database: Database, ctx: Context, alice: User
) -> None:
    token = (await login(database, ctx, PASSWORD)).session_token
    assert token
    await verify(database, ctx, token, now=NOW + timedelta(hours=23, minutes=59))
    with pytest.raises(Unauthenticated):
        await verify(database, ctx, token, now=NOW + timedelta(hours=24, seconds=1))


async def test_unsafe_request_needs_the_csrf_token_of_its_session(
    database: Database, ctx: Context, alice: User
) -> None:
    first = await login(database, ctx, PASSWORD)
    second = await login(database, ctx, PASSWORD)
    assert first.session_token and first.csrf_token and second.csrf_token
    with pytest.raises(Forbidden):
        await verify(database, ctx, first.session_token, method="POST")
    with pytest.raises(Forbidden):
        await verify(database, ctx, first.session_token, method="POST", csrf=second.csrf_token)
    with pytest.raises(Forbidden):
        await verify(
            database,
            ctx,
            first.session_token,
            method="POST",
            csrf=first.csrf_token,
            origin="https://evil.example",
        )
    with pytest.raises(Forbidden):
        await verify(
            database,
            ctx,
            first.session_token,
            method="DELETE",
            csrf=first.csrf_token,
            fetch_site="cross-site",
        )
    await verify(
        database,
        ctx,
        first.session_token,
        method="POST",
        csrf=first.csrf_token,
        origin="https://localhost:8443",
        fetch_site="same-origin",
    )


async def test_logout_revokes_only_that_session(
    database: Database, ctx: Context, alice: User
) -> None:
    one = (await login(database, ctx, PASSWORD)).session_token
    two = (await login(database, ctx, PASSWORD)).session_token
    assert one and two
    internal = await verify(database, ctx, one)
    principal = await TokenVerifier(
        StaticKeys(ctx.keys.jwks), issuer="identity", audience="identity"
    ).verify(internal)
    async with database.transaction() as db:
        await sessions.logout(db, principal=principal, now=NOW)
    with pytest.raises(Unauthenticated):
        await verify(database, ctx, one)
    await verify(database, ctx, two)


async def test_housekeeping_deletes_only_ended_sessions(
    database: Database, ctx: Context, alice: User
) -> None:
    live = (await login(database, ctx, PASSWORD)).session_token
    ended = (await login(database, ctx, PASSWORD)).session_token
    await login(database, ctx, "wrong-Password-1", email="nobody@demo.test")
    assert live and ended
    internal = await verify(database, ctx, ended)
    principal = await TokenVerifier(
        StaticKeys(ctx.keys.jwks), issuer="identity", audience="identity"
    ).verify(internal)
    async with database.transaction() as db:
        await sessions.logout(db, principal=principal, now=NOW)
    async with database.transaction() as db:
        assert await purge_expired(db, now=NOW + timedelta(hours=1)) == (0, 0)
    async with database.transaction() as db:
        assert await purge_expired(db, now=NOW + timedelta(days=1, hours=1)) == (1, 1)
    await verify(database, ctx, live, now=NOW + timedelta(hours=23))


async def test_a_staff_session_ends_after_30_idle_minutes_an_employees_does_not(
    database: Database, ctx: Context, alice: User
) -> None:
    token = (await login(database, ctx, PASSWORD)).session_token
    assert token
    idle = NOW + timedelta(minutes=ctx.settings.staff_idle_minutes + 1)
    await verify(database, ctx, token, now=idle)  # an employee: still in
    async with database.transaction() as db:
        found = await db.get(User, alice.id)
        assert found is not None
        found.roles = ["employee", "dpo"]
    later = idle + timedelta(minutes=20)  # 20 minutes after the last request: still in
    await verify(database, ctx, token, now=later)
    with pytest.raises(Unauthenticated):
        await verify(database, ctx, token, now=later + timedelta(minutes=31))


def test_the_session_check_is_the_first_route_tried() -> None:
    """The gateway's check runs before nearly every request of the platform: FastAPI tries
    the routers in order, so its router comes first (docs/performance.md)."""
    assert [getattr(route, "path", None) for route in ROUTERS[0].routes] == ["/internal/verify"]
