"""ID1-ID3 through the gateway: login cookie, sessions, revocation, spoofing, isolation, CSRF."""

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from devstack.stack import ROOT
from kit.auth import RemoteJwks, TokenVerifier
from tests.e2e.conftest import PASSWORD, Platform
from tests.e2e.test_privacy import new_employee

pytestmark = pytest.mark.e2e


def set_cookie_headers(response: httpx.Response) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in response.headers.get_list("set-cookie")}


def test_login_cookie_has_every_attribute(anonymous: httpx.Client) -> None:
    response = anonymous.post(
        "/api/auth/login", json={"tenant": "demo", "email": "alice@demo.test", "password": PASSWORD}
    )
    assert response.status_code == 200
    cookies = set_cookie_headers(response)
    session = [a.strip().lower() for a in cookies["__Host-session"].split(";")]
    assert len(session[0].split("=", 1)[1]) >= 43  # 256 random bits
    assert {"httponly", "secure", "path=/", "samesite=lax", "max-age=86400"} <= set(session)
    assert not any(a.startswith("domain=") for a in session)
    csrf = [a.strip().lower() for a in cookies["csrf_token"].split(";")]
    assert "secure" in csrf and "httponly" not in csrf and "samesite=strict" in csrf
    # The device cookie: sent back to the sign-in routes only, never readable by the page.
    device = [a.strip().lower() for a in cookies["__Secure-device"].split(";")]
    assert {"httponly", "secure", "path=/api/auth", "samesite=strict"} <= set(device)
    assert f"max-age={90 * 86400}" in device and not any(a.startswith("domain=") for a in device)


def test_me_with_and_without_a_session(anonymous: httpx.Client, platform: Platform) -> None:
    client = platform.login("alice@demo.test")
    me = client.get("/api/auth/me")
    assert me.status_code == 200
    assert me.json()["email"] == "alice@demo.test"
    assert me.json()["tenant"] == "demo"
    assert me.json()["roles"] == ["employee"]
    none = anonymous.get("/api/auth/me")
    assert none.status_code == 401
    assert none.json() == {"detail": "authentication required"}


@pytest.mark.parametrize(
    "cookie",
    [
        secrets.token_urlsafe(32),  # well-formed, unknown
        "short",
        "x" * 300,
        "../../etc/passwd",
        "' OR 1=1 --",
    ],
)
def test_forged_session_cookie_is_401(platform: Platform, cookie: str) -> None:
    with platform.client() as client:
        response = client.get("/api/auth/me", headers={"Cookie": f"__Host-session={cookie}"})
    assert response.status_code == 401


def test_other_cookie_names_are_not_the_session(platform: Platform) -> None:
    client = platform.login("alice@demo.test")
    token = client.cookies["__Host-session"]
    with platform.client() as other:
        for header in (
            f"x__Host-session={token}",
            f"__Host-session-x={token}",
            f"__host-session={token}",
        ):
            assert other.get("/api/auth/me", headers={"Cookie": header}).status_code == 401


async def _expire_sessions(url: str, user_id: str) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute(
            "UPDATE sessions SET expires_at = $1 WHERE revoked_at IS NULL AND user_id = $2",
            datetime.now(UTC) - timedelta(seconds=1),
            user_id,
        )
    finally:
        await conn.close()


def test_expired_session_is_401(platform: Platform) -> None:
    # A fresh account whose session no read has put in the gateway's cache yet.
    email, _last, user_id = new_employee(platform)
    client = platform.login(email)
    asyncio.run(_expire_sessions(platform.stack.config.database_urls["identity"], user_id))
    assert client.get("/api/auth/me").status_code == 401


def wait_until_refused(client: httpx.Client, started: float, timeout: float = 10) -> float:
    while time.monotonic() - started < timeout:
        if client.get("/api/auth/me").status_code == 401:
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError("the revoked session was still accepted")


def test_logout_revokes_the_session_on_the_server(platform: Platform) -> None:
    client = platform.login("alice@demo.test")
    stolen = dict(client.cookies)  # what a thief copied before the logout
    csrf = client.headers["X-CSRF-Token"]
    assert client.get("/api/auth/me").status_code == 200  # the gateway has this session cached now
    response = client.post("/api/auth/logout")
    started = time.monotonic()
    assert response.status_code == 204
    with platform.client(cookies=stolen, headers={"X-CSRF-Token": csrf}) as thief:
        # Anything that can change state is refused at once: it is never served from the cache.
        write = thief.post(
            "/api/auth/password",
            json={"current_password": PASSWORD, "new_password": "Stolen-2026-pass!"},
        )
        assert write.status_code == 401
        delay = wait_until_refused(thief, started)
    assert delay < 5
    record_measurement(platform, "revocation_delay_after_logout_s", round(delay, 3))


def session_checks(platform: Platform) -> float:
    """The session checks identity has answered so far (its ``/metrics``, every status)."""
    text = httpx.get(platform.service_url("identity", "/metrics"), timeout=5).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("http_request_duration_seconds_count")
        and 'route="/internal/verify"' in line
    )


def test_a_writes_check_serves_the_reads_that_follow(platform: Platform) -> None:
    """A write is always checked by identity; its answer then serves the session's reads for
    2 s, as a read's does: an order's page after its payment asks identity once, not twice."""
    email, _last, _user_id = new_employee(platform, first="Wanda")
    client = platform.login(email)
    before = session_checks(platform)
    consent = client.put("/api/privacy/consents", json={"purpose": "newsletter", "granted": True})
    assert consent.status_code == 200, consent.text
    assert client.get("/api/auth/me").status_code == 200
    assert session_checks(platform) - before == 1


def test_a_refused_write_ends_the_sessions_cached_reads_at_once(platform: Platform) -> None:
    """A stolen cookie's write after the logout is refused by identity, and that refusal
    replaces the session's cached answer: its next read is refused at once too."""
    email, _last, _user_id = new_employee(platform, first="Xavier")
    client = platform.login(email)
    stolen, csrf = dict(client.cookies), client.headers["X-CSRF-Token"]
    assert client.get("/api/auth/me").status_code == 200  # the gateway has this session cached
    assert client.post("/api/auth/logout").status_code == 204
    with platform.client(cookies=stolen, headers={"X-CSRF-Token": csrf}) as thief:
        refused = thief.put(
            "/api/privacy/consents", json={"purpose": "newsletter", "granted": True}
        )
        assert refused.status_code == 401
        assert thief.get("/api/auth/me").status_code == 401


def test_a_logout_leaves_no_answer_of_its_own_in_the_cache(platform: Platform) -> None:
    """A write to identity's routes may end the very session it is sent with: its check is
    not stored, so a stolen cookie's first read after the logout is refused at once."""
    for path in ("/api/auth/logout", "/api/%61uth/logout"):  # however the path is spelled
        email, _last, _user_id = new_employee(platform, first="Yann")
        client = platform.login(email)
        stolen = dict(client.cookies)
        before = session_checks(platform)
        assert client.post(path).status_code == 204, path
        with platform.client(cookies=stolen) as thief:
            assert thief.get("/api/auth/me").status_code == 401, path
        assert session_checks(platform) - before == 2, path  # the logout's, then the read's


def record_measurement(platform: Platform, name: str, value: float) -> None:
    path = platform.var_dir / "measurements.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data[name] = value
    path.write_text(json.dumps(data, indent=2))
    print(f"{name} = {value}")


def test_logout_needs_the_csrf_header(platform: Platform) -> None:
    client = platform.login("bob@demo.test")
    csrf = client.headers.pop("X-CSRF-Token")
    refused = client.post("/api/auth/logout")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert client.post("/api/auth/logout", headers={"X-CSRF-Token": "0" * 64}).status_code == 403
    cross = client.post(
        "/api/auth/logout", headers={"X-CSRF-Token": csrf, "Sec-Fetch-Site": "cross-site"}
    )
    assert cross.status_code == 403
    evil = client.post(
        "/api/auth/logout", headers={"X-CSRF-Token": csrf, "Origin": "https://evil.example"}
    )
    assert evil.status_code == 403
    assert client.get("/api/auth/me").status_code == 200  # none of those logged out
    assert client.post("/api/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204


def test_spoofed_identity_headers_are_ignored(platform: Platform) -> None:
    alice = platform.login("alice@demo.test")
    admin = platform.login("admin@demo.test")
    admin_me = admin.get("/api/auth/me").json()
    # A genuine internal token of the admin, obtained by asking identity directly (tests only).
    verify = httpx.get(
        platform.service_url("identity", "/internal/verify"),
        headers={
            "X-Session-Token": admin.cookies["__Host-session"],
            "X-Token-Audience": "identity",
        },
    )
    admin_token = verify.headers["x-internal-token"]
    spoof = {
        "X-Internal-Token": admin_token,
        "X-User-Id": admin_me["id"],
        "X-Tenant-Id": "other",
        "X-Roles": "platform_admin",
    }
    me = alice.get("/api/auth/me", headers=spoof)
    assert me.status_code == 200
    assert me.json()["email"] == "alice@demo.test"
    assert alice.get("/api/users", headers=spoof).status_code == 403  # still an employee
    with platform.client() as anonymous:
        assert anonymous.get("/api/auth/me", headers=spoof).status_code == 401


def test_user_of_demo_cannot_log_in_as_other(anonymous: httpx.Client) -> None:
    for tenant, email in (("other", "alice@demo.test"), ("demo", "carol@other.test")):
        response = anonymous.post(
            "/api/auth/login", json={"tenant": tenant, "email": email, "password": PASSWORD}
        )
        assert response.status_code == 401
        assert response.json() == {"detail": "invalid tenant, email or password"}


def test_login_from_another_site_is_refused(anonymous: httpx.Client) -> None:
    body = {"tenant": "demo", "email": "bob@demo.test", "password": PASSWORD}
    response = anonymous.post(
        "/api/auth/login", json=body, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 403
    assert "__Host-session" not in response.headers.get("set-cookie", "")


def test_login_failures_do_not_reveal_accounts(anonymous: httpx.Client) -> None:
    answers = set()
    for email in ("bob@demo.test", "nobody-here@demo.test"):
        response = anonymous.post(
            "/api/auth/login",
            json={"tenant": "demo", "email": email, "password": "Wrong-Password-42"},
        )
        answers.add((response.status_code, response.text))
    assert len(answers) == 1


def test_repeated_failures_lock_the_account_for_a_while(
    platform: Platform, anonymous: httpx.Client
) -> None:
    # A fresh account: locking a shared demo account would fail the later tests' logins.
    admin = platform.login("admin@demo.test")
    email = f"lock-{secrets.token_hex(4)}@demo.test"
    user = {"email": email, "first_name": "L", "last_name": "K", "password": PASSWORD}
    assert admin.post("/api/users", json=user).status_code == 201
    body = {"tenant": "demo", "email": email, "password": "Wrong-Password-42"}
    statuses = [anonymous.post("/api/auth/login", json=body).status_code for _ in range(6)]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    locked = anonymous.post("/api/auth/login", json=body | {"password": PASSWORD})
    # Even the right password waits out the backoff, from a browser that never signed in to
    # the account (its owner's browser does not: test_sign_in_defence.py).
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0


def test_tenant_admin_sees_only_their_tenant(platform: Platform) -> None:
    admin = platform.login("admin@demo.test")
    emails = {u["email"] for u in admin.get("/api/users").json()}
    assert "alice@demo.test" in emails
    assert "carol@other.test" not in emails


def test_admin_creates_a_user_who_can_log_in_and_deletion_revokes(platform: Platform) -> None:
    admin = platform.login("admin@demo.test")
    email = f"new-{secrets.token_hex(4)}@demo.test"
    body = {
        "email": email,
        "first_name": "Nina",
        "last_name": "Nouvelle",
        "roles": ["employee"],
        "password": "Nouvelle-2026-pass",
    }
    created = admin.post("/api/users", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["tenant"] == "demo"
    assert "password" not in created.json()
    assert admin.post("/api/users", json=body).status_code == 409
    newcomer = platform.login(email, password="Nouvelle-2026-pass")
    assert newcomer.get("/api/auth/me").json()["email"] == email
    assert admin.delete(f"/api/users/{created.json()['id']}").status_code == 202
    wait_until_refused(newcomer, time.monotonic())


@pytest.mark.parametrize(
    "body,status",
    [
        (
            {"email": "weak@demo.test", "first_name": "W", "last_name": "K", "password": "short"},
            422,
        ),
        ({"email": "not-an-email", "first_name": "W", "last_name": "K"}, 422),
        ({"email": "x@demo.test", "first_name": "", "last_name": "K"}, 422),
        ({"email": "x@demo.test", "first_name": "W", "last_name": "K", "roles": ["root"]}, 422),
        (
            {
                "email": "x@demo.test",
                "first_name": "W",
                "last_name": "K",
                "roles": ["platform_admin"],
            },
            403,
        ),
        ({"email": ["x"], "first_name": 1, "last_name": None}, 422),
    ],
)
def test_bad_user_creation_changes_nothing(
    platform: Platform, body: dict[str, object], status: int
) -> None:
    admin = platform.login("admin@demo.test")
    before = len(admin.get("/api/users").json())
    response = admin.post("/api/users", json=body)
    assert response.status_code == status, response.text
    assert len(admin.get("/api/users").json()) == before


def test_employee_cannot_create_users(platform: Platform) -> None:
    bob = platform.login("bob@demo.test")
    response = bob.post(
        "/api/users", json={"email": "x@demo.test", "first_name": "X", "last_name": "Y"}
    )
    assert response.status_code == 403


def test_password_change_revokes_every_other_session(platform: Platform) -> None:
    admin = platform.login("admin@demo.test")
    email = f"pw-{secrets.token_hex(4)}@demo.test"
    old, new = "Original-2026-pass", "Changed-2026-pass!"
    body = {"email": email, "first_name": "P", "last_name": "W", "password": old}
    assert admin.post("/api/users", json=body).status_code == 201
    laptop, phone = platform.login(email, password=old), platform.login(email, password=old)
    assert phone.get("/api/auth/me").status_code == 200
    wrong = laptop.post(
        "/api/auth/password", json={"current_password": "nope", "new_password": new}
    )
    assert wrong.status_code == 403
    weak = laptop.post("/api/auth/password", json={"current_password": old, "new_password": "weak"})
    assert weak.status_code == 422
    changed = laptop.post("/api/auth/password", json={"current_password": old, "new_password": new})
    assert changed.status_code == 204
    wait_until_refused(phone, time.monotonic())
    laptop.headers["X-CSRF-Token"] = laptop.cookies["csrf_token"]  # the new session's token
    assert laptop.get("/api/auth/me").status_code == 200
    platform.login(email, password=new)


def test_key_rotation_does_not_log_anyone_out(platform: Platform) -> None:
    client = platform.login("bob@demo.test")
    assert client.get("/api/auth/me").status_code == 200
    before = httpx.get(platform.service_url("identity", "/.well-known/jwks.json")).json()["keys"]
    subprocess.run(
        [sys.executable, "-m", "identity.keys", "rotate"],
        env=platform.service_env("identity"),
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    time.sleep(3)  # the service reloads its keys every 2 s
    after = httpx.get(platform.service_url("identity", "/.well-known/jwks.json")).json()["keys"]
    assert len(after) == len(before) + 1
    assert client.get("/api/auth/me").status_code == 200
    verify = httpx.get(
        platform.service_url("identity", "/internal/verify"),
        headers={
            "X-Session-Token": client.cookies["__Host-session"],
            "X-Token-Audience": "identity",
        },
    )
    header = verify.headers["x-internal-token"].split(".")[0]
    kid = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]
    assert kid == after[-1]["kid"]


def test_logs_hold_no_personal_data(platform: Platform) -> None:
    # Activity of its own first, so that the check does not depend on what ran before.
    email = f"log-{secrets.token_hex(4)}@demo.test"
    with platform.client() as anonymous:
        anonymous.post("/api/auth/login", json={"tenant": "demo", "email": email, "password": "x"})
    admin = platform.login("admin@demo.test")
    body = {"email": email, "first_name": "Logan", "last_name": "Secretname", "password": PASSWORD}
    assert admin.post("/api/users", json=body).status_code == 201
    platform.login(email).get("/api/auth/me")
    time.sleep(0.5)  # let the log lines reach the files
    logs = list((platform.var_dir / "logs").glob("*.log"))
    logs += list((platform.var_dir / "gateway" / "logs").glob("*.log"))
    text = "\n".join(path.read_text(errors="replace") for path in logs)
    assert '"path": "/api/auth/login"' in text  # the logs are there, and say what happened
    for secret in (
        email,
        "Secretname",
        "alice@demo.test",
        "carol@other.test",
        PASSWORD,
        "@demo.test",
    ):
        assert secret not in text, f"{secret!r} found in a log under {platform.var_dir}"


@pytest.mark.parametrize(
    "body",
    [
        {"tenant": "demo", "email": "x\u0000y@demo.test", "password": "x"},
        {"tenant": "demo", "email": "b\ud800ob@demo.test", "password": "x"},
        {"tenant": "demo", "email": "bob@demo.test", "password": "nul\u0000inside"},
    ],
)
def test_control_characters_and_surrogates_are_422(
    anonymous: httpx.Client, body: dict[str, str]
) -> None:
    response = anonymous.post(
        "/api/auth/login", content=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422


def test_user_names_with_control_characters_are_422(platform: Platform) -> None:
    admin = platform.login("admin@demo.test")
    body = {"email": "nul@demo.test", "first_name": "A\u0000B", "last_name": "C"}
    response = admin.post(
        "/api/users", content=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422


def test_non_ascii_csrf_header_is_403(platform: Platform) -> None:
    client = platform.login("bob@demo.test")
    response = client.post(
        "/api/auth/logout", headers={b"X-CSRF-Token": "é".encode("latin-1") * 64}
    )
    assert response.status_code == 403


def test_parallel_wrong_passwords_never_5xx_and_lock(platform: Platform) -> None:
    admin = platform.login("admin@demo.test")
    email = f"par-{secrets.token_hex(4)}@demo.test"
    body = {"email": email, "first_name": "P", "last_name": "L", "password": PASSWORD}
    assert admin.post("/api/users", json=body).status_code == 201

    def attempt(_: int) -> int:
        with platform.client() as client:
            wrong = {"tenant": "demo", "email": email, "password": "Wrong-Password-9"}
            return client.post("/api/auth/login", json=wrong).status_code

    with ThreadPoolExecutor(12) as pool:
        statuses = list(pool.map(attempt, range(12)))
    assert set(statuses) <= {401, 429}, statuses
    with platform.client() as client:
        right = {"tenant": "demo", "email": email, "password": PASSWORD}
        assert client.post("/api/auth/login", json=right).status_code == 429


def test_services_verify_against_the_published_keys_after_rotation(platform: Platform) -> None:
    """What every other service does: fetch the JWKS, refetch on a new kid."""
    verifier = TokenVerifier(
        RemoteJwks(platform.service_url("identity", "/.well-known/jwks.json")),
        issuer="identity",
        audience="identity",
    )
    client = platform.login("bob@demo.test")

    def internal_token() -> str:
        verify = httpx.get(
            platform.service_url("identity", "/internal/verify"),
            headers={
                "X-Session-Token": client.cookies["__Host-session"],
                "X-Token-Audience": "identity",
            },
        )
        return str(verify.headers["x-internal-token"])

    assert asyncio.run(verifier.verify(internal_token())).tenant == "demo"
    subprocess.run(
        [sys.executable, "-m", "identity.keys", "rotate"],
        env=platform.service_env("identity"),
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    time.sleep(2.5)  # identity reloads its keys every 2 s
    assert asyncio.run(verifier.verify(internal_token())).tenant == "demo"


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _segments(header: dict[str, object], claims: dict[str, object]) -> bytes:
    return _b64(json.dumps(header).encode()) + b"." + _b64(json.dumps(claims).encode())


def forged_tokens(platform: Platform, genuine: str) -> dict[str, str]:
    """Internal tokens an attacker can make: each claims the tenant admin, DPO and platform
    admin roles for a day, for the user of ``genuine`` (a real token, read for its claims)."""
    header_part, claims_part, signature = genuine.split(".")
    header = json.loads(base64.urlsafe_b64decode(header_part + "=" * (-len(header_part) % 4)))
    claims = json.loads(base64.urlsafe_b64decode(claims_part + "=" * (-len(claims_part) % 4)))
    claims |= {
        "roles": ["tenant_admin", "dpo", "platform_admin"],
        "exp": int(time.time()) + 86400,
    }
    kid = header["kid"]
    jwks = httpx.get(platform.service_url("identity", "/.well-known/jwks.json")).json()["keys"]
    x = next(k for k in jwks if k["kid"] == kid)["x"]
    public = base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))
    own = Ed25519PrivateKey.generate()
    own_jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(own.public_key()))

    def signed(extra: dict[str, object]) -> str:
        return jwt.encode(claims, own, algorithm="EdDSA", headers={"kid": kid} | extra)

    confusion = _segments({"alg": "HS256", "typ": "JWT", "kid": kid}, claims)
    mac = hmac.new(public, confusion, hashlib.sha256).digest()
    der = own.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    raised = _b64(json.dumps(claims).encode())
    return {
        "alg none": (_segments({"alg": "none", "typ": "JWT", "kid": kid}, claims) + b".").decode(),
        "HS256 signed with the published public key": (confusion + b"." + _b64(mac)).decode(),
        "another key under the real kid": signed({}),
        "another key embedded as jwk": signed({"jwk": own_jwk}),
        "another key by jku": signed({"jku": "https://attacker.example/jwks.json"}),
        "another key by x5c": signed({"x5c": [base64.b64encode(der).decode()]}),
        "an unknown kid": signed({"kid": "attacker-key"}),
        "the genuine token with more roles": f"{header_part}.{raised.decode()}.{signature}",
        "garbage": "not.a.token",
    }


#: A protected route of every service, read with any role.
PROTECTED = {
    "identity": "/api/auth/me",
    "orders": "/api/orders",
    "subsidies": "/api/subsidies/activities",
    "support": "/api/tickets",
    "privacy": "/api/privacy/consents",
}


def test_forged_internal_tokens_are_refused_through_the_gateway_and_by_every_service(
    platform: Platform,
) -> None:
    """The foundation's token attacks against the real stack: a client sending its own
    ``X-Internal-Token`` through the gateway never gets past it (the gateway replaces the
    header with its own, or refuses before proxying), and each service refuses every forgery
    sent to it straight (defence in depth, GW3)."""
    bob = platform.login("bob@demo.test")
    genuine = httpx.get(
        platform.service_url("identity", "/internal/verify"),
        headers={"X-Session-Token": bob.cookies["__Host-session"], "X-Token-Audience": "identity"},
    ).headers["x-internal-token"]
    forged = forged_tokens(platform, genuine)
    with platform.client() as anonymous:
        for name, token in forged.items():
            for service, path in PROTECTED.items():
                through = anonymous.get(path, headers={"X-Internal-Token": token})
                assert through.status_code == 401, (name, service, through.text)
                straight = httpx.get(
                    platform.service_url(service, path), headers={"X-Internal-Token": token}
                )
                assert straight.status_code == 401, (name, service, straight.text)
            # Bob's own session with a forged token: the gateway's token wins, Bob stays Bob.
            me = bob.get("/api/auth/me", headers={"X-Internal-Token": token})
            assert me.status_code == 200 and me.json()["roles"] == ["employee"], name
            assert bob.get("/api/users", headers={"X-Internal-Token": token}).status_code == 403
            assert (
                bob.get("/api/privacy/breaches", headers={"X-Internal-Token": token}).status_code
                == 403
            )
    # The genuine token itself is accepted straight by the service it was made for (the
    # forgeries failed on their own account), and by no other: each service is its audience.
    assert (
        httpx.get(
            platform.service_url("identity", "/api/auth/me"), headers={"X-Internal-Token": genuine}
        ).status_code
        == 200
    )
    assert (
        httpx.get(
            platform.service_url("orders", "/api/orders"), headers={"X-Internal-Token": genuine}
        ).status_code
        == 401
    )
