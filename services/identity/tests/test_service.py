"""Login, backoff, session verification and revocation on a real (SQLite) database."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select

from identity import links, mfa, service
from identity.config import Settings
from identity.keys import SigningKeys
from identity.models import Base, RecoveryCode, Tenant, User
from identity.passwords import Passwords
from identity.service import Identity
from kit.auth import Principal, StaticKeys, TokenVerifier
from kit.db import Database
from kit.errors import BadRequest, Forbidden, Unauthenticated
from kit.security import SECURITY_EVENTS
from kit.testing import sqlite_database

PASSWORD = "Abcdefgh12!x"
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    async with sqlite_database(tmp_path, Base.metadata) as db:
        yield db


@pytest.fixture
def ctx(tmp_path: Path) -> Identity:
    settings = Settings(var_dir=tmp_path, public_origins=["https://localhost:8443"])
    assert settings.keys_dir is not None
    keys = SigningKeys(settings.keys_dir)
    keys.ensure()
    return Identity(settings=settings, passwords=Passwords(memory_kib=8192, time_cost=1), keys=keys)


@pytest.fixture
async def alice(database: Database, ctx: Identity) -> User:
    async with database.transaction() as db:
        tenant = Tenant(slug="demo", name="Demo", created_at=NOW)
        db.add(tenant)
        await db.flush()
        user = User(
            tenant_id=tenant.id,
            email="alice@demo.test",
            first_name="Alice",
            last_name="Martin",
            roles=["employee"],
            password_hash=ctx.passwords.hash(PASSWORD),
            is_active=True,
            created_at=NOW,
        )
        db.add(user)
    return user


async def login(
    database: Database,
    ctx: Identity,
    password: str,
    *,
    email: str = "alice@demo.test",
    tenant: str = "demo",
    now: datetime = NOW,
    device: str | None = None,
) -> service.LoginResult:
    async with database.transaction() as db:
        return await service.login(
            db, ctx, tenant=tenant, email=email, password=password, now=now, device_cookie=device
        )


async def verify(database: Database, ctx: Identity, token: str, **kw: object) -> str:
    args: dict[str, object] = {
        "method": "GET",
        "csrf": None,
        "origin": None,
        "fetch_site": None,
        "now": NOW,
        "audience": "identity",
    }
    args.update(kw)
    async with database.transaction() as db:
        issued = await service.verify_session(db, ctx, token=token, **args)  # type: ignore[arg-type]
    return issued[str(args["audience"])]


async def test_the_gateways_check_gives_each_service_a_token_only_it_accepts(
    database: Database, ctx: Identity, alice: User
) -> None:
    session = (await login(database, ctx, PASSWORD)).session_token
    assert session
    async with database.transaction() as db:
        issued = await service.verify_session(
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


async def principal_of(database: Database, ctx: Identity, token: str) -> Principal:
    """Who the services see for this session: the gateway's check, then their verification."""
    internal = await verify(database, ctx, token)
    verifier = TokenVerifier(StaticKeys(ctx.keys.jwks), issuer="identity", audience="identity")
    return await verifier.verify(internal)


async def test_login_then_verify_gives_a_token_for_the_user(
    database: Database, ctx: Identity, alice: User
) -> None:
    result = await login(database, ctx, PASSWORD)
    assert result.session_token and result.csrf_token
    internal = await verify(database, ctx, result.session_token)
    principal = await TokenVerifier(
        StaticKeys(ctx.keys.jwks), issuer="identity", audience="identity"
    ).verify(internal)
    assert principal.user_id == alice.id and principal.tenant == "demo"


async def test_failures_look_the_same_for_unknown_accounts(
    database: Database, ctx: Identity, alice: User
) -> None:
    assert await login(database, ctx, "wrong-Password-1") == service.LoginResult()
    assert await login(database, ctx, PASSWORD, email="nobody@demo.test") == service.LoginResult()
    assert await login(database, ctx, PASSWORD, tenant="other") == service.LoginResult()


async def test_repeated_failures_back_off_known_and_unknown_alike(
    database: Database, ctx: Identity, alice: User
) -> None:
    for email in ("alice@demo.test", "nobody@demo.test"):
        for _ in range(ctx.settings.login_free_failures):
            assert (await login(database, ctx, "wrong-Password-1", email=email)).retry_after is None
        locked = await login(database, ctx, PASSWORD, email=email)
        assert locked.retry_after is not None and locked.session_token is None
    later = await login(database, ctx, PASSWORD, now=NOW + timedelta(minutes=20))
    assert later.session_token is not None


async def test_session_expires_after_24_hours(
    database: Database, ctx: Identity, alice: User
) -> None:
    token = (await login(database, ctx, PASSWORD)).session_token
    assert token
    await verify(database, ctx, token, now=NOW + timedelta(hours=23, minutes=59))
    with pytest.raises(Unauthenticated):
        await verify(database, ctx, token, now=NOW + timedelta(hours=24, seconds=1))


async def test_unsafe_request_needs_the_csrf_token_of_its_session(
    database: Database, ctx: Identity, alice: User
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


async def test_password_change_revokes_every_session(
    database: Database, ctx: Identity, alice: User
) -> None:
    tokens = [(await login(database, ctx, PASSWORD)).session_token for _ in range(2)]
    principal = Principal(alice.id, alice.tenant_id, "demo", frozenset({"employee"}), "s")
    async with database.transaction() as db:
        new_token = await service.change_password(
            db, ctx, principal=principal, current=PASSWORD, new="Zyxwvut98765?", now=NOW
        )
    for token in tokens:
        assert token
        with pytest.raises(Unauthenticated):
            await verify(database, ctx, token)
    await verify(database, ctx, new_token)
    async with database.transaction() as db:
        changed = await db.scalar(select(User.password_changed_at).where(User.id == alice.id))
    assert changed == NOW


async def test_logout_revokes_only_that_session(
    database: Database, ctx: Identity, alice: User
) -> None:
    one = (await login(database, ctx, PASSWORD)).session_token
    two = (await login(database, ctx, PASSWORD)).session_token
    assert one and two
    internal = await verify(database, ctx, one)
    principal = await TokenVerifier(
        StaticKeys(ctx.keys.jwks), issuer="identity", audience="identity"
    ).verify(internal)
    async with database.transaction() as db:
        await service.logout(db, principal=principal, now=NOW)
    with pytest.raises(Unauthenticated):
        await verify(database, ctx, one)
    await verify(database, ctx, two)


async def test_housekeeping_deletes_only_ended_sessions(
    database: Database, ctx: Identity, alice: User
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
        await service.logout(db, principal=principal, now=NOW)
    async with database.transaction() as db:
        assert await service.purge_expired(db, now=NOW + timedelta(hours=1)) == (0, 0)
    async with database.transaction() as db:
        assert await service.purge_expired(db, now=NOW + timedelta(days=1, hours=1)) == (1, 1)
    await verify(database, ctx, live, now=NOW + timedelta(hours=23))


async def test_parallel_failures_all_count_and_lock(
    database: Database, ctx: Identity, alice: User
) -> None:
    results = await asyncio.gather(*(login(database, ctx, "wrong-Password-1") for _ in range(8)))
    assert all(r.session_token is None for r in results)
    locked = await login(database, ctx, PASSWORD)
    assert locked.retry_after is not None  # 8 parallel failures are 8 failures, not 1


async def test_failures_are_forgotten_after_an_idle_hour(
    database: Database, ctx: Identity, alice: User
) -> None:
    for _ in range(ctx.settings.login_free_failures - 1):
        await login(database, ctx, "wrong-Password-1")
    later = NOW + timedelta(seconds=ctx.settings.login_forget_seconds + 1)
    one_more = await login(database, ctx, "wrong-Password-1", now=later)
    assert one_more.retry_after is None
    assert (await login(database, ctx, PASSWORD, now=later)).session_token  # not locked


# -- the account's lock, device cookies, second-step failures, resets (issue 14) --------------

WRONG = "wrong-Password-1"


async def lock(database: Database, ctx: Identity, *, now: datetime = NOW, **kw: object) -> None:
    """Enough wrong passwords, from a browser that never signed in, to lock the account."""
    for _ in range(ctx.settings.login_free_failures):
        assert (await login(database, ctx, WRONG, now=now, **kw)).retry_after is None  # type: ignore[arg-type]
    assert (await login(database, ctx, PASSWORD, now=now, **kw)).retry_after is not None  # type: ignore[arg-type]


async def new_user(database: Database, ctx: Identity, email: str, tenant_id: str) -> User:
    async with database.transaction() as db:
        user = User(
            tenant_id=tenant_id,
            email=email,
            first_name="Bob",
            last_name="Martin",
            roles=["employee"],
            password_hash=ctx.passwords.hash(PASSWORD),
            is_active=True,
            created_at=NOW,
        )
        db.add(user)
    return user


async def test_the_wait_grows_with_each_failure_past_the_free_ones(
    database: Database, ctx: Identity, alice: User
) -> None:
    now, waits = NOW, []
    for _ in range(ctx.settings.login_free_failures - 1):
        await login(database, ctx, WRONG, now=now)
    for _ in range(4):
        assert (await login(database, ctx, WRONG, now=now)).retry_after is None
        wait = (await login(database, ctx, PASSWORD, now=now)).retry_after
        assert wait is not None
        waits.append(wait)
        now += timedelta(seconds=wait)  # waited it out: the next failure locks for longer
    assert waits == [2, 3, 5, 9]  # 1 s, 2 s, 4 s, 8 s (rounded up, plus one)
    assert (await login(database, ctx, PASSWORD, now=now)).session_token


async def test_a_browser_that_signed_in_still_gets_in_while_the_account_is_locked(
    database: Database, ctx: Identity, alice: User
) -> None:
    owner = (await login(database, ctx, PASSWORD)).device_cookie
    assert owner
    await lock(database, ctx)
    signed_in = await login(database, ctx, PASSWORD, device=owner)
    assert signed_in.session_token and signed_in.retry_after is None
    # The owner getting in does not lift the lock for the guesser.
    assert (await login(database, ctx, PASSWORD)).retry_after is not None
    assert (await login(database, ctx, WRONG)).retry_after is not None


async def test_a_device_token_counts_its_own_failures_then_is_distrusted(
    database: Database, ctx: Identity, alice: User
) -> None:
    stolen = (await login(database, ctx, PASSWORD)).device_cookie
    await lock(database, ctx)
    for _ in range(ctx.settings.login_free_failures):
        failed = await login(database, ctx, WRONG, device=stolen)
        assert failed.retry_after is None and failed.session_token is None
    # Its own counter is locked now, and the account's too: the token is worth nothing more.
    assert (await login(database, ctx, PASSWORD, device=stolen)).retry_after is not None
    # Another browser of the owner is not affected by the stolen token's failures.
    other = ctx.devices.issue(alice.id, NOW)
    assert (await login(database, ctx, PASSWORD, device=other)).session_token


async def test_forged_expired_and_other_accounts_device_cookies_change_nothing(
    database: Database, ctx: Identity, alice: User
) -> None:
    bob = await new_user(database, ctx, "bob@demo.test", alice.tenant_id)
    bobs = (await login(database, ctx, PASSWORD, email=bob.email)).device_cookie
    alices = (await login(database, ctx, PASSWORD)).device_cookie
    assert bobs and alices
    await lock(database, ctx)
    user_id, nonce, expires, signature = alices.split(".")
    forged = [
        bobs,  # another account's
        f"{user_id}.{nonce}.{int(expires) + 10**6}.{signature}",  # a longer life, same signature
        f"{user_id}.{nonce}.{expires}.{signature[:-2]}AA",
        "garbage",
        "~".join(["x"] * 2000),
    ]
    for cookie in forged:
        assert (await login(database, ctx, PASSWORD, device=cookie)).retry_after is not None
    expired = NOW + timedelta(days=ctx.settings.device_days, seconds=1)
    await lock(database, ctx, now=expired)
    assert (await login(database, ctx, PASSWORD, device=alices, now=expired)).retry_after


async def test_a_device_cookie_remembers_the_last_five_accounts(
    database: Database, ctx: Identity, alice: User
) -> None:
    cookie: str | None = None
    users = [await new_user(database, ctx, f"u{i}@demo.test", alice.tenant_id) for i in range(6)]
    for user in users:
        cookie = (
            await login(database, ctx, PASSWORD, email=user.email, device=cookie)
        ).device_cookie
    held = [t.user_id for t in ctx.devices.read(cookie, NOW)]
    assert held == [u.id for u in reversed(users[1:])]  # newest first, the oldest gone


async def enrol(database: Database, ctx: Identity, user: User) -> pyotp.TOTP:
    secret = ctx.totp.new_secret()
    async with database.transaction() as db:
        found = await db.get(User, user.id)
        assert found is not None
        found.totp_secret = ctx.totp.seal(user.id, secret)
    return pyotp.TOTP(secret)


async def code(database: Database, ctx: Identity, token: str, value: str) -> service.LoginResult:
    async with database.transaction() as db:
        return await service.second_step(db, ctx, mfa_token=token, code=value, now=NOW)


def wrong_code(totp: pyotp.TOTP) -> str:
    right = {totp.at(NOW + timedelta(seconds=s)) for s in (-30, 0, 30)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in right)


async def test_wrong_second_step_codes_count_against_the_account(
    database: Database, ctx: Identity, alice: User
) -> None:
    totp = await enrol(database, ctx, alice)
    wrong = wrong_code(totp)
    first = (await login(database, ctx, PASSWORD)).mfa_token
    assert first
    for _ in range(ctx.settings.login_free_failures - 1):
        assert (await code(database, ctx, first, wrong)).session_token is None
    # The right password again does not wipe the count of wrong codes.
    second = (await login(database, ctx, PASSWORD)).mfa_token
    assert second
    assert (await code(database, ctx, first, wrong)).retry_after is None  # the fifth: locked
    assert (await code(database, ctx, second, totp.at(NOW))).retry_after is not None
    assert (await login(database, ctx, PASSWORD)).retry_after is not None


async def test_a_trusted_browsers_wrong_codes_count_against_its_token(
    database: Database, ctx: Identity, alice: User
) -> None:
    totp = await enrol(database, ctx, alice)
    pending = (await login(database, ctx, PASSWORD)).mfa_token
    assert pending
    owner = (await code(database, ctx, pending, totp.at(NOW))).device_cookie
    await lock(database, ctx)
    again = (await login(database, ctx, PASSWORD, device=owner)).mfa_token
    assert again
    for _ in range(ctx.settings.mfa_attempts - 1):
        assert (await code(database, ctx, again, wrong_code(totp))).retry_after is None
    # Four wrong codes on the owner's token; the account's lock was never what judged them.
    later = NOW + timedelta(seconds=31)
    async with database.transaction() as db:
        done = await service.second_step(db, ctx, mfa_token=again, code=totp.at(later), now=later)
    assert done.session_token


async def test_a_completed_reset_forgets_the_failures_and_trusts_the_browser(
    database: Database, ctx: Identity, alice: User
) -> None:
    await lock(database, ctx)
    async with database.transaction() as db:
        user = await db.get(User, alice.id)
        assert user is not None
        link = await links.issue(db, ctx.settings, user=user, purpose=links.RESET, now=NOW)
    async with database.transaction() as db:
        cookie = await service.confirm_reset(db, ctx, token=link, password="Zyxwvut98765?", now=NOW)
    assert [t.user_id for t in ctx.devices.read(cookie, NOW)] == [alice.id]
    assert (await login(database, ctx, "Zyxwvut98765?")).session_token  # no lock left
    with pytest.raises(BadRequest):
        async with database.transaction() as db:
            await service.confirm_reset(db, ctx, token=link, password="Zyxwvut98765?", now=NOW)


async def test_recovery_codes_hold_120_bits_and_each_is_spent_once_even_in_parallel(
    database: Database, ctx: Identity, alice: User
) -> None:
    codes = mfa.new_recovery_codes()
    assert len(codes) == mfa.RECOVERY_CODES and len(set(codes)) == len(codes)
    bits = len(mfa.RECOVERY_ALPHABET).bit_length() - 1
    assert all(len(c.replace("-", "")) * bits >= 112 for c in codes)
    assert all(mfa.looks_like_recovery_code(c) for c in codes)
    await enrol(database, ctx, alice)
    async with database.transaction() as db:
        db.add_all(
            RecoveryCode(user_id=alice.id, code_hash=mfa.recovery_hash(c)) for c in codes[:2]
        )

    async def spend(value: str) -> bool:
        async with database.transaction() as db:
            user = await db.get(User, alice.id)
            assert user is not None
            return await service.check_code(db, ctx, user=user, code=value, now=NOW)

    # Two requests spending the same code at once: exactly one gets in.
    results = await asyncio.gather(spend(codes[0]), spend(codes[0].upper()))
    assert sorted(results) == [False, True]
    assert await spend(codes[0]) is False
    assert await spend(codes[1].replace("-", "")) is True  # typed without dashes
    assert await spend(codes[2]) is False  # never issued to this account


async def test_a_staff_session_ends_after_30_idle_minutes_an_employees_does_not(
    database: Database, ctx: Identity, alice: User
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


async def test_reauthentication_renews_the_sign_in_time_and_counts_failures(
    database: Database, ctx: Identity, alice: User
) -> None:
    token = (await login(database, ctx, PASSWORD)).session_token
    assert token
    principal = await principal_of(database, ctx, token)
    assert principal.auth_time == int(NOW.timestamp())
    later = NOW + timedelta(minutes=45)
    for _ in range(ctx.settings.login_free_failures):
        async with database.transaction() as db:
            wrong = await service.reauthenticate(
                db, ctx, principal=principal, password="Wrong-pass-12!", code=None, now=later
            )
        assert not wrong.confirmed and wrong.retry_after is None
    async with database.transaction() as db:  # the account's failures count: locked now
        locked = await service.reauthenticate(
            db, ctx, principal=principal, password=PASSWORD, code=None, now=later
        )
    assert locked.retry_after is not None and not locked.confirmed
    much_later = later + timedelta(hours=2)
    async with database.transaction() as db:
        confirmed = await service.reauthenticate(
            db, ctx, principal=principal, password=PASSWORD, code=None, now=much_later
        )
    assert confirmed.confirmed
    internal = await verify(database, ctx, token, now=much_later)
    verifier = TokenVerifier(StaticKeys(ctx.keys.jwks), issuer="identity", audience="identity")
    renewed = await verifier.verify(internal)
    assert renewed.auth_time == int(much_later.timestamp())


async def test_failed_sign_ins_are_security_events_with_ids_only(
    database: Database, ctx: Identity, alice: User, caplog: pytest.LogCaptureFixture
) -> None:
    failed = SECURITY_EVENTS.labels("identity", "signin.failed")
    before = failed._value.get()
    with caplog.at_level("WARNING", logger="security"):
        assert (await login(database, ctx, "Wrong-pass-12!")).session_token is None
    assert failed._value.get() == before + 1
    [record] = [r for r in caplog.records if r.name == "security"]
    assert record.__dict__["security_event"] == "signin.failed"
    assert record.__dict__["account"] == alice.id
    assert "alice@demo.test" not in str(record.__dict__)
