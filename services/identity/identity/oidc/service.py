"""Sign-in with the employer's directory: the tenant admin's provider settings, the start of a
sign-in (state, nonce, PKCE), and its return (the code exchanged, the ID token verified, the
account found by its link or linked by its employee number, the platform's own session).
No HTTP of the platform's here; the provider is reached through ``Context.oidc``, and never
while a database transaction is open (``start`` and ``finish`` take the ``Database`` and open
short transactions around the provider's calls).

Accounts are matched by a stable claim, never by an email address: the link (tenant, issuer,
subject) once made, and at a first sign-in the account of the tenant whose employee number
(from the employer's import) equals the ID token's ``match_claim``. Nobody is created here:
the employer's import makes the accounts. Staff (tenant admin, agent, DPO, platform admin)
keep signing in with their password and second factor; an employee who enrolled a second
factor passes it after the directory too. A first link is mailed to the person, and a change
of provider to the tenant's other admins: an admin who points the tenant at an issuer they
control cannot sign in as an employee unnoticed."""

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from identity.accounts import repository as accounts
from identity.accounts.models import User
from identity.base import SecurityEvent, events
from identity.context import Context
from identity.mfa.totp import staff
from identity.oidc import repository
from identity.oidc.client import Refused, Unreachable, pkce_challenge, sha256
from identity.oidc.models import OidcLink, OidcLogin, OidcProvider, Refusal
from identity.oidc.schemas import ProviderSettings
from identity.sessions.service import Client
from identity.signin.service import complete_login, pending_second_step
from identity.tenants import repository as tenants
from identity.tenants.models import Tenant
from kit.auth import Principal, Role
from kit.db import Database
from kit.errors import Invalid, NotFound, Unavailable
from kit.mail import queue_mail
from kit.security import security_event

CALLBACK_PATH = "/api/auth/oidc/callback"
NO_PROVIDER = "this company has no sign-in through its directory"
#: Scopes that would hand the platform more than it needs (a refresh token).
REFUSED_SCOPES = frozenset({"offline_access"})

#: The mail to the tenant's other admins when the provider is set, changed or removed.
PROVIDER_MAIL = (
    "Connexion par l'annuaire modifiée / Directory sign-in changed",
    "Bonjour,\n\nUn administrateur de votre entreprise vient de modifier la connexion par "
    "l'annuaire de l'entreprise sur la plateforme (émetteur : {issuer}). Si ce changement "
    "n'était pas prévu, vérifiez-le dans « Connexion » et prévenez votre délégué à la "
    "protection des données.\n\nHello,\n\nAn administrator of your company just changed "
    "the sign-in with the company's directory on the platform (issuer: {issuer}). If this "
    'change was not planned, check it under "Sign-in" and tell your data protection '
    "officer.\n",
)
#: The mail to a person whose account was just linked to the directory (a first sign-in).
LINKED_MAIL = (
    "Votre compte est relié à l'annuaire de votre entreprise / Your account was linked to "
    "your company's directory",
    "Bonjour,\n\nVotre compte vient d'être relié à l'annuaire de votre entreprise : vous "
    "pouvez vous connecter avec votre compte entreprise. Si ce n'était pas vous, prévenez "
    "votre comité social et économique (CSE) et réinitialisez votre mot de passe.\n\n"
    "Hello,\n\nYour account was just linked to your company's directory: you can sign in "
    "with your company account. If it was not you, tell your works council and reset your "
    "password.\n",
)


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
    if "?" in data.issuer or not await ctx.oidc.reachable_url(data.issuer):
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
    await _tell_admins(db, principal, data.issuer)
    return found


async def remove(db: AsyncSession, *, principal: Principal) -> None:
    """The tenant stops signing in through its directory: its provider and every link go."""
    if not await repository.delete_provider(db, principal.tenant_id):
        raise NotFound(NO_PROVIDER)
    await repository.delete_links(db, principal.tenant_id)
    security_event(SecurityEvent.OIDC_CONFIGURED, service="identity", account=principal.user_id)
    await _tell_admins(db, principal, "-")


async def _tell_admins(db: AsyncSession, principal: Principal, issuer: str) -> None:
    """The tenant's other admins hear of a change of its provider (the one who made it
    knows): pointing the tenant at another issuer is how one would sign in as an employee."""
    admins = await accounts.active_users_with_role(
        db, tenant_id=principal.tenant_id, role=str(Role.TENANT_ADMIN)
    )
    subject, text = PROVIDER_MAIL
    for admin in admins:
        if admin.id != principal.user_id:
            await queue_mail(
                db,
                events,
                to=admin.email,
                tenant=admin.tenant_id,
                subject=subject,
                text=text.format(issuer=issuer),
            )


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


async def start(database: Database, ctx: Context, *, tenant: str, now: datetime) -> Started:
    """A sign-in through the tenant's provider: a random state (and a cookie binding it to
    this browser), a nonce, a PKCE verifier (S256), kept ``oidc_login_minutes``, used once.
    The provider's discovery document is read between two transactions."""
    async with database.transaction() as db:
        found = await _open_tenant(db, tenant)
        provider = await repository.provider_of(db, found.id)
        if provider is None:
            raise NotFound(NO_PROVIDER)
        tenant_id, issuer = found.id, provider.issuer
        client_id, scopes = provider.client_id, provider.extra_scopes
    try:
        discovery = await ctx.oidc.discovery(issuer)
    except Unreachable as exc:
        raise Unavailable("the company's directory cannot be reached; try again later") from exc
    state, nonce, verifier, browser = (secrets.token_urlsafe(32) for _ in range(4))
    async with database.transaction() as db:
        db.add(
            OidcLogin(
                tenant_id=tenant_id,
                state_hash=sha256(state),
                browser_hash=sha256(browser),
                nonce=nonce,
                code_verifier=verifier,
                expires_at=now + timedelta(minutes=ctx.settings.oidc_login_minutes),
            )
        )
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri(ctx),
            "scope": " ".join(["openid", *scopes.split()]),
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
    """A sign-in's return: a session, a pending second step (the account has a second
    factor), or why not (and the tenant to send the browser back to when it is known)."""

    session_token: str | None = None
    refusal: Refusal | None = None
    tenant: str | None = None
    #: The account has a second factor: the pending second step's token (``__Host-mfa``).
    mfa_token: str | None = None


@dataclass(frozen=True)
class _Pending:
    """What the provider's calls need of a pending sign-in, once it is spent."""

    tenant_id: str
    slug: str
    issuer: str
    client_id: str
    client_secret: str
    nonce: str
    code_verifier: str


async def finish(
    database: Database,
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
    """The provider sent the browser back. The pending sign-in of ``state`` is spent first, in
    its own committed transaction, whatever happens next; it must belong to this browser and
    be live. Then, with no transaction open, the code is exchanged with the PKCE verifier and
    the ID token verified (signature, issuer, audience, expiry, nonce); then, in a new
    transaction, the account is found or linked and signed in (or its second step is due)."""
    async with database.transaction() as db:
        pending = await _spend(db, ctx, state, browser_token, error, code, issuer, now)
    if isinstance(pending, Outcome):
        return pending
    account: str | None = None  # for the security log (the session ends with the block)
    try:
        claims = await _verified(ctx, pending, code=str(code))
        async with database.transaction() as db:
            user = await _account(db, pending, claims, now)
            if user is None or not user.is_active:
                raise Refused(Refusal.NO_ACCOUNT, "no account of the tenant matches")
            account = user.id
            if staff(user.roles):
                raise Refused(Refusal.STAFF, "staff sign in with their password")
            client = client or Client()
            if user.totp_secret:
                # The same second step as after the password: the directory does not stand in
                # for the factor the person enrolled.
                mfa = await pending_second_step(db, ctx, user=user, client=client, now=now)
                return Outcome(tenant=pending.slug, mfa_token=mfa)
            token = await complete_login(db, ctx, user=user, client=client, now=now)
    except Refused as refused:
        return _refused(refused.refusal, refused.reason, pending.slug, account)
    return Outcome(session_token=token, tenant=pending.slug)


async def _spend(
    db: AsyncSession,
    ctx: Context,
    state: str | None,
    browser_token: str | None,
    error: str | None,
    code: str | None,
    issuer: str | None,
    now: datetime,
) -> _Pending | Outcome:
    """The pending sign-in of ``state``, deleted (the caller commits it, a refusal too), with
    what the provider's calls need; or the refusal."""
    login = await repository.take_login(db, state_hash=sha256(state)) if state else None
    if login is None:
        return _refused(Refusal.STATE, "unknown or used state")
    await db.delete(login)
    await db.flush()
    slug = None  # the tenant to send the browser back to, once it is known to be open
    try:
        if not browser_token or not hmac.compare_digest(sha256(browser_token), login.browser_hash):
            raise Refused(Refusal.STATE, "the sign-in was started by another browser")
        tenant = await tenants.tenant_by_id(db, login.tenant_id)
        if tenant is None or tenant.closed_at is not None:
            raise Refused(Refusal.STATE, "the tenant is closed")
        slug = tenant.slug
        if login.expires_at <= now:
            raise Refused(Refusal.STATE, "the sign-in expired")
        if error is not None or not code:
            raise Refused(Refusal.PROVIDER, "the provider answered an error")
        provider = await repository.provider_of(db, tenant.id)
        if provider is None:
            raise Refused(Refusal.STATE, "the tenant's provider was removed")
        if issuer is not None and issuer != provider.issuer:  # RFC 9207: providers mixed up
            raise Refused(Refusal.TOKEN, "the answer names another issuer")
    except Refused as refused:
        return _refused(refused.refusal, refused.reason, slug)
    return _Pending(
        tenant_id=tenant.id,
        slug=tenant.slug,
        issuer=provider.issuer,
        client_id=provider.client_id,
        client_secret=ctx.oidc.open(tenant.id, provider.client_secret),
        nonce=login.nonce,
        code_verifier=login.code_verifier,
    )


async def _verified(ctx: Context, pending: _Pending, *, code: str) -> dict[str, Any]:
    """The verified claims of the ID token the code is exchanged for; ``Refused``
    otherwise. No database here: the provider may be slow."""
    try:
        discovery = await ctx.oidc.discovery(pending.issuer)
    except Unreachable as exc:
        raise Refused(Refusal.CODE, "the provider could not be reached") from exc
    id_token = await ctx.oidc.exchange(
        discovery,
        client_id=pending.client_id,
        client_secret=pending.client_secret,
        code=code,
        redirect_uri=redirect_uri(ctx),
        code_verifier=pending.code_verifier,
    )
    return await ctx.oidc.verify(
        discovery, id_token, client_id=pending.client_id, nonce=pending.nonce
    )


async def _account(
    db: AsyncSession, pending: _Pending, claims: dict[str, Any], now: datetime
) -> User | None:
    """The account of the ID token's subject: by its link, else (a first sign-in) the
    tenant's account whose employee number is the ``match_claim``'s value and which no other
    subject of this provider is linked to yet; the link is made then, and the person told."""
    provider = await repository.provider_of(db, pending.tenant_id)
    if provider is None or provider.issuer != pending.issuer:
        raise Refused(Refusal.STATE, "the tenant's provider changed during the sign-in")
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
    user = await accounts.user_by_employee_number(
        db, tenant_id=provider.tenant_id, employee_number=value.strip()
    )
    if user is None or not user.is_active:
        return None
    if staff(user.roles):
        return user  # refused by the caller: never linked, staff keep their second factor
    if await repository.link_of(db, user_id=user.id, issuer=provider.issuer) is not None:
        return None  # linked to another subject of this directory: never moved silently
    await link(db, user, issuer=provider.issuer, subject=subject, now=now)
    return user


async def link(db: AsyncSession, user: User, *, issuer: str, subject: str, now: datetime) -> None:
    """Link ``user`` to the directory's ``subject`` and mail the person at their account's
    address. Two first sign-ins at the same time: the second meets the unique constraint and
    is refused (``Refusal.LINK``), never a server error."""
    try:
        async with db.begin_nested():
            db.add(
                OidcLink(
                    user_id=user.id,
                    tenant_id=user.tenant_id,
                    issuer=issuer,
                    subject=subject,
                    created_at=now,
                )
            )
    except IntegrityError as exc:
        raise Refused(Refusal.LINK, "the account was linked at the same time") from exc
    security_event(SecurityEvent.OIDC_LINKED, service="identity", account=user.id)
    subject_line, text = LINKED_MAIL
    await queue_mail(
        db, events, to=user.email, tenant=user.tenant_id, subject=subject_line, text=text
    )


def _refused(
    refusal: Refusal, reason: str, tenant: str | None = None, account: str | None = None
) -> Outcome:
    security_event(
        SecurityEvent.OIDC_SIGNIN_REFUSED,
        service="identity",
        account=account,
        detail=f"{refusal}: {reason}",
    )
    return Outcome(refusal=refusal, tenant=tenant)
