"""Sign-in that stops guessing but never a crowded office (issue 14), through the gateway.

Failed passwords and second-step codes count against the account, with a wait that grows;
the owner's browser, which signed in before (device cookie), still gets in while a guesser is
locked out; a completed password reset forgets the failures; and a workplace's worth of people
behind one address all sign in (the per-route limits themselves: test_gateway.py)."""

import asyncio
import hashlib
import hmac
import secrets
import time
from concurrent.futures import ThreadPoolExecutor

import asyncpg
import httpx
import pyotp
import pytest

from identity.config import Settings
from tests.e2e.conftest import PASSWORD, Platform
from tests.e2e.test_accounts import NEW_PASSWORD, link_mailed_to
from tests.e2e.test_privacy import new_employee

pytestmark = pytest.mark.e2e

DEVICE_COOKIE = "__Secure-device"
WRONG = "Wrong-Password-42"
#: The failures an account is allowed before it waits (identity's LOGIN_FREE_FAILURES).
FREE_FAILURES = Settings().login_free_failures


def sign_in(client: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    return client.post(
        "/api/auth/login", json={"tenant": "demo", "email": email, "password": password}
    )


def lock_out(platform: Platform, email: str) -> httpx.Response:
    """A guesser (a browser that never signed in to the account) fails until it is locked
    out; returns the answer to its right password."""
    with platform.client() as guesser:
        for _ in range(FREE_FAILURES):
            assert sign_in(guesser, email, WRONG).status_code == 401
        return sign_in(guesser, email)


def account_key(platform: Platform, email: str, tenant: str = "demo") -> str:
    """The key of the account's failure counter, as identity makes it (Identity.throttle_key)."""
    secret = platform.service_env("identity").get("SECRET_KEY")
    if secret is None:
        secret = Settings().secret_key.get_secret_value()
    message = f"login:{tenant}\x00{email}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


async def _end_lock(platform: Platform, key: str) -> None:
    url = platform.stack.config.database_urls["identity"].replace(
        "postgresql+asyncpg", "postgresql"
    )
    conn = await asyncpg.connect(url)
    try:
        ended = await conn.execute(
            "UPDATE login_throttle SET locked_until = now() - interval '1 second' WHERE key = $1",
            key,
        )
        assert ended == "UPDATE 1"
    finally:
        await conn.close()


def test_failures_lock_the_account_for_longer_each_time(platform: Platform) -> None:
    email, _last, _id = new_employee(platform)
    locked = lock_out(platform, email)
    assert locked.status_code == 429
    assert locked.json() == {"detail": "too many failed attempts; try again later"}
    first = int(locked.headers["retry-after"])
    assert 15 <= first <= 21  # LOGIN_LOCK_BASE_SECONDS of the e2e stack: 20
    # The test's clock: the lock has passed. One more failure locks for twice as long.
    asyncio.run(_end_lock(platform, account_key(platform, email)))
    with platform.client() as guesser:
        assert sign_in(guesser, email, WRONG).status_code == 401
        again = sign_in(guesser, email)
        assert again.status_code == 429
        assert int(again.headers["retry-after"]) >= 2 * first - 2
    asyncio.run(_end_lock(platform, account_key(platform, email)))
    with platform.client() as owner:
        assert sign_in(owner, email).status_code == 200


def test_the_owners_browser_gets_in_while_a_guesser_is_locked_out(platform: Platform) -> None:
    email, _last, _id = new_employee(platform)
    with platform.client() as owner:
        assert sign_in(owner, email).status_code == 200
        stolen = owner.cookies[DEVICE_COOKIE]  # a copy taken now, used below
        owner.headers["X-CSRF-Token"] = owner.cookies["csrf_token"]
        assert owner.post("/api/auth/logout").status_code == 204
        assert lock_out(platform, email).status_code == 429
        # The owner's browser still signs in, with the right password, during the lock...
        back = sign_in(owner, email)
        assert back.status_code == 200, back.text
        assert owner.get("/api/auth/me").status_code == 200
        # ... which lifts nothing for the guesser.
        with platform.client() as guesser:
            assert sign_in(guesser, email).status_code == 429
        # A wrong password from the owner's browser counts against its cookie, not the account.
        assert sign_in(owner, email, WRONG).status_code == 401
        assert sign_in(owner, email).status_code == 200
    # A stolen device cookie cannot guess either: its failures count, then it is distrusted.
    with platform.client(cookies={DEVICE_COOKIE: stolen}) as thief:
        for _ in range(FREE_FAILURES):
            assert sign_in(thief, email, WRONG).status_code == 401
        assert sign_in(thief, email, WRONG).status_code == 429
        assert sign_in(thief, email).status_code == 429
    # A cookie of another account, or a forged one, is no cookie at all.
    other, _l, _i = new_employee(platform)
    with platform.client() as elsewhere:
        assert sign_in(elsewhere, other).status_code == 200
        others = elsewhere.cookies[DEVICE_COOKIE]
    user_id, nonce, expires, signature = stolen.split(".")
    for cookie in (others, f"{user_id}.{nonce}.{int(expires) + 86400}.{signature}"):
        with platform.client(cookies={DEVICE_COOKIE: cookie}) as forger:
            assert sign_in(forger, email).status_code == 429


def test_wrong_second_step_codes_count_against_the_account(platform: Platform) -> None:
    email, _last, _id = new_employee(platform)
    person = platform.login(email)
    secret = person.post("/api/auth/mfa/setup").json()["secret"]
    totp = pyotp.TOTP(secret)
    confirmed = person.post("/api/auth/mfa/setup/confirm", json={"code": totp.now()})
    assert confirmed.status_code == 200
    now = time.time()
    right = {totp.at(now + s) for s in range(-60, 91, 30)}  # any code the test could meet
    wrong = next(f"{n:06d}" for n in range(10) if f"{n:06d}" not in right)
    with platform.client() as guesser:  # knows the password, not the codes
        assert sign_in(guesser, email).json() == {"mfa_required": True}
        for _ in range(FREE_FAILURES):
            assert guesser.post("/api/auth/mfa", json={"code": wrong}).status_code == 401
        # Signing in again with the right password does not start the count again.
        locked = sign_in(guesser, email)
        assert locked.status_code == 429, locked.text
        assert int(locked.headers["retry-after"]) > 0


def test_a_completed_password_reset_clears_the_failures(platform: Platform) -> None:
    email, _last, _id = new_employee(platform)
    assert lock_out(platform, email).status_code == 429
    with platform.client() as mailbox:
        asked = mailbox.post("/api/auth/password-reset", json={"tenant": "demo", "email": email})
        assert asked.status_code == 202
        token = link_mailed_to(platform, email)
        confirm = {"token": token, "password": NEW_PASSWORD}
        done = mailbox.post("/api/auth/password-reset/confirm", json=confirm)
        assert done.status_code == 204
        assert DEVICE_COOKIE in mailbox.cookies  # the browser that opened the link is trusted
    with platform.client() as elsewhere:  # and any browser finds the account unlocked
        assert sign_in(elsewhere, email, NEW_PASSWORD).status_code == 200


SIGN_INS = 120


def test_a_workplace_behind_one_address_all_sign_in(platform: Platform) -> None:
    """Many people signing in from one address at once (one office behind a NAT) all get in:
    the per-address limit is sized for a workplace (bench/logins.py: 300 within a minute)."""
    admin = platform.login("admin@demo.test")
    prefix = f"office-{secrets.token_hex(3)}"

    def create(i: int) -> str:
        email = f"{prefix}-{i}@demo.test"
        body = {"email": email, "first_name": "Office", "last_name": f"E{i}", "password": PASSWORD}
        assert admin.post("/api/users", json=body).status_code == 201
        return email

    with ThreadPoolExecutor(4) as pool:
        emails = list(pool.map(create, range(SIGN_INS)))

    def office_sign_in(email: str) -> int:
        # Each employee's own browser, all from the office's one address.
        transport = httpx.HTTPTransport(local_address="127.0.0.4", verify=platform.tls_context())
        with httpx.Client(base_url=platform.url, transport=transport, timeout=60) as browser:
            response = sign_in(browser, email)
            if response.status_code == 200:
                assert browser.get("/api/auth/me").json()["email"] == email
            return response.status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(office_sign_in, emails))
    assert statuses == [200] * SIGN_INS, {s: statuses.count(s) for s in set(statuses)}
