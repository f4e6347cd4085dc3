"""Sign-in with the employer's directory on a real (SQLite) database, the provider stood in
the process (an httpx transport: it is outside the platform). The ID tokens are signed with
real RSA keys by PyJWT; the platform's verification is the one it runs in production."""

import asyncio
import base64
import dataclasses
import hashlib
import json
import logging
import secrets
import socket
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select
from starlette.requests import Request

from identity.accounts.models import User
from identity.context import Context
from identity.models import Base, subject_data
from identity.oidc import api, service
from identity.oidc.client import Oidc, Refused, Unreachable
from identity.oidc.models import OidcLink, OidcLogin, OidcProvider, Refusal
from identity.oidc.schemas import ProviderSettings
from identity.sessions.models import Session
from identity.signin import service as signin
from identity.tenants.models import Tenant
from kit.auth import Principal
from kit.db import Database, utcnow
from kit.errors import Forbidden, Invalid, NotFound
from kit.mail import MAIL
from kit.privacy.declarations import Personal, declaration
from services.identity.tests.factories import NOW, add_tenant, add_user, enrol, outbox, principal_of

ISSUER = "https://login.directory.test/tenant-1/v2.0"
CLIENT_ID = "platform-client"
CLIENT_SECRET = "a-secret-of-the-client"


def _jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    public: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return public | {"kid": kid, "alg": "RS256", "use": "sig"}


class Directory:
    """A provider as the platform meets it over HTTP: discovery, keys, and a token endpoint
    that checks the client, the code (once) and the PKCE verifier, like a real one."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.codes: dict[str, dict[str, str]] = {}
        self.people = {"sub-0042": {"employee_number": "E-1042"}}
        #: The next ID token's claims changed, or signed by another key.
        self.tamper: dict[str, Any] = {}
        self.other_key: rsa.RSAPrivateKey | None = None
        self.token_calls = 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/tenant-1/v2.0/.well-known/openid-configuration":
            return httpx.Response(
                200,
                json={
                    "issuer": ISSUER,
                    "authorization_endpoint": "https://login.directory.test/authorize",
                    "token_endpoint": "https://login.directory.test/token",
                    "jwks_uri": "https://login.directory.test/keys",
                    "code_challenge_methods_supported": ["S256"],
                },
            )
        if path == "/keys":
            return httpx.Response(200, json={"keys": [_jwk(self.key, "k1")]})
        if path == "/token":
            return self.token(request)
        return httpx.Response(404)

    def authorize(self, location: str, sub: str = "sub-0042") -> tuple[str, str]:
        """The person signed in at the provider: the code and state sent back."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        assert query["response_type"] == "code"
        assert query["code_challenge_method"] == "S256"
        assert query["scope"].split()[0] == "openid"
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "sub": sub,
            "nonce": query["nonce"],
            "challenge": query["code_challenge"],
            "redirect_uri": query["redirect_uri"],
        }
        return code, query["state"]

    def token(self, request: httpx.Request) -> httpx.Response:
        self.token_calls += 1
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return httpx.Response(401, json={"error": "invalid_client"})
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        grant = self.codes.pop(form["code"], None)  # a code works once
        verifier = form.get("code_verifier", "")
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        if grant is None or grant["challenge"] != challenge:
            return httpx.Response(400, json={"error": "invalid_grant"})
        assert form["redirect_uri"] == grant["redirect_uri"]
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": grant["sub"],
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            "name": "Jeanne Dupont",
            "email": "jeanne@corp.test",
            **self.people.get(grant["sub"], {}),
        } | self.tamper
        key = self.other_key or self.key
        token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})
        return httpx.Response(200, json={"id_token": token, "token_type": "Bearer"})


@pytest.fixture
def directory() -> Directory:
    return Directory()


#: The test's name service: the directory's host name is a public address (Microsoft's).
NAMES = {"login.directory.test": ["20.190.128.1"]}


async def names(host: str, port: int) -> list[str]:
    if host not in NAMES:
        raise socket.gaierror(socket.EAI_NONAME, "unknown name")
    return NAMES[host]


@pytest.fixture
def oidc_ctx(ctx: Context, directory: Directory) -> Context:
    return dataclasses.replace(
        ctx,
        oidc=Oidc(ctx.settings, transport=httpx.MockTransport(directory.handler), resolver=names),
    )


def admin_of(tenant: Tenant, user: User) -> Principal:
    return Principal(
        user_id=user.id,
        tenant_id=tenant.id,
        tenant=tenant.slug,
        roles=frozenset({"tenant_admin"}),
        session_id="s",
    )


@pytest.fixture
async def tenant(database: Database, oidc_ctx: Context) -> Tenant:
    """The tenant ``demo`` with its provider configured by its admin, and the employee whose
    employee number is E-1042."""
    found = await add_tenant(database)
    admin = await add_user(database, found.id, "admin@demo.test", roles=["tenant_admin"])
    await add_user(database, found.id, "jeanne@demo.test", employee_number="E-1042")
    settings = ProviderSettings(
        issuer=ISSUER,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        match_claim="employee_number",
        extra_scopes="profile",
    )
    async with database.transaction() as db:
        await service.configure(
            db, oidc_ctx, principal=admin_of(found, admin), data=settings, now=NOW
        )
    return found


async def started(database: Database, ctx: Context) -> service.Started:
    return await service.start(database, ctx, tenant="demo", now=NOW)


async def finish(
    database: Database, ctx: Context, begun: service.Started, code: str, state: str, **kw: Any
) -> service.Outcome:
    args: dict[str, Any] = {
        "state": state,
        "code": code,
        "error": None,
        "issuer": None,
        "browser_token": begun.browser_token,
        "now": NOW,
    } | kw
    return await service.finish(database, ctx, **args)


async def sessions(database: Database) -> int:
    async with database.transaction() as db:
        return len(list(await db.scalars(select(Session))))


async def test_a_first_sign_in_links_the_account_by_its_employee_number_and_opens_a_session(
    database: Database, oidc_ctx: Context, directory: Directory, tenant: Tenant
) -> None:
    begun = await started(database, oidc_ctx)
    query = parse_qs(urlsplit(begun.location).query)
    assert begun.location.startswith("https://login.directory.test/authorize?")
    assert query["scope"] == ["openid profile"]
    assert query["redirect_uri"] == ["https://localhost:8443/api/auth/oidc/callback"]
    assert {"state", "nonce", "code_challenge", "client_id"} <= set(query)
    code, state = directory.authorize(begun.location)

    outcome = await finish(database, oidc_ctx, begun, code, state)

    assert outcome.refusal is None and outcome.session_token is not None
    principal = await principal_of(database, oidc_ctx, outcome.session_token)
    async with database.transaction() as db:
        jeanne = await db.scalar(select(User).where(User.email == "jeanne@demo.test"))
        links = list(await db.scalars(select(OidcLink)))
        pending = list(await db.scalars(select(OidcLogin)))
    assert jeanne is not None and principal.user_id == jeanne.id
    assert [(x.user_id, x.tenant_id, x.issuer, x.subject) for x in links] == [
        (jeanne.id, tenant.id, ISSUER, "sub-0042")
    ]
    assert pending == []  # the state is spent
    # Nothing else of the ID token is kept: the name and address it carried are nowhere.
    assert (jeanne.first_name, jeanne.email) == ("Alice", "jeanne@demo.test")

    # The next sign-in finds the account by its link alone, whatever the employee number says.
    directory.people["sub-0042"] = {"employee_number": "E-0000"}
    begun = await started(database, oidc_ctx)
    code, state = directory.authorize(begun.location)
    again = await finish(database, oidc_ctx, begun, code, state)
    assert again.session_token is not None
    assert (await principal_of(database, oidc_ctx, again.session_token)).user_id == jeanne.id


async def test_only_the_link_is_personal_data_and_it_is_declared(tenant: Tenant) -> None:
    tables = Base.metadata.tables
    personal = [
        c.name for c in tables["oidc_links"].columns if isinstance(declaration(c), Personal)
    ]
    assert set(personal) == {"user_id", "tenant_id", "issuer", "subject", "created_at"}
    for table in (tables["oidc_providers"], tables["oidc_logins"]):
        assert not any(isinstance(declaration(c), Personal) for c in table.columns)


@pytest.mark.parametrize(
    ("what", "refusal"),
    [
        ("tampered state", Refusal.STATE),
        ("another browser", Refusal.STATE),
        ("replayed code", Refusal.CODE),
        ("wrong nonce", Refusal.NONCE),
        ("other issuer", Refusal.TOKEN),
        ("other key", Refusal.TOKEN),
        ("other audience", Refusal.TOKEN),
        ("expired token", Refusal.TOKEN),
        ("issuer mix-up", Refusal.TOKEN),
        ("provider error", Refusal.PROVIDER),
        ("expired sign-in", Refusal.STATE),
    ],
)
async def test_a_bad_answer_is_refused_with_its_reason_and_no_session(
    database: Database,
    oidc_ctx: Context,
    directory: Directory,
    tenant: Tenant,
    what: str,
    refusal: Refusal,
) -> None:
    begun = await started(database, oidc_ctx)
    code, state = directory.authorize(begun.location)
    kw: dict[str, Any] = {}
    if what == "tampered state":
        state = state[:-2] + ("AA" if not state.endswith("AA") else "BB")
    elif what == "another browser":
        kw["browser_token"] = secrets.token_urlsafe(32)
    elif what == "replayed code":
        directory.codes[code + "x"] = directory.codes[code]  # a first use, elsewhere
        directory.codes.pop(code)
    elif what == "wrong nonce":
        directory.tamper = {"nonce": "another-sign-in"}
    elif what == "other issuer":
        directory.tamper = {"iss": "https://evil.test/"}
    elif what == "other key":
        directory.other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    elif what == "other audience":
        directory.tamper = {"aud": "another-client"}
    elif what == "expired token":
        directory.tamper = {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}
    elif what == "issuer mix-up":
        kw["issuer"] = "https://evil.test/"
    elif what == "provider error":
        kw["error"] = "access_denied"
    elif what == "expired sign-in":
        kw["now"] = NOW.replace(hour=11)

    outcome = await finish(database, oidc_ctx, begun, code, state, **kw)

    unknown = what in ("tampered state", "another browser")  # not sent back to the tenant
    assert outcome == service.Outcome(refusal=refusal, tenant=None if unknown else "demo")
    assert await sessions(database) == 0
    async with database.transaction() as db:
        assert list(await db.scalars(select(OidcLink))) == []
        # The pending sign-in is spent by any answer that named it (a retry starts again).
        left = list(await db.scalars(select(OidcLogin)))
    assert len(left) == (1 if what == "tampered state" else 0)


async def test_a_state_is_used_once(
    database: Database, oidc_ctx: Context, directory: Directory, tenant: Tenant
) -> None:
    begun = await started(database, oidc_ctx)
    code, state = directory.authorize(begun.location)
    assert (await finish(database, oidc_ctx, begun, code, state)).session_token is not None
    second = await finish(database, oidc_ctx, begun, code, state)
    assert second == service.Outcome(refusal=Refusal.STATE)
    assert directory.token_calls == 1  # the provider was not even asked


async def test_no_account_staff_and_already_linked_accounts_are_refused(
    database: Database, oidc_ctx: Context, directory: Directory, tenant: Tenant
) -> None:
    # Nobody has this employee number: no account is ever created.
    directory.people["sub-x"] = {"employee_number": "E-9999"}
    begun = await started(database, oidc_ctx)
    code, state = directory.authorize(begun.location, sub="sub-x")
    assert (await finish(database, oidc_ctx, begun, code, state)).refusal == Refusal.NO_ACCOUNT

    # A staff member's employee number: staff sign in with their password and second factor.
    await add_user(
        database, tenant.id, "dpo@demo.test", roles=["dpo", "employee"], employee_number="S-1"
    )
    directory.people["sub-dpo"] = {"employee_number": "S-1"}
    begun = await started(database, oidc_ctx)
    code, state = directory.authorize(begun.location, sub="sub-dpo")
    assert (await finish(database, oidc_ctx, begun, code, state)).refusal == Refusal.STAFF
    async with database.transaction() as db:
        assert list(await db.scalars(select(OidcLink))) == []  # and never linked

    # Jeanne linked; another subject presenting her number is not linked in her place.
    begun = await started(database, oidc_ctx)
    code, state = directory.authorize(begun.location)
    assert (await finish(database, oidc_ctx, begun, code, state)).session_token is not None
    directory.people["sub-impostor"] = {"employee_number": "E-1042"}
    begun = await started(database, oidc_ctx)
    code, state = directory.authorize(begun.location, sub="sub-impostor")
    assert (await finish(database, oidc_ctx, begun, code, state)).refusal == Refusal.NO_ACCOUNT
    assert await sessions(database) == 1


async def test_the_client_secret_is_stored_encrypted_and_settings_are_checked(
    database: Database, oidc_ctx: Context, directory: Directory, tenant: Tenant
) -> None:
    async with database.transaction() as db:
        stored = await db.scalar(select(OidcProvider))
        admin = await db.scalar(select(User).where(User.email == "admin@demo.test"))
    assert stored is not None and admin is not None
    assert CLIENT_SECRET not in stored.client_secret
    assert oidc_ctx.oidc.open(tenant.id, stored.client_secret) == CLIENT_SECRET
    principal = admin_of(tenant, admin)
    bad = [
        {"issuer": "http://login.directory.test/tenant-1/v2.0"},  # not https
        {"issuer": "https://login.directory.test/unknown"},  # no discovery document
        {"issuer": "https://10.0.0.7/v2.0"},  # an address: never into the platform's network
        {"issuer": "https://localhost/v2.0"},
        {"extra_scopes": "offline_access"},
    ]
    for change in bad:
        data = ProviderSettings(
            **{"issuer": ISSUER, "client_id": CLIENT_ID, "match_claim": "sub"} | change
        )
        with pytest.raises(Invalid):
            async with database.transaction() as db:
                await service.configure(db, oidc_ctx, principal=principal, data=data, now=NOW)
    # Left out, the secret is kept.
    async with database.transaction() as db:
        await service.configure(
            db,
            oidc_ctx,
            principal=principal,
            data=ProviderSettings(issuer=ISSUER, client_id=CLIENT_ID, match_claim="sub"),
            now=NOW,
        )
        kept = await db.scalar(select(OidcProvider))
        assert kept is not None and oidc_ctx.oidc.open(tenant.id, kept.client_secret) == (
            CLIENT_SECRET
        )
        assert await service.has_directory(db, "demo")
    async with database.transaction() as db:
        await service.remove(db, principal=principal)
    async with database.transaction() as db:
        assert not await service.has_directory(db, "demo")
    with pytest.raises(NotFound):
        await service.start(database, oidc_ctx, tenant="demo", now=NOW)


def test_only_https_host_names_are_called_never_the_platforms_network(ctx: Context) -> None:
    strict = ctx.oidc
    assert strict.usable_url("https://login.microsoftonline.com/t/v2.0")
    for url in (
        "http://login.directory.test",  # plain HTTP
        "https://10.0.0.7/v2.0",  # a private address
        "https://[::1]/",
        "https://127.0.0.1:8443/",
        "https://localhost/",
        "https://user:pw@login.directory.test/",
        "https://login.directory.test/#x",
        "https:///no-host",
    ):
        assert not strict.usable_url(url), url
    loose = ctx.settings.model_copy(update={"oidc_allow_http": True})
    assert any(p.startswith("OIDC_ALLOW_HTTP") for p in loose.production_problems())
    assert not any(p.startswith("OIDC_ALLOW_HTTP") for p in ctx.settings.production_problems())
    tests = Oidc(loose)
    assert tests.usable_url("http://127.0.0.1:4000")  # the tests' provider on loopback
    assert not tests.usable_url("http://10.0.0.7:4000")


async def test_the_link_is_exported_and_erased_with_the_person(
    database: Database, oidc_ctx: Context, directory: Directory, tenant: Tenant
) -> None:
    begun = await started(database, oidc_ctx)
    code, state = directory.authorize(begun.location)
    assert (await finish(database, oidc_ctx, begun, code, state)).session_token is not None
    async with database.transaction() as db:
        jeanne = await db.scalar(select(User).where(User.email == "jeanne@demo.test"))
        assert jeanne is not None
        exported = await subject_data.export(db, jeanne.id)
    assert [(r["issuer"], r["subject"]) for r in exported["oidc_links"]] == [(ISSUER, "sub-0042")]
    assert exported["users"][0]["employee_number"] == "E-1042"
    async with database.transaction() as db:
        report = await subject_data.erase(db, jeanne.id, now=NOW)
    assert {r.table: r.erased_rows for r in report}["oidc_links"] == 1
    async with database.transaction() as db:
        assert list(await db.scalars(select(OidcLink))) == []


# -- the audit's findings (H2, M1, M5, L1, L5) ---------------------------------------------------


async def _user(database: Database, email: str) -> User:
    async with database.transaction() as db:
        found = await db.scalar(select(User).where(User.email == email))
    assert found is not None
    return found


async def test_changing_the_directory_needs_a_recent_sign_in(
    database: Database, oidc_ctx: Context, tenant: Tenant
) -> None:
    """H2: an admin's stolen or idle session cannot repoint the tenant's sign-in."""
    admin = admin_of(tenant, await _user(database, "admin@demo.test"))
    data = ProviderSettings(issuer=ISSUER, client_id="another", match_claim="employee_number")
    for stale in (None, int(time.time()) - 3600):
        principal = dataclasses.replace(admin, auth_time=stale)
        async with database.transaction() as db:
            with pytest.raises(Forbidden):
                await api.configure(data, principal, db, oidc_ctx)
            with pytest.raises(Forbidden):
                await api.remove(principal, db)
    async with database.transaction() as db:
        assert (await service.provider_of(db, principal=admin)).client_id == CLIENT_ID
    fresh = dataclasses.replace(admin, auth_time=int(time.time()))
    async with database.transaction() as db:
        assert (await api.configure(data, fresh, db, oidc_ctx)).client_id == "another"
    async with database.transaction() as db:
        assert (await api.remove(fresh, db)).status_code == 204


async def test_the_other_admins_are_mailed_when_the_provider_changes(
    database: Database, oidc_ctx: Context, tenant: Tenant
) -> None:
    """H2: the tenant's other admins hear of a new issuer (and of its removal); the one who
    made the change and the employees do not."""
    await add_user(database, tenant.id, "second-admin@demo.test", roles=["tenant_admin"])
    await add_user(
        database, tenant.id, "gone-admin@demo.test", roles=["tenant_admin"], is_active=False
    )
    admin = admin_of(tenant, await _user(database, "admin@demo.test"))
    before = len(await outbox(database, MAIL))
    data = ProviderSettings(issuer=ISSUER, client_id=CLIENT_ID, match_claim="employee_number")
    async with database.transaction() as db:
        await service.configure(db, oidc_ctx, principal=admin, data=data, now=NOW)
    async with database.transaction() as db:
        await service.remove(db, principal=admin)
    mails = (await outbox(database, MAIL))[before:]
    assert [m["payload"]["to"] for m in mails] == ["second-admin@demo.test"] * 2
    assert ISSUER in mails[0]["payload"]["text"]
    assert "Directory sign-in changed" in mails[0]["payload"]["subject"]


async def test_a_first_link_is_mailed_to_the_person_and_logged_without_personal_data(
    database: Database,
    oidc_ctx: Context,
    directory: Directory,
    tenant: Tenant,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """H2: a link made by someone else (an issuer an admin controls) does not go unnoticed."""
    caplog.set_level(logging.INFO)  # the platform's own logs (a driver's DEBUG shows SQL)
    for _ in range(2):
        begun = await started(database, oidc_ctx)
        code, state = directory.authorize(begun.location)
        assert (await finish(database, oidc_ctx, begun, code, state)).session_token is not None
    mails = [m for m in await outbox(database, MAIL) if m["payload"]["to"] == "jeanne@demo.test"]
    assert len(mails) == 1  # the first link only
    assert "works council" in mails[0]["payload"]["text"]
    assert "comité social" in mails[0]["payload"]["text"]
    for secret in ("jeanne", "E-1042", "sub-0042", "Dupont"):
        assert secret not in caplog.text


async def test_an_account_with_a_second_factor_passes_it_after_the_directory(
    database: Database, oidc_ctx: Context, directory: Directory, tenant: Tenant
) -> None:
    """M1: the directory does not stand in for the authenticator app the person enrolled."""
    app = await enrol(database, oidc_ctx, await _user(database, "jeanne@demo.test"))
    begun = await started(database, oidc_ctx)
    code, state = directory.authorize(begun.location)
    outcome = await finish(database, oidc_ctx, begun, code, state)
    assert outcome.session_token is None and outcome.mfa_token is not None
    assert outcome.tenant == "demo"
    assert await sessions(database) == 0
    async with database.transaction() as db:
        wrong = await signin.second_step(
            db, oidc_ctx, mfa_token=outcome.mfa_token, code="000000", now=NOW
        )
    assert wrong.session_token is None
    async with database.transaction() as db:
        right = await signin.second_step(
            db, oidc_ctx, mfa_token=outcome.mfa_token, code=app.at(NOW), now=NOW
        )
    assert right.session_token is not None
    assert await sessions(database) == 1


async def test_the_callback_sends_a_second_factor_account_to_the_login_pages_second_step(
    database: Database, oidc_ctx: Context, directory: Directory, tenant: Tenant
) -> None:
    """M1: the callback's answer: the pending cookie of the password flow, and ``#/login?mfa=1``."""
    await enrol(database, oidc_ctx, await _user(database, "jeanne@demo.test"))
    begun = await service.start(database, oidc_ctx, tenant="demo", now=utcnow())
    code, state = directory.authorize(begun.location)

    class App:
        class state:  # noqa: N801 (what FastAPI's request.app.state looks like)
            db = database

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/api/auth/oidc/callback",
        "query_string": f"code={code}&state={state}".encode(),
        "headers": [(b"x-oidc-token", begun.browser_token.encode())],
        "app": App,
        "client": ("198.51.100.7", 1234),
    }
    response = await api.callback(Request(scope), oidc_ctx)
    assert response.headers["location"] == "/#/login?mfa=1&tenant=demo"
    cookies = response.headers.getlist("set-cookie")
    assert any(c.startswith("__Host-mfa=") and "samesite=strict" in c.lower() for c in cookies)
    assert not any(c.startswith("__Host-session") for c in cookies)


async def test_the_provider_is_called_with_a_deadline_a_size_cap_and_no_transaction_open(
    database: Database, ctx: Context, directory: Directory, tenant: Tenant
) -> None:
    """M5: a slow or endless provider costs identity a bounded time and memory, and holds no
    database transaction (the pending sign-in is spent and committed before the call)."""
    seen: list[int] = []

    async def provider(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            async with database.transaction() as db:  # another connection: committed rows only
                seen.append(len(list(await db.scalars(select(OidcLogin)))))
        if request.url.path == "/slow/.well-known/openid-configuration":
            await asyncio.sleep(5)
        if request.url.path == "/huge/.well-known/openid-configuration":
            return httpx.Response(200, content=b" " * (300 * 1024) + b"{}")
        if request.url.path == "/endless/.well-known/openid-configuration":

            async def endless() -> AsyncIterator[bytes]:
                while True:  # no length announced, never ending
                    await asyncio.sleep(0)
                    yield b" " * 4096

            return httpx.Response(200, content=endless())
        return directory.handler(request)

    settings = ctx.settings.model_copy(update={"oidc_deadline_seconds": 0.3})
    oidc = Oidc(settings, transport=httpx.MockTransport(provider), resolver=names)
    quick = dataclasses.replace(ctx, oidc=oidc)
    begun = await started(database, quick)
    code, state = directory.authorize(begun.location)
    assert (await finish(database, quick, begun, code, state)).session_token is not None
    assert seen == [0]  # the pending sign-in was already gone for everyone
    at = time.monotonic()
    with pytest.raises(Unreachable):
        await oidc.discovery("https://login.directory.test/slow", fresh=True)
    assert time.monotonic() - at < 2
    with pytest.raises(Unreachable):
        await oidc.discovery("https://login.directory.test/huge", fresh=True)
    patient = Oidc(
        ctx.settings.model_copy(update={"oidc_deadline_seconds": 8.0}),
        transport=httpx.MockTransport(provider),
        resolver=names,
    )
    at = time.monotonic()
    with pytest.raises(Unreachable):  # cut at the size cap, long before the deadline
        await patient.discovery("https://login.directory.test/endless", fresh=True)
    assert time.monotonic() - at < 4


async def test_addresses_are_resolved_and_must_be_public_on_port_443(
    ctx: Context, database: Database, oidc_ctx: Context, tenant: Tenant
) -> None:
    """L1: a host name that means loopback or the platform's network is refused, whatever its
    spelling; so is a port other than 443. The tests' setting allows loopback only."""

    async def lan(host: str, port: int) -> list[str]:
        return {"postgres": ["172.18.0.3"], "both.test": ["20.190.128.1", "10.0.0.9"]}.get(
            host
        ) or await names(host, port)

    real = Oidc(ctx.settings)  # the machine's own resolver
    for url in ("https://127.1/", "https://2130706433/", "https://0x7f.1/", "https://0/"):
        assert not await real.reachable_url(url), url
    strict = Oidc(ctx.settings, resolver=lan)
    assert await strict.reachable_url("https://login.directory.test/v2.0")
    assert await strict.reachable_url("https://login.directory.test:443/v2.0")
    for url in (
        "https://postgres/",
        "https://postgres:5432/",
        "https://login.directory.test:8443/",  # another port
        "https://both.test/",  # one private address among public ones
        "https://unknown.test/",  # no address at all
    ):
        assert not await strict.reachable_url(url), url
    loose = Oidc(ctx.settings.model_copy(update={"oidc_allow_http": True}))
    assert await loose.reachable_url("http://127.0.0.1:4000/")
    assert not await loose.reachable_url("http://10.0.0.7:4000/")
    admin = admin_of(tenant, await _user(database, "admin@demo.test"))
    data = ProviderSettings(issuer="https://127.1/v2.0", client_id="x", match_claim="sub")
    with pytest.raises(Invalid):
        async with database.transaction() as db:
            await service.configure(db, oidc_ctx, principal=admin, data=data, now=NOW)


async def test_two_first_sign_ins_at_once_end_in_a_clean_refusal(
    database: Database, oidc_ctx: Context, directory: Directory, tenant: Tenant
) -> None:
    """L5: the unique link met by the second of two simultaneous first sign-ins is a refusal
    (``link``), never a server error; the transaction stays usable."""
    jeanne = await _user(database, "jeanne@demo.test")
    async with database.transaction() as db:
        await service.link(db, jeanne, issuer=ISSUER, subject="sub-0042", now=NOW)
    async with database.transaction() as db:
        with pytest.raises(Refused) as raced:
            await service.link(db, jeanne, issuer=ISSUER, subject="sub-other", now=NOW)
        assert raced.value.refusal == Refusal.LINK
        assert len(list(await db.scalars(select(OidcLink)))) == 1
