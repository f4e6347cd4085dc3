"""Sign-in on a real (SQLite) database: failures that look the same for every account, the
backoff, device cookies, the second step's failures, re-authentication, security events."""

import asyncio
from datetime import timedelta

import pyotp
import pytest

from identity.accounts.models import User
from identity.context import Context
from identity.signin import service as signin
from identity.signin.service import LoginResult
from kit.auth import StaticKeys, TokenVerifier
from kit.db import Database
from kit.security import SECURITY_EVENTS
from services.identity.tests.factories import (
    NOW,
    PASSWORD,
    WRONG,
    add_user,
    enrol,
    lock,
    login,
    principal_of,
    verify,
)


async def test_failures_look_the_same_for_unknown_accounts(
    database: Database, ctx: Context, alice: User
) -> None:
    assert await login(database, ctx, "wrong-Password-1") == LoginResult()
    assert await login(database, ctx, PASSWORD, email="nobody@demo.test") == LoginResult()
    assert await login(database, ctx, PASSWORD, tenant="other") == LoginResult()


async def test_repeated_failures_back_off_known_and_unknown_alike(
    database: Database, ctx: Context, alice: User
) -> None:
    for email in ("alice@demo.test", "nobody@demo.test"):
        for _ in range(ctx.settings.login_free_failures):
            assert (await login(database, ctx, "wrong-Password-1", email=email)).retry_after is None
        locked = await login(database, ctx, PASSWORD, email=email)
        assert locked.retry_after is not None and locked.session_token is None
    later = await login(database, ctx, PASSWORD, now=NOW + timedelta(minutes=20))
    assert later.session_token is not None


async def test_parallel_failures_all_count_and_lock(
    database: Database, ctx: Context, alice: User
) -> None:
    results = await asyncio.gather(*(login(database, ctx, "wrong-Password-1") for _ in range(8)))
    assert all(r.session_token is None for r in results)
    locked = await login(database, ctx, PASSWORD)
    assert locked.retry_after is not None  # 8 parallel failures are 8 failures, not 1


async def test_failures_are_forgotten_after_an_idle_hour(
    database: Database, ctx: Context, alice: User
) -> None:
    for _ in range(ctx.settings.login_free_failures - 1):
        await login(database, ctx, "wrong-Password-1")
    later = NOW + timedelta(seconds=ctx.settings.login_forget_seconds + 1)
    one_more = await login(database, ctx, "wrong-Password-1", now=later)
    assert one_more.retry_after is None
    assert (await login(database, ctx, PASSWORD, now=later)).session_token  # not locked


async def new_user(database: Database, ctx: Context, email: str, tenant_id: str) -> User:
    return await add_user(
        database, tenant_id, email, first_name="Bob", password_hash=ctx.passwords.hash(PASSWORD)
    )


async def test_the_wait_grows_with_each_failure_past_the_free_ones(
    database: Database, ctx: Context, alice: User
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
    database: Database, ctx: Context, alice: User
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
    database: Database, ctx: Context, alice: User
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
    database: Database, ctx: Context, alice: User
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
    database: Database, ctx: Context, alice: User
) -> None:
    cookie: str | None = None
    users = [await new_user(database, ctx, f"u{i}@demo.test", alice.tenant_id) for i in range(6)]
    for user in users:
        cookie = (
            await login(database, ctx, PASSWORD, email=user.email, device=cookie)
        ).device_cookie
    held = [t.user_id for t in ctx.devices.read(cookie, NOW)]
    assert held == [u.id for u in reversed(users[1:])]  # newest first, the oldest gone


async def code(database: Database, ctx: Context, token: str, value: str) -> LoginResult:
    async with database.transaction() as db:
        return await signin.second_step(db, ctx, mfa_token=token, code=value, now=NOW)


def wrong_code(totp: pyotp.TOTP) -> str:
    right = {totp.at(NOW + timedelta(seconds=s)) for s in (-30, 0, 30)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in right)


async def test_wrong_second_step_codes_count_against_the_account(
    database: Database, ctx: Context, alice: User
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
    database: Database, ctx: Context, alice: User
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
        done = await signin.second_step(db, ctx, mfa_token=again, code=totp.at(later), now=later)
    assert done.session_token


async def test_reauthentication_renews_the_sign_in_time_and_counts_failures(
    database: Database, ctx: Context, alice: User
) -> None:
    token = (await login(database, ctx, PASSWORD)).session_token
    assert token
    principal = await principal_of(database, ctx, token)
    assert principal.auth_time == int(NOW.timestamp())
    later = NOW + timedelta(minutes=45)
    for _ in range(ctx.settings.login_free_failures):
        async with database.transaction() as db:
            wrong = await signin.reauthenticate(
                db, ctx, principal=principal, password="Wrong-pass-12!", code=None, now=later
            )
        assert not wrong.confirmed and wrong.retry_after is None
    async with database.transaction() as db:  # the account's failures count: locked now
        locked = await signin.reauthenticate(
            db, ctx, principal=principal, password=PASSWORD, code=None, now=later
        )
    assert locked.retry_after is not None and not locked.confirmed
    much_later = later + timedelta(hours=2)
    async with database.transaction() as db:
        confirmed = await signin.reauthenticate(
            db, ctx, principal=principal, password=PASSWORD, code=None, now=much_later
        )
    assert confirmed.confirmed
    internal = await verify(database, ctx, token, now=much_later)
    verifier = TokenVerifier(StaticKeys(ctx.keys.jwks), issuer="identity", audience="identity")
    renewed = await verifier.verify(internal)
    assert renewed.auth_time == int(much_later.timestamp())


async def test_failed_sign_ins_are_security_events_with_ids_only(
    database: Database, ctx: Context, alice: User, caplog: pytest.LogCaptureFixture
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
