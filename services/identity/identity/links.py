"""Single-use links sent by email: a password reset (30 minutes) and an invitation to set a
first password (7 days). The link carries a random 256-bit token in its fragment (never sent to
a server's logs); only the token's SHA-256 is stored; using it once spends it.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from identity.config import Settings
from identity.models import AccountToken, User, events
from kit.mail import queue_mail

RESET, INVITE = "reset", "invite"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def lifetime(settings: Settings, purpose: str) -> timedelta:
    if purpose == RESET:
        return timedelta(minutes=settings.reset_minutes)
    return timedelta(days=settings.invite_days)


async def issue(
    db: AsyncSession, settings: Settings, *, user: User, purpose: str, now: datetime
) -> str:
    """A new link for ``user``; any earlier unused link of the same purpose stops working."""
    await db.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    db.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + lifetime(settings, purpose),
        )
    )
    return token


def url(settings: Settings, purpose: str, token: str) -> str:
    """The front end's page, with the token in the fragment (``#token=...``)."""
    page = "reset-password" if purpose == RESET else "set-password"
    return f"{settings.public_origins[0]}/{page}#token={token}"


async def send(
    db: AsyncSession, settings: Settings, *, user: User, purpose: str, now: datetime
) -> None:
    """Issue a link and mail it to the account's address (through the outbox)."""
    token = await issue(db, settings, user=user, purpose=purpose, now=now)
    subject, text = message(settings, purpose, url(settings, purpose, token))
    await queue_mail(db, events, to=user.email, tenant=user.tenant_id, subject=subject, text=text)


def message(settings: Settings, purpose: str, link: str) -> tuple[str, str]:
    """The mail of a link: its subject and text, French first, then English."""
    if purpose == RESET:
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
    found = await db.scalar(
        select(AccountToken).where(AccountToken.token_hash == token_hash(token)).with_for_update()
    )
    if found is None or found.used_at is not None or found.expires_at <= now:
        return None
    found.used_at = now
    return found
