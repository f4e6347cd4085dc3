"""Passwords: the person changes theirs; a single-use link sent by email sets a new one (a
reset, 30 minutes) or the first one (an invitation, 7 days). No HTTP here.

A link carries a random 256-bit token in its fragment (never sent to a server's logs); only
the token's SHA-256 is stored; using it once spends it.
"""

import secrets
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from identity.accounts import repository as accounts
from identity.accounts.models import User
from identity.accounts.service import CredentialChange, current_user, tell_credentials_changed
from identity.base import Event, SecurityEvent, events
from identity.config import Settings
from identity.context import Context
from identity.passwords import repository
from identity.passwords.hashing import check_policy
from identity.passwords.models import AccountToken, LinkPurpose
from identity.sessions import repository as sessions
from identity.sessions.service import hash_token, open_session
from identity.signin import repository as signin
from identity.tenants import repository as tenants
from kit.auth import Principal
from kit.errors import BadRequest, Forbidden
from kit.mail import queue_mail
from kit.security import security_event

INVALID_LINK = "this link is invalid, already used or expired"
#: One reset link a minute at most per account.
RESET_EVERY = timedelta(minutes=1)


# -- the links ---------------------------------------------------------------------------------


def lifetime(settings: Settings, purpose: LinkPurpose) -> timedelta:
    if purpose == LinkPurpose.RESET:
        return timedelta(minutes=settings.reset_minutes)
    return timedelta(days=settings.invite_days)


async def issue(
    db: AsyncSession, settings: Settings, *, user: User, purpose: LinkPurpose, now: datetime
) -> str:
    """A new link for ``user``; any earlier unused link of the same purpose stops working."""
    await repository.expire_links(db, user_id=user.id, purpose=purpose, now=now)
    token = secrets.token_urlsafe(32)
    db.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + lifetime(settings, purpose),
        )
    )
    return token


def url(settings: Settings, purpose: LinkPurpose, token: str) -> str:
    """The front end's page, with the token in the fragment (``#token=...``)."""
    page = "reset-password" if purpose == LinkPurpose.RESET else "set-password"
    return f"{settings.public_origins[0]}/{page}#token={token}"


async def send(
    db: AsyncSession, settings: Settings, *, user: User, purpose: LinkPurpose, now: datetime
) -> None:
    """Issue a link and mail it to the account's address (through the outbox)."""
    token = await issue(db, settings, user=user, purpose=purpose, now=now)
    subject, text = message(settings, purpose, url(settings, purpose, token))
    await queue_mail(db, events, to=user.email, tenant=user.tenant_id, subject=subject, text=text)


def message(settings: Settings, purpose: LinkPurpose, link: str) -> tuple[str, str]:
    """The mail of a link: its subject and text, French first, then English."""
    if purpose == LinkPurpose.RESET:
        minutes = settings.reset_minutes
        return (
            "Réinitialisation de votre mot de passe / Password reset",
            f"Bonjour,\n\nPour choisir un nouveau mot de passe, ouvrez ce lien dans les "
            f"{minutes} minutes :\n{link}\n\nSi vous n'avez rien demandé, ignorez ce message.\n\n"
            f"Hello,\n\nTo choose a new password, open this link within {minutes} minutes:\n"
            f"{link}\n\nIf you did not ask for it, ignore this message.\n",
        )
    days = settings.invite_days
    return (
        "Votre accès au site de votre CSE / Your access to your works council's site",
        f"Bonjour,\n\nVotre employeur a ouvert votre compte sur le site de votre CSE. "
        f"Choisissez votre mot de passe dans les {days} jours :\n{link}\n\n"
        f"Hello,\n\nYour employer opened your account on your works council's site. "
        f"Choose your password within {days} days:\n{link}\n",
    )


async def redeem(db: AsyncSession, *, token: str, now: datetime) -> AccountToken | None:
    """The link's row if it is unused and unexpired, now spent; None otherwise."""
    found = await repository.link_for_update(db, token_hash=hash_token(token))
    if found is None or found.used_at is not None or found.expires_at <= now:
        return None
    found.used_at = now
    return found


# -- resets and changes ------------------------------------------------------------------------


async def request_reset(
    db: AsyncSession, ctx: Context, *, tenant: str, email: str, now: datetime
) -> None:
    """Mail a reset link if the account exists and is active, in a tenant not closed; the
    caller answers the same either way. One link a minute at most per account."""
    found = await tenants.tenant_by_slug(db, tenant)
    if found is not None and found.closed_at is not None:
        return  # the client's contract ended: nobody of it signs in again
    user = found and await accounts.user_by_email(db, tenant_id=found.id, email=email)
    if not user or not user.is_active:
        return
    if await repository.recent_link(
        db, user_id=user.id, purpose=LinkPurpose.RESET, since=now - RESET_EVERY
    ):
        return
    await send(db, ctx.settings, user=user, purpose=LinkPurpose.RESET, now=now)


async def confirm_reset(
    db: AsyncSession,
    ctx: Context,
    *,
    token: str,
    password: str,
    now: datetime,
    device_cookie: str | None = None,
) -> str:
    """Set the password from a reset or invitation link, once; every session of the account
    ends. A password that fails the policy is refused before the link is spent.

    The account's failed sign-ins are forgotten (whoever was guessing now guesses a new
    password), and the browser that opened the mailed link, which proved it holds the
    account's mailbox, is trusted like one that signed in: the device cookie to set is
    returned, so the owner gets in even while a guesser keeps the account locked."""
    check_policy(password)
    link = await redeem(db, token=token, now=now)
    user = link and await accounts.user_by_id_any_tenant(db, link.user_id)
    tenant = user and await tenants.tenant_by_id(db, user.tenant_id)
    if not link or not user or not user.is_active or not tenant:
        raise BadRequest(INVALID_LINK)
    user.password_hash = await ctx.passwords.hashed(password)
    user.password_changed_at = now
    await sessions.revoke_sessions(db, user_id=user.id, now=now)
    await signin.forget_failures(db, key=ctx.throttle_key(tenant.slug, user.email))
    await events.add(db, Event.USER_PASSWORD_CHANGED, tenant=user.tenant_id, subject=user.id)
    await tell_credentials_changed(db, user, CredentialChange.RESET)
    security_event(SecurityEvent.PASSWORD_RESET, service="identity", account=user.id)
    return ctx.devices.after_sign_in(device_cookie, user.id, now)


async def change_password(
    db: AsyncSession,
    ctx: Context,
    *,
    principal: Principal,
    current: str,
    new: str,
    now: datetime,
) -> str:
    """Change the password, end every session of the account, and open a new one."""
    user = await current_user(db, principal=principal)
    if not await ctx.passwords.verified(user.password_hash, current):
        raise Forbidden("current password is wrong")
    check_policy(new)
    user.password_hash = await ctx.passwords.hashed(new)
    user.password_changed_at = now
    await sessions.revoke_sessions(db, user_id=user.id, now=now)
    await events.add(db, Event.USER_PASSWORD_CHANGED, tenant=user.tenant_id, subject=user.id)
    await tell_credentials_changed(db, user, CredentialChange.PASSWORD)
    security_event(SecurityEvent.PASSWORD_CHANGED, service="identity", account=user.id)
    return await open_session(db, ctx, user=user, now=now)
