"""Accounts through the gateway with the SMTP sink: password reset by emailed link, two-factor
login (TOTP computed by a TOTP library, recovery codes), and the person's sessions."""

import asyncio
import re
import secrets
import time
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser

import asyncpg
import httpx
import pyotp
import pytest

from tests.e2e.conftest import PASSWORD, Platform, wait_quiet
from tests.e2e.test_privacy import new_employee

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "Another-Good-Passw0rd!"


def links_mailed_to(platform: Platform, to: str) -> list[str]:
    """Every ``#token=...`` mailed to ``to``, oldest first, as the sink has them now."""
    found: list[str] = []
    # In arrival order: two mails of the same second have random names.
    for path in sorted(
        (platform.var_dir / "mail").glob("*.eml"), key=lambda p: p.stat().st_mtime_ns
    ):
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        if message["To"] == to:
            body = message.get_body(preferencelist=("plain",))
            text = str(body.get_content()) if body else ""
            found += dict.fromkeys(re.findall(r"#token=([A-Za-z0-9_-]+)", text))  # once a mail
    return found


def link_mailed_to(platform: Platform, to: str, *, after: int = 0, timeout: float = 15) -> str:
    """The newest link mailed to ``to`` once more than ``after`` links were mailed to it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = links_mailed_to(platform, to)
        if len(found) > after:
            return found[-1]
        time.sleep(0.2)
    raise AssertionError("no new link in the sink")


async def _age_links(platform: Platform, user_id: str, *, expire: bool) -> None:
    """The test's clock: the person's links were made two minutes ago (and have expired)."""
    url = platform.stack.config.database_urls["identity"].replace(
        "postgresql+asyncpg", "postgresql"
    )
    conn = await asyncpg.connect(url)
    try:
        then = datetime.now(UTC) - timedelta(minutes=2)
        await conn.execute(
            "UPDATE account_tokens SET created_at = $1 WHERE user_id = $2", then, user_id
        )
        if expire:
            await conn.execute(
                "UPDATE account_tokens SET expires_at = $1 WHERE user_id = $2", then, user_id
            )
    finally:
        await conn.close()


def test_password_reset_by_emailed_link(platform: Platform, anonymous: httpx.Client) -> None:
    email, _last, user_id = new_employee(platform)
    before = platform.login(email)
    asked = anonymous.post("/api/auth/password-reset", json={"tenant": "demo", "email": email})
    nobody = anonymous.post(
        "/api/auth/password-reset", json={"tenant": "demo", "email": "nobody-at-all@demo.test"}
    )
    assert asked.status_code == nobody.status_code == 202
    assert asked.json() == nobody.json()  # the same answer whether or not the account exists
    token = link_mailed_to(platform, email)
    confirm = "/api/auth/password-reset/confirm"
    weak = anonymous.post(confirm, json={"token": token, "password": "weak"})
    assert weak.status_code == 422  # refused before the link is spent
    assert (
        anonymous.post(confirm, json={"token": token, "password": NEW_PASSWORD}).status_code == 204
    )
    reused = anonymous.post(confirm, json={"token": token, "password": NEW_PASSWORD + "x"})
    assert reused.status_code == 400
    # Every session of the account ended; the new password works, the old one does not.
    assert before.post("/api/auth/logout").status_code == 401
    assert platform.login(email, password=NEW_PASSWORD).get("/api/auth/me").status_code == 200
    old = anonymous.post(
        "/api/auth/login", json={"tenant": "demo", "email": email, "password": PASSWORD}
    )
    assert old.status_code == 401
    # One link a minute at most; an expired link does nothing.
    anonymous.post("/api/auth/password-reset", json={"tenant": "demo", "email": email})
    asyncio.run(_age_links(platform, user_id, expire=False))
    anonymous.post("/api/auth/password-reset", json={"tenant": "demo", "email": email})
    fresh = link_mailed_to(platform, email, after=1)
    # A link asked for afterwards, for someone else, has arrived: a link of the refused
    # request, queued before it, would have too.
    witness, _witness_last, _witness_id = new_employee(platform)
    anonymous.post("/api/auth/password-reset", json={"tenant": "demo", "email": witness})
    link_mailed_to(platform, witness)
    wait_quiet(platform)
    assert links_mailed_to(platform, email) == [token, fresh]  # none within the minute
    asyncio.run(_age_links(platform, user_id, expire=True))
    expired = anonymous.post(confirm, json={"token": fresh, "password": NEW_PASSWORD + "y"})
    assert expired.status_code == 400


def new_staff(platform: Platform, role: str) -> str:
    admin = platform.login("admin@demo.test")
    email = f"{role}-{secrets.token_hex(4)}@demo.test"
    body = {
        "email": email,
        "first_name": "New",
        "last_name": "Staff",
        "roles": [role],
        "password": PASSWORD,
    }
    assert admin.post("/api/users", json=body).status_code == 201
    return email


def test_a_new_dpo_enrols_with_totp_and_logs_in_with_a_second_step(platform: Platform) -> None:
    email = new_staff(platform, "dpo")
    credentials = {"tenant": "demo", "email": email, "password": PASSWORD}
    with platform.client() as browser:
        first = browser.post("/api/auth/login", json=credentials)
        assert first.status_code == 200 and first.json()["mfa_required"] is True
        assert "__Host-session" not in browser.cookies  # no session before the second step
        enrolment = first.json()["enrolment"]
        assert enrolment["otpauth_uri"].startswith("otpauth://totp/")
        assert enrolment["qr_svg"].startswith("data:image/svg+xml")
        secret = enrolment["secret"]
        assert browser.get("/api/auth/me").status_code == 401
        assert browser.post("/api/auth/mfa", json={"code": "000000"}).status_code == 401
        done = browser.post("/api/auth/mfa", json={"code": pyotp.TOTP(secret).now()})
        assert done.status_code == 200, done.text
        recovery = done.json()["recovery_codes"]
        assert len(recovery) == 10
        browser.headers["X-CSRF-Token"] = browser.cookies["csrf_token"]
        me = browser.get("/api/auth/me").json()
        assert me["two_factor"] is True and me["roles"] == ["dpo"]
    with platform.client() as again:
        second = again.post("/api/auth/login", json=credentials).json()
        assert second == {"mfa_required": True}  # the secret is never shown twice
        # The code just used is refused (accepted once); a recovery code works, once.
        assert again.post("/api/auth/mfa", json={"code": recovery[0]}).status_code == 200
    with platform.client() as third:
        third.post("/api/auth/login", json=credentials)
        assert third.post("/api/auth/mfa", json={"code": recovery[0]}).status_code == 401
        for _ in range(4):  # five wrong codes in all: the pending login is gone
            third.post("/api/auth/mfa", json={"code": "123456"})
        refused = third.post("/api/auth/mfa", json={"code": recovery[1]})
        assert refused.status_code == 401 and "log in again" in refused.text


def test_an_employee_may_turn_two_factor_login_on_and_off(platform: Platform) -> None:
    email, _last, _id = new_employee(platform)
    person = platform.login(email)
    enrolment = person.post("/api/auth/mfa/setup").json()
    other = person.post("/api/auth/mfa/setup").json()
    assert other["secret"] != enrolment["secret"]  # asking again makes another secret
    totp = pyotp.TOTP(other["secret"])
    assert person.post("/api/auth/mfa/setup/confirm", json={"code": "000000"}).status_code == 422
    codes = person.post("/api/auth/mfa/setup/confirm", json={"code": totp.now()}).json()
    assert len(codes["recovery_codes"]) == 10
    with platform.client() as browser:
        login = browser.post(
            "/api/auth/login", json={"tenant": "demo", "email": email, "password": PASSWORD}
        )
        assert login.json() == {"mfa_required": True}
        assert (
            browser.post("/api/auth/mfa", json={"code": codes["recovery_codes"][0]}).status_code
            == 200
        )
    assert (
        person.post("/api/auth/mfa/disable", json={"code": codes["recovery_codes"][1]}).status_code
        == 204
    )
    assert platform.login(email).get("/api/auth/me").json()["two_factor"] is False
    staff = platform.login("dpo@demo.test")
    assert staff.post("/api/auth/mfa/disable", json={"code": "123456"}).status_code == 403


def test_a_person_sees_and_ends_their_sessions(platform: Platform) -> None:
    email, _last, _id = new_employee(platform)
    laptop = platform.login(email)
    phone = platform.client(headers={"User-Agent": "Mozilla/5.0 (Linux; Android 14) Firefox/130.0"})
    assert (
        phone.post(
            "/api/auth/login", json={"tenant": "demo", "email": email, "password": PASSWORD}
        ).status_code
        == 200
    )
    phone.headers["X-CSRF-Token"] = phone.cookies["csrf_token"]
    listed = laptop.get("/api/auth/sessions").json()
    assert len(listed) == 2 and sum(s["current"] for s in listed) == 1
    phone_session = next(s for s in listed if not s["current"])
    assert phone_session["device"] == "Firefox on Android"
    assert phone_session["network"] == "127.0.0.0/24"  # the network, never the address
    assert phone_session["started_at"].endswith(":00+00:00")  # to the minute
    assert (
        platform.login("bob@demo.test")
        .delete(f"/api/auth/sessions/{phone_session['id']}")
        .status_code
        == 404
    )
    assert laptop.delete(f"/api/auth/sessions/{phone_session['id']}").status_code == 204
    assert phone.post("/api/auth/logout").status_code == 401  # its cookie fails at once for writes
    deadline = time.monotonic() + 5
    while phone.get("/api/auth/me").status_code != 401:  # reads: after the 2 s cache
        assert time.monotonic() < deadline
        time.sleep(0.2)
    third = platform.login(email)
    assert laptop.post("/api/auth/sessions/end-others").json() == {"ended": 1}
    assert third.post("/api/auth/logout").status_code == 401
    assert laptop.get("/api/auth/me").status_code == 200


def test_an_admin_gives_an_employee_number_that_a_directory_sign_in_matches(
    platform: Platform,
) -> None:
    """The employer's number (matricule) that a directory sign-in is matched by: given when
    the admin creates the account (not only by an import), one per account in the tenant; the
    demo employees have one."""
    admin = platform.login("admin@demo.test")
    number = f"M-{secrets.token_hex(4)}"
    body = {
        "email": f"num-{secrets.token_hex(4)}@demo.test",
        "first_name": "Nina",
        "last_name": "Numéro",
        "employee_number": number,
    }
    created = admin.post("/api/users", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["employee_number"] == number
    twin = admin.post("/api/users", json=body | {"email": f"twin-{secrets.token_hex(4)}@demo.test"})
    assert twin.status_code == 409 and "employee number" in twin.json()["detail"]
    assert number not in twin.text  # the error names no value
    too_long = admin.post(
        "/api/users",
        json=body
        | {"email": f"long-{secrets.token_hex(4)}@demo.test", "employee_number": "9" * 65},
    )
    assert too_long.status_code == 422
    numbers: dict[str, str | None] = {}
    cursor: str | None = None
    while True:
        page = admin.get(
            "/api/users", params={"limit": 200, **({"cursor": cursor} if cursor else {})}
        )
        assert page.status_code == 200, page.text
        numbers |= {u["email"]: u["employee_number"] for u in page.json()}
        cursor = page.headers.get("x-next-cursor")
        if cursor is None:
            break
    assert numbers["alice@demo.test"] == "DEMO-0001"
    assert numbers[body["email"]] == number
    assert not any(e.startswith(("twin-", "long-")) for e in numbers)
