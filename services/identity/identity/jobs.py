"""Every scheduled work of the identity worker: the retention purge of the restricted archive,
the housekeeping of ended sessions, stale counters, dead links, pending second steps and
directory sign-ins, the purge of the connection log, and the inactive accounts' warnings and
erasures."""

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from identity.config import Settings
from identity.inactivity.service import check
from identity.models import subject_data
from identity.oidc import repository as oidc
from identity.passwords import repository as links
from identity.sessions import repository as sessions
from identity.sessions.models import CONNECTION_LOG
from identity.signin import repository as signin
from kit.worker import Job, retention_purge

#: Dead sessions and old failed-login counters are kept this long, then deleted.
HOUSEKEEPING_GRACE = timedelta(days=1)
HOURLY = 3600


async def purge_expired(db: AsyncSession, *, now: datetime) -> tuple[int, int]:
    """Delete sessions that ended and login-failure counters nobody touched for a day (and
    the links and pending second steps dead as long, counted with the sessions).

    A session row says when someone was logged in: it is kept no longer than the session
    itself (plus a day, so that a revocation can still be explained). The login history that
    the retention rules keep for a year is a separate record (issue 6).
    """
    before = now - HOUSEKEEPING_GRACE
    ended = await sessions.delete_dead_sessions(db, before=before)
    throttles = await signin.delete_stale_throttles(db, before=before)
    ended += await links.delete_dead_links(db, before=before)
    ended += await signin.delete_dead_challenges(db, before=before)
    ended += await oidc.delete_dead_logins(db, before=before)
    return ended, throttles


async def housekeeping(db: AsyncSession, now: datetime) -> int:
    """Ended sessions and stale login counters are deleted (hourly)."""
    return sum(await purge_expired(db, now=now))


async def connection_log_purge(db: AsyncSession, now: datetime) -> int:
    """The connection log of live accounts is kept one year, then deleted (ID5)."""
    return await sessions.delete_old_login_events(
        db, before=now - (CONNECTION_LOG.until(now) - now)
    )


def inactive_accounts(settings: Settings) -> Job:
    """Inactive accounts warned, then their erasure asked (``identity.inactivity``), every
    ``inactivity_check_seconds``."""

    async def run(db: AsyncSession, now: datetime) -> int:
        outcome = await check(db, settings, now=now)
        return outcome.warned + outcome.erasing

    return Job("inactive accounts", settings.inactivity_check_seconds, run)


def scheduled(settings: Settings) -> list[Job]:
    """The worker's schedule."""
    return [
        retention_purge(subject_data),
        Job("housekeeping", HOURLY, housekeeping),
        Job("connection log purge", HOURLY, connection_log_purge),
        inactive_accounts(settings),
    ]
