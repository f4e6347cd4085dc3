"""Sign-in with the employer's directory: the tenant admin's provider settings, the start of a
sign-in (state, nonce, PKCE), and its return (the code exchanged, the ID token verified, the
account found by its link or linked by its employee number, the platform's own session).
No HTTP of the platform's here; the provider is reached through ``Context.oidc``.

Accounts are matched by a stable claim, never by an email address: the link (tenant, issuer,
subject) once made, and at a first sign-in the account of the tenant whose employee number
(from the employer's import) equals the ID token's ``match_claim``. Nobody is created here:
the employer's import makes the accounts. Staff (tenant admin, agent, DPO, platform admin)
keep signing in with their password and second factor."""

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession

from identity.accounts.models import User
from identity.base import SecurityEvent
from identity.context import Context
from identity.mfa.totp import staff
from identity.oidc import repository
from identity.oidc.client import Refused, Unreachable, pkce_challenge, sha256
from identity.oidc.models import OidcLink, OidcLogin, OidcProvider, Refusal
from identity.oidc.schemas import ProviderSettings
from identity.sessions.service import Client
from identity.signin.service import complete_login
from identity.tenants import repository as tenants
from identity.tenants.models import Tenant
from kit.auth import Principal
from kit.errors import Invalid, NotFound, Unavailable
from kit.security import security_event

CALLBACK_PATH = "/api/auth/oidc/callback"
NO_PROVIDER = "this company has no sign-in through its directory"
#: Scopes that would hand the platform more than it needs (a refresh token).
REFUSED_SCOPES = frozenset({"offline_access"})


def redirect_uri(ctx: Context) -> str:
    return ctx.settings.public_origins[0] + CALLBACK_PATH


# -- the tenant admin's settings ---------------------------------------------------------------


async def provider_of(db: AsyncSession, *, principal: Principal) -> OidcProvider:
    found = await repository.provider_of(db, principal.tenant_id)
    if found is None:
        raise NotFound(NO_PROVIDER)
    return found


async def configure(
    db: AsyncSession, ctx: Context, *, principal: Principal, data: ProviderSettings, now: datetime
) -> OidcProvider:
    """Set the tenant's provider, once its discovery document was read and names the issuer
    (422 otherwise, nothing changed). A new issuer drops the links made with the former one."""
    if not ctx.oidc.usable_url(data.issuer) or "?" in data.issuer:
        raise Invalid("the issuer must be an https:// address without query or fragment")
    scopes = data.extra_scopes.split()
    if REFUSED_SCOPES.intersection(scopes) or "openid" in scopes:
        raise Invalid("extra_scopes: openid is always asked, offline_access never")
    try:
        await ctx.oidc.discovery(data.issuer, fresh=True)
    except Unreachable as exc:
        raise Invalid(f"the issuer's discovery document is not usable: {exc}") from exc
    found = await repository.provider_of(db, principal.tenant_id)
    if found is None:
        if data.client_secret is None:
            raise Invalid("client_secret is required")
        found = OidcProvider(tenant_id=principal.tenant_id)
        db.add(found)
    elif found.issuer != data.issuer:
        await repository.delete_links(db, principal.tenant_id)
    found.issuer = data.issuer
    found.client_id = data.client_id
    if data.client_secret is not None:
        found.client_secret = ctx.oidc.seal(principal.tenant_id, data.client_secret)
    found.match_claim = data.match_claim
    found.extra_scopes = " ".join(dict.fromkeys(scopes))
    found.updated_at = now
    await db.flush()
    security_event(SecurityEvent.OIDC_CONFIGURED, service="identity", account=principal.user_id)
    return found


async def remove(db: AsyncSession, *, principal: Principal) -> None:
    """The tenant stops signing in through its directory: its provider and every link go."""
    if not await repository.delete_provider(db, principal.tenant_id):
        raise NotFound(NO_PROVIDER)
    await repository.delete_links(db, principal.tenant_id)
    security_event(SecurityEvent.OIDC_CONFIGURED, service="identity", account=principal.user_id)


async def has_directory(db: AsyncSession, slug: str) -> bool:
    tenant = await _open_tenant(db, slug)
    return await repository.provider_of(db, tenant.id) is not None


async def _open_tenant(db: AsyncSession, slug: str) -> Tenant:
    found = await tenants.tenant_by_slug(db, slug.lower())
    if found is None or found.closed_at is not None:
        raise NotFound("tenant not found")
    return found


# -- a sign-in -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Started:
    #: The provider's authorization endpoint with this sign-in's parameters.
    location: str
    #: The browser's proof that it started this sign-in (the ``__Host-oidc`` cookie).
    browser_token: str


async def start(db: AsyncSession, ctx: Context, *, tenant: str, now: datetime) -> Started:
    """A sign-in through the tenant's provider: a random state (and a cookie binding it to
    this browser), a nonce, a PKCE verifier (S256), kept ``oidc_login_minutes``, used once."""
    found = await _open_tenant(db, tenant)
    provider = await repository.provider_of(db, found.id)
    if provider is None:
        raise NotFound(NO_PROVIDER)
    try:
        discovery = await ctx.oidc.discovery(provider.issuer)
    except Unreachable as exc:
        raise Unavailable("the company's directory cannot be reached; try again later") from exc
    state, nonce, verifier, browser = (secrets.token_urlsafe(32) for _ in range(4))
    db.add(
        OidcLogin(
            tenant_id=found.id,
            state_hash=sha256(state),
            browser_hash=sha256(browser),
            nonce=nonce,
            code_verifier=verifier,
            expires_at=now + timedelta(minutes=ctx.settings.oidc_login_minutes),
        )
    )
    await db.flush()
    query = urlencode(
        {
            "response_type": "code",
            "client_id": provider.client_id,
            "redirect_uri": redirect_uri(ctx),
            "scope": " ".join(["openid", *provider.extra_scopes.split()]),
            "state": state,
            "nonce": nonce,
            "code_challenge": pkce_challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    separator = "&" if "?" in discovery.authorization_endpoint else "?"
    return Started(f"{discovery.authorization_endpoint}{separator}{query}", browser)


@dataclass(frozen=True)
class Outcome:
    """A sign-in's return: a session, or why not (and the tenant to send the browser back to
    when it is known)."""

    session_token: str | None = None
    refusal: Refusal | None = None
    tenant: str | None = None


async def finish(
    db: AsyncSession,
    ctx: Context,
    *,
    state: str | None,
    code: str | None,
    error: str | None,
    issuer: str | None,
    browser_token: str | None,
    now: datetime,
    client: Client | None = None,
) -> Outcome:
    """The provider sent the browser back. The pending sign-in of ``state`` is spent whatever
    happens next (the caller commits a refusal too); it must belong to this browser and be
    live. Then the code is exchanged with the PKCE verifier, the ID token verified (signature,
    issuer, audience, expiry, nonce), and the account found or linked."""
    login = await repository.take_login(db, state_hash=sha256(state)) if state else None
    if login is None:
        return _refused(Refusal.STATE, "unknown or used state")
    await db.delete(login)
    await db.flush()
    if not browser_token or not hmac.compare_digest(sha256(browser_token), login.browser_hash):
        return _refused(Refusal.STATE, "the sign-in was started by another browser")
    tenant = await tenants.tenant_by_id(db, login.tenant_id)
    if tenant is None or tenant.closed_at is not None:
        return _refused(Refusal.STATE, "the tenant is closed")
    user = None
    try:
        if login.expires_at <= now:
            raise Refused(Refusal.STATE, "the sign-in expired")
        if error is not None or not code:
            raise Refused(Refusal.PROVIDER, "the provider answered an error")
        provider, claims = await _verified(db, ctx, login, tenant, code=code, issuer=issuer)
        user = await _account(db, provider, claims, now)
        if user is None or not user.is_active:
            raise Refused(Refusal.NO_ACCOUNT, "no account of the tenant matches")
        if staff(user.roles):
            raise Refused(Refusal.STAFF, "staff sign in with their password")
    except Refused as refused:
        return _refused(refused.refusal, refused.reason, tenant.slug, user)
    assert user is not None
    token = await complete_login(db, ctx, user=user, client=client or Client(), now=now)
    return Outcome(session_token=token, tenant=tenant.slug)


async def _verified(
    db: AsyncSession,
    ctx: Context,
    login: OidcLogin,
    tenant: Tenant,
    *,
    code: str,
    issuer: str | None,
) -> tuple[OidcProvider, dict[str, Any]]:
    """The tenant's provider and the verified claims of the ID token the code is exchanged
    for; ``Refused`` otherwise."""
    provider = await repository.provider_of(db, tenant.id)
    if provider is None:
        raise Refused(Refusal.STATE, "the tenant's provider was removed")
    if issuer is not None and issuer != provider.issuer:  # RFC 9207: a mix-up of providers
        raise Refused(Refusal.TOKEN, "the answer names another issuer")
    try:
        discovery = await ctx.oidc.discovery(provider.issuer)
    except Unreachable as exc:
        raise Refused(Refusal.CODE, "the provider could not be reached") from exc
    id_token = await ctx.oidc.exchange(
        discovery,
        client_id=provider.client_id,
        client_secret=ctx.oidc.open(tenant.id, provider.client_secret),
        code=code,
        redirect_uri=redirect_uri(ctx),
        code_verifier=login.code_verifier,
    )
    claims = await ctx.oidc.verify(
        discovery, id_token, client_id=provider.client_id, nonce=login.nonce
    )
    return provider, claims


async def _account(
    db: AsyncSession, provider: OidcProvider, claims: dict[str, Any], now: datetime
) -> User | None:
    """The account of the ID token's subject: by its link, else (a first sign-in) the
    tenant's account whose employee number is the ``match_claim``'s value and which no other
    subject of this provider is linked to yet; the link is made then."""
    subject = str(claims["sub"])
    user = await repository.linked_user(
        db, tenant_id=provider.tenant_id, issuer=provider.issuer, subject=subject
    )
    if user is not None:
        return user
    value = claims.get(provider.match_claim)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        return None
    user = await repository.user_by_employee_number(
        db, tenant_id=provider.tenant_id, employee_number=value.strip()
    )
    if user is None or not user.is_active:
        return None
    if staff(user.roles):
        return user  # refused by the caller: never linked, staff keep their second factor
    if await repository.link_of(db, user_id=user.id, issuer=provider.issuer) is not None:
        return None  # linked to another subject of this directory: never moved silently
    db.add(
        OidcLink(
            user_id=user.id,
            tenant_id=provider.tenant_id,
            issuer=provider.issuer,
            subject=subject,
            created_at=now,
        )
    )
    await db.flush()
    security_event(SecurityEvent.OIDC_LINKED, service="identity", account=user.id)
    return user


def _refused(
    refusal: Refusal, reason: str, tenant: str | None = None, user: User | None = None
) -> Outcome:
    security_event(
        SecurityEvent.OIDC_SIGNIN_REFUSED,
        service="identity",
        account=user.id if user else None,
        detail=f"{refusal}: {reason}",
    )
    return Outcome(refusal=refusal, tenant=tenant)
