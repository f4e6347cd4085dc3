"""Inactive accounts (storage limitation, GDPR Art. 5(1)(e)): warned, then erased.

A job of identity's worker, every ``INACTIVITY_CHECK_SECONDS``:
1. an active account whose last activity (last login, else creation) is older than
   ``INACTIVITY_WARN_DAYS`` and that was not warned yet gets a mail (French, then English):
   the account will be deleted on a date ``INACTIVITY_GRACE_DAYS`` away unless the person logs
   in; ``inactivity_warned_at`` is set (a login clears it);
2. a warned account still without login once that date has come is closed (no more login,
   every session ended) and ``account.inactive`` is published to the privacy service, which
   opens an erasure request for the person, marked as opened for inactivity, and runs it like
   any other (every service erases, identity last). Closing the account in the same
   transaction is what keeps the job from asking twice; the privacy service also opens at most
   one such request per person.

Staff accounts are warned and erased like everyone's, except that a tenant's last active
tenant admin and platform admins are only warned: erasing them could leave a company, or the
platform, with nobody to manage it; the operator decides. A person whose data is restricted
(Art. 18) is neither warned nor erased: the restriction keeps the data as it is.

Operators (and the end-to-end tests) run it once with ``python -m identity.inactivity run-once``.
"""

import argparse
import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from identity import repository
from identity.config import Settings, get_settings
from identity.models import User, events, subject_data
from kit.auth import Role
from kit.db import Database
from kit.events.broker import Broker
from kit.events.relay import Relay
from kit.mail import queue_mail
from kit.privacy.protocol import ACCOUNT_INACTIVE, ACCOUNT_INACTIVE_KEY
from kit.worker import Job

#: Addressed to the privacy service and published mandatory: if its queue does not exist yet
#: (its worker never ran), the event waits in the outbox instead of being lost.
INACTIVE, INACTIVE_KEY = ACCOUNT_INACTIVE, ACCOUNT_INACTIVE_KEY
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


def _last_activity() -> ColumnElement[datetime]:
    return func.coalesce(User.last_login_at, User.created_at)


def _not_restricted() -> ColumnElement[bool]:
    return User.id.not_in(select(subject_data.restrictions.c.subject))


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
    users = await db.scalars(
        select(User)
        .where(
            User.is_active.is_(True),
            User.inactivity_warned_at.is_(None),
            _last_activity() < cutoff,
            _not_restricted(),
        )
        .order_by(_last_activity())
        .limit(WARN_BATCH)
        .with_for_update(skip_locked=True)
    )
    count = 0
    subject, text = warning(settings, deletion_date(settings, now))
    for user in users:
        await queue_mail(
            db, events, to=user.email, tenant=user.tenant_id, subject=subject, text=text
        )
        user.inactivity_warned_at = now
        count += 1
    return count


async def _admins_by_tenant(db: AsyncSession, tenant_ids: set[str]) -> dict[str, set[str]]:
    """The active tenant admins of these tenants."""
    rows = await db.execute(
        select(User.id, User.tenant_id, User.roles).where(
            User.tenant_id.in_(sorted(tenant_ids)), User.is_active.is_(True)
        )
    )
    admins: dict[str, set[str]] = defaultdict(set)
    for user_id, tenant_id, roles in rows:
        if Role.TENANT_ADMIN.value in roles:
            admins[tenant_id].add(user_id)
    return admins


async def erase_due(db: AsyncSession, settings: Settings, *, now: datetime) -> tuple[int, int]:
    """Close every warned account whose date has come without a login and ask the privacy
    service to erase it. Returns (asked, kept)."""
    due = now - timedelta(days=settings.inactivity_grace_days)
    users = list(
        await db.scalars(
            select(User)
            .where(
                User.is_active.is_(True),
                User.inactivity_warned_at.is_not(None),
                User.inactivity_warned_at <= due,
                # A login clears the warning; should it not have, a later login still counts.
                or_(User.last_login_at.is_(None), User.last_login_at < User.inactivity_warned_at),
                _not_restricted(),
            )
            .order_by(User.inactivity_warned_at)
            .with_for_update(skip_locked=True)
        )
    )
    with_admins = {u.tenant_id for u in users if Role.TENANT_ADMIN.value in u.roles}
    admins = await _admins_by_tenant(db, with_admins) if with_admins else {}
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
    await repository.revoke_sessions(db, user_id=user.id, now=now)
    await events.add(
        db,
        INACTIVE,
        tenant=user.tenant_id,
        subject=user.id,
        payload={
            "inactive_days": settings.inactivity_warn_days,
            "grace_days": settings.inactivity_grace_days,
        },
        routing_key=INACTIVE_KEY,
    )


async def check(db: AsyncSession, settings: Settings, *, now: datetime) -> Outcome:
    """One run: erase what is due, then warn (in this order, so nobody is warned and erased by
    the same run, even with a grace of zero days)."""
    asked, kept = await erase_due(db, settings, now=now)
    warned = await warn(db, settings, now=now)
    return Outcome(warned=warned, erasing=asked, kept=kept)


def job(settings: Settings) -> Job:
    """The worker's job."""

    async def run(db: AsyncSession, now: datetime) -> int:
        outcome = await check(db, settings, now=now)
        return outcome.warned + outcome.erasing

    return Job("inactive accounts", settings.inactivity_check_seconds, run)


async def run_once(settings: Settings) -> tuple[Outcome, bool]:
    """One run now, then the outbox published at once (rather than at the worker's next poll).
    Returns the outcome and whether RabbitMQ took the events (if not, the worker will)."""
    database = Database(settings.database_url, pool_size=1, max_overflow=1)
    try:
        async with database.transaction() as db:
            outcome = await check(db, settings, now=datetime.now(UTC))
        broker = Broker(settings.amqp_url, settings.events_exchange)
        try:
            await Relay(database, events, broker).drain()
            published = True
        except Exception:  # RabbitMQ away: the rows wait in the outbox for the worker's relay
            published = False
        finally:
            await broker.close()
        return outcome, published
    finally:
        await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m identity.inactivity")
    parser.add_argument("action", choices=["run-once"], help="warn and erase what is due, now")
    parser.parse_args()
    outcome, published = asyncio.run(run_once(get_settings()))
    print(
        f"{outcome.warned} account(s) warned, {outcome.erasing} erasure(s) asked of the privacy "
        f"service, {outcome.kept} past their date kept (last tenant admin, platform admin)"
    )
    if not published:
        print("RabbitMQ did not answer: the identity worker's relay will publish the events")


if __name__ == "__main__":
    main()
