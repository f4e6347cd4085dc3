"""Sign-in with the employer's directory (issue 19, part 4), through the real Nginx, with a
real OpenID provider outside the platform: panva's oidc-provider, run by tests/oidc/provider.mjs
(`make test` installs it like the browser tests' axe-core).

The tenant admin configures the provider through the API; an employee imported with an
employee number starts at the platform, signs in at the provider (its own pages, driven here
with httpx), comes back to the callback with the platform's session cookie, and
`GET /api/auth/me` works. A tampered state, a replayed code, a wrong nonce, an ID token of
another issuer or signed by another key are refused with a clear reason and no session; the
platform keeps only the link (tenant, issuer, subject)."""

import asyncio
import os
import re
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx
import pyotp
import pytest

from tests.e2e.conftest import Platform

pytestmark = pytest.mark.e2e

DIRECTORY = Path(__file__).resolve().parents[1] / "oidc"
CLIENT_ID = "benefits-platform"
CLIENT_SECRET = secrets.token_urlsafe(24)
#: The directory's person with an account at the platform (provider.mjs), and their number.
PERSON, NUMBER = "jdupont", "E-1042"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def directory(platform: Platform) -> Iterator[str]:
    """The employer's directory on loopback: its issuer URL."""
    if not (DIRECTORY / "node_modules").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=DIRECTORY, check=True)
    port = _free_port()
    env = os.environ | {
        "PORT": str(port),
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "REDIRECT_URI": f"{platform.url}/api/auth/oidc/callback",
    }
    node = shutil.which("node") or "node"
    # Its output in a file of the run (a pipe nobody reads would stop it once full).
    output = (platform.var_dir / "oidc-provider.out").open("w")
    process = subprocess.Popen(
        [node, "provider.mjs"], cwd=DIRECTORY, env=env, stdout=output, stderr=subprocess.STDOUT
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{issuer}/.well-known/openid-configuration").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise AssertionError("the directory did not start")
        yield issuer
    finally:
        process.terminate()
        process.wait(timeout=10)
        output.close()


@pytest.fixture(scope="module")
def configured(platform: Platform, directory: str) -> str:
    """The tenant ``demo`` signs in through the directory; an employee imported with the
    directory person's employee number. Returns that employee's email address."""
    admin = platform.login("admin@demo.test")
    email = f"oidc-{secrets.token_hex(4)}@demo.test"
    imported = admin.post(
        "/api/users/import",
        content=f"email;prénom;nom;matricule\n{email};Jeanne;Dupont;{NUMBER}\n".encode(),
        headers={"Content-Type": "text/csv; charset=utf-8"},
    )
    assert imported.status_code == 200, imported.text
    anonymous = platform.client()
    assert anonymous.get("/api/auth/tenants/demo/sign-in").json() == {
        "password": True,
        "directory": False,
    }
    # A provider whose discovery document cannot be read is refused, nothing stored.
    wrong = admin.put(
        "/api/auth/directory",
        json={"issuer": f"{directory}/nowhere", "client_id": CLIENT_ID, "client_secret": "x"},
    )
    assert wrong.status_code == 422, wrong.text
    answer = admin.put(
        "/api/auth/directory",
        json={
            "issuer": directory,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "match_claim": "employee_number",
            "extra_scopes": "employee",
        },
    )
    assert answer.status_code == 200, answer.text
    assert CLIENT_SECRET not in answer.text
    assert answer.json()["redirect_uri"] == f"{platform.url}/api/auth/oidc/callback"
    assert admin.get("/api/auth/directory").json()["issuer"] == directory
    # An employee may not read or change it.
    employee = platform.login("alice@demo.test")
    assert employee.get("/api/auth/directory").status_code == 403
    assert anonymous.get("/api/auth/directory").status_code == 401
    assert anonymous.get("/api/auth/tenants/demo/sign-in").json()["directory"] is True
    return email


class _Form(HTMLParser):
    """The first form of a page: its action and its hidden fields."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = found.get("action")
        elif tag == "input" and found.get("type") == "hidden" and found.get("name"):
            self.fields[str(found["name"])] = found.get("value") or ""


def sign_in_at_directory(
    platform: Platform, browser: httpx.Client, directory: str, person: str = PERSON
) -> str:
    """Start at the platform, sign in at the provider's pages: the callback URL it sends the
    browser back to (not followed)."""
    start = browser.get("/api/auth/oidc/demo/start")
    assert start.status_code == 303, start.text
    assert "__Host-oidc" in start.headers["set-cookie"]
    location = start.headers["location"]
    query = parse_qs(urlsplit(location).query)
    assert location.startswith(f"{directory}/auth?")
    assert query["code_challenge_method"] == ["S256"] and query["scope"] == ["openid employee"]
    assert {"state", "nonce", "code_challenge"} <= set(query)
    for _ in range(12):
        if location.startswith(platform.url):
            return location
        url = location if location.startswith("http") else directory + location
        page = browser.get(url)
        if page.status_code in (302, 303):
            location = page.headers["location"]
            continue
        assert page.status_code == 200, page.text[:500]
        form = _Form()
        form.feed(page.text)
        assert form.action is not None, page.text[:500]
        data = form.fields | {"login": person, "password": "any-password-at-the-directory"}
        action = form.action if form.action.startswith("http") else directory + form.action
        posted = browser.post(action, data=data)
        assert posted.status_code in (302, 303), posted.text[:500]
        location = posted.headers["location"]
    raise AssertionError("the directory never sent the browser back")


def come_back(browser: httpx.Client, callback: str) -> httpx.Response:
    answer = browser.get(callback.removeprefix(str(browser.base_url).rstrip("/")))
    assert answer.status_code == 303, answer.text
    return answer


def refused(answer: httpx.Response, reason: str, browser: httpx.Client) -> None:
    assert f"oidc_error={reason}" in answer.headers["location"]
    assert "__Host-session" not in answer.headers.get("set-cookie", "")
    assert browser.get("/api/auth/me").status_code == 401


def _db(platform: Platform) -> str:
    url = platform.service_env("identity")["DATABASE_URL"]
    return url.replace("postgresql+asyncpg", "postgresql")


async def _rows(url: str, statement: str) -> list[Any]:
    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch(statement))
    finally:
        await conn.close()


def test_an_employee_signs_in_with_the_company_account(
    platform: Platform, directory: str, configured: str
) -> None:
    with platform.client() as browser:
        callback = sign_in_at_directory(platform, browser, directory)
        assert "code=" in callback and "state=" in callback
        answer = come_back(browser, callback)
        assert answer.headers["location"] == "/#/"
        assert "__Host-session" in browser.cookies and "csrf_token" in browser.cookies
        me = browser.get("/api/auth/me")
        assert me.status_code == 200, me.text
        assert me.json()["email"] == configured
        assert "employee" in me.json()["roles"]
        sessions = browser.get("/api/auth/sessions")
        assert sessions.status_code == 200 and len(sessions.json()) == 1

        # The same code again (a replay): the provider refuses it, no session.
        with platform.client() as other:
            other_callback = sign_in_at_directory(platform, other, directory)
            state = parse_qs(urlsplit(other_callback).query)["state"][0]
            code = parse_qs(urlsplit(callback).query)["code"][0]
            replay = come_back(
                other, f"/api/auth/oidc/callback?code={code}&state={state}&iss={directory}"
            )
            refused(replay, "code", other)

    # Only the link is stored: the tenant, the issuer and the subject.
    links = asyncio.run(
        _rows(
            _db(platform),
            "SELECT l.*, t.slug FROM oidc_links l JOIN tenants t ON t.id = l.tenant_id",
        )
    )
    assert [(r["slug"], r["issuer"], r["subject"]) for r in links] == [("demo", directory, PERSON)]
    assert set(links[0].keys()) == {
        "id",
        "user_id",
        "tenant_id",
        "issuer",
        "subject",
        "created_at",
        "slug",
    }


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [("wrong-nonce", "nonce"), ("other-issuer", "token"), ("other-key", "token")],
)
def test_a_forged_id_token_is_refused(
    platform: Platform, directory: str, configured: str, tamper: str, reason: str
) -> None:
    with platform.client() as browser:
        callback = sign_in_at_directory(platform, browser, directory)
        assert httpx.get(f"{directory}/__test/next", params={"tamper": tamper}).status_code == 200
        refused(come_back(browser, callback), reason, browser)


def test_a_tampered_state_or_another_browser_is_refused(
    platform: Platform, directory: str, configured: str
) -> None:
    with platform.client() as browser:
        callback = sign_in_at_directory(platform, browser, directory)
        state = parse_qs(urlsplit(callback).query)["state"][0]
        tampered = re.sub(
            r"state=[^&]+", f"state={state[:-1]}{'B' if state[-1] != 'B' else 'C'}", callback
        )
        refused(come_back(browser, tampered), "state", browser)
        # The right state, from a browser that did not start the sign-in (login CSRF).
        with platform.client() as stranger:
            refused(come_back(stranger, callback), "state", stranger)
        # And once seen, the state is spent for the browser that did.
        refused(come_back(browser, callback), "state", browser)


def test_a_person_without_an_account_is_refused(
    platform: Platform, directory: str, configured: str
) -> None:
    with platform.client() as browser:
        callback = sign_in_at_directory(platform, browser, directory, person="nobody")
        refused(come_back(browser, callback), "no_account", browser)


def test_an_employee_with_a_second_factor_passes_it_after_the_directory(
    platform: Platform, directory: str, configured: str
) -> None:
    """The directory does not stand in for the authenticator app the employee enrolled: the
    callback sets the pending second step's cookie and sends the browser to the login page's
    code step; no session until the code."""
    with platform.client() as browser:
        assert (
            come_back(browser, sign_in_at_directory(platform, browser, directory)).headers[
                "location"
            ]
            == "/#/"
        )
        browser.headers["X-CSRF-Token"] = browser.cookies["csrf_token"]
        secret = browser.post("/api/auth/mfa/setup").json()["secret"]
        codes = browser.post(
            "/api/auth/mfa/setup/confirm", json={"code": pyotp.TOTP(secret).now()}
        ).json()["recovery_codes"]
    with platform.client() as browser:
        answer = come_back(browser, sign_in_at_directory(platform, browser, directory))
        assert answer.headers["location"] == "/#/login?mfa=1&tenant=demo"
        assert "__Host-mfa" in browser.cookies and "__Host-session" not in browser.cookies
        assert browser.get("/api/auth/me").status_code == 401
        assert browser.post("/api/auth/mfa", json={"code": "000000"}).status_code == 401
        done = browser.post("/api/auth/mfa", json={"code": codes[0]})
        assert done.status_code == 200, done.text
        browser.headers["X-CSRF-Token"] = browser.cookies["csrf_token"]
        me = browser.get("/api/auth/me")
        assert me.status_code == 200 and me.json()["email"] == configured
        # Back as the other tests of this module expect it: no second factor.
        off = browser.post("/api/auth/mfa/disable", json={"code": codes[1]})
        assert off.status_code in (200, 204), off.text
