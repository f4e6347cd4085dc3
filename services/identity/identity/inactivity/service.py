"""Inactive accounts warned, then closed and their erasure asked of the privacy service
(see the package's docstring). No HTTP here."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from identity.accounts.models import User
from identity.base import events
from identity.config import Settings
from identity.inactivity import repository
from identity.sessions import repository as sessions
from kit.auth import Role
from kit.mail import queue_mail
from kit.privacy.protocol import ACCOUNT_INACTIVE, ACCOUNT_INACTIVE_KEY

#: Warnings per run, oldest first: a first run on an old base spreads its mails over hours.
WARN_BATCH = 1000

MONTHS_FR = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True)
class Outcome:
    warned: int = 0
    erasing: int = 0
    #: Past their date but kept: the last tenant admin of a company, a platform admin.
    kept: int = 0


def deletion_date(settings: Settings, warned_at: datetime) -> datetime:
    return warned_at + timedelta(days=settings.inactivity_grace_days)


def warning(settings: Settings, deleted_on: datetime) -> tuple[str, str]:
    """The warning mail: subject and text, French then English."""
    day = deleted_on.astimezone(UTC)
    fr = f"{day.day} {MONTHS_FR[day.month - 1]} {day.year}"
    en = f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"
    site = settings.public_origins[0]
    years = settings.inactivity_warn_days // 365
    subject = f"Votre compte sera supprimé le {fr} / Your account will be deleted on {en}"
    text = (
        f"Bonjour,\n\nVous ne vous êtes pas connecté à votre compte depuis plus de {years} ans. "
        f"Sans connexion de votre part, votre compte et vos données seront supprimés le {fr}, "
        f"comme le prévoit notre politique de conservation des données.\n"
        f"Pour garder votre compte, connectez-vous simplement avant cette date : {site}\n"
        f"(Si vous n'avez pas encore de mot de passe, choisissez « Mot de passe oublié ».)\n\n"
        f"Hello,\n\nYou have not logged in to your account for more than {years} years. Your "
        f"account and your data will be deleted on {en} unless you log in, as our data "
        f"retention policy provides.\n"
        f"To keep your account, just log in before that date: {site}\n"
        f'(If you have no password yet, choose "Forgot password".)\n'
    )
    return subject, text


async def warn(db: AsyncSession, settings: Settings, *, now: datetime) -> int:
    """Mail every account inactive for ``inactivity_warn_days`` not yet warned."""
    cutoff = now - timedelta(days=settings.inactivity_warn_days)
    users = await repository.due_warning(db, inactive_since=cutoff, limit=WARN_BATCH)
    count = 0
    subject, text = warning(settings, deletion_date(settings, now))
    for user in users:
        await queue_mail(
            db, events, to=user.email, tenant=user.tenant_id, subject=subject, text=text
        )
        user.inactivity_warned_at = now
        count += 1
    return count


async def erase_due(db: AsyncSession, settings: Settings, *, now: datetime) -> tuple[int, int]:
    """Close every warned account whose date has come without a login and ask the privacy
    service to erase it. Returns (asked, kept)."""
    due = now - timedelta(days=settings.inactivity_grace_days)
    users = await repository.due_erasure(db, warned_before=due)
    with_admins = {u.tenant_id for u in users if Role.TENANT_ADMIN.value in u.roles}
    admins = await repository.admins_by_tenant(db, with_admins) if with_admins else {}
    asked = kept = 0
    for user in users:
        if Role.PLATFORM_ADMIN.value in user.roles:
            kept += 1
            continue
        if Role.TENANT_ADMIN.value in user.roles:
            if not admins[user.tenant_id] - {user.id}:
                kept += 1  # the company's last admin: warned, never erased by this job
                continue
            admins[user.tenant_id].discard(user.id)
        await close(db, settings, user=user, now=now)
        asked += 1
    return asked, kept


async def close(db: AsyncSession, settings: Settings, *, user: User, now: datetime) -> None:
    """No more login, every session ended, and the erasure asked of the privacy service."""
    user.is_active = False
    await sessions.revoke_sessions(db, user_id=user.id, now=now)
    await events.add(
        db,
        ACCOUNT_INACTIVE,
        tenant=user.tenant_id,
        subject=user.id,
        payload={
            "inactive_days": settings.inactivity_warn_days,
            "grace_days": settings.inactivity_grace_days,
        },
        # Addressed to the privacy service and published mandatory: if its queue does not exist
        # yet (its worker never ran), the event waits in the outbox instead of being lost.
        routing_key=ACCOUNT_INACTIVE_KEY,
    )


async def check(db: AsyncSession, settings: Settings, *, now: datetime) -> Outcome:
    """One run: erase what is due, then warn (in this order, so nobody is warned and erased by
    the same run, even with a grace of zero days)."""
    asked, kept = await erase_due(db, settings, now=now)
    warned = await warn(db, settings, now=now)
    return Outcome(warned=warned, erasing=asked, kept=kept)
