"""The queries of sessions and of the connection log."""

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from identity.accounts.models import User
from identity.sessions.models import LoginEvent, Session
from identity.tenants.models import Tenant
from kit.pagination import By, Keyset, Page, Part, fetch


class LiveSession(NamedTuple):
    """What the gateway's check of a request needs of a session, its account and tenant."""

    id: str
    created_at: datetime
    authenticated_at: datetime | None
    last_seen_at: datetime | None
    user_id: str
    roles: list[str]
    tenant_id: str
    tenant_slug: str


#: Built once: making the statement again on each call (a three-table join and five conditions)
#: cost more CPU than running it, on the one query every request of the platform goes through.
_LIVE_SESSION = (
    select(
        Session.id,
        Session.created_at,
        Session.authenticated_at,
        Session.last_seen_at,
        User.id,
        User.roles,
        Tenant.id,
        Tenant.slug,
    )
    .join(User, User.id == Session.user_id)
    .join(Tenant, Tenant.id == User.tenant_id)
    .where(
        Session.token_hash == bindparam("token_hash"),
        Session.revoked_at.is_(None),
        Session.expires_at > bindparam("now"),
        User.is_active.is_(True),
        Tenant.closed_at.is_(None),
    )
)


async def live_session(db: AsyncSession, *, token_hash: str, now: datetime) -> LiveSession | None:
    """The open session of ``token_hash`` of an active account. Columns, not ORM objects: the
    check runs for nearly every request of the platform, and loading three mapped objects
    (identity map, instance state, a flush at commit) was most of its cost."""
    found = await db.execute(_LIVE_SESSION, {"token_hash": token_hash, "now": now})
    row = found.one_or_none()
    return None if row is None else LiveSession(*row)


async def mark_seen(db: AsyncSession, *, session_id: str, now: datetime) -> None:
    await db.execute(update(Session).where(Session.id == session_id).values(last_seen_at=now))


async def revoke_sessions(
    db: AsyncSession, *, user_id: str, now: datetime, session_id: str | None = None
) -> int:
    """Revoke one session of the user, or all of them when ``session_id`` is None."""
    query = update(Session).where(Session.user_id == user_id, Session.revoked_at.is_(None))
    if session_id is not None:
        query = query.where(Session.id == session_id)
    result = await db.execute(query.values(revoked_at=now))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def revoke_sessions_of(db: AsyncSession, user_ids: list[str], *, now: datetime) -> None:
    """Revoke every open session of these accounts in one statement (a chunk of an import)."""
    await db.execute(
        update(Session)
        .where(Session.user_id.in_(user_ids), Session.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )


async def revoke_other_sessions(db: AsyncSession, *, user_id: str, keep: str, now: datetime) -> int:
    result = await db.execute(
        update(Session)
        .where(Session.user_id == user_id, Session.revoked_at.is_(None), Session.id != keep)
        .values(revoked_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def mark_authenticated(db: AsyncSession, *, session_id: str, now: datetime) -> None:
    await db.execute(update(Session).where(Session.id == session_id).values(authenticated_at=now))


#: A person's open sessions, the latest sign-in first.
LATEST_SESSIONS_FIRST = Keyset[Session](
    "sessions",
    (By(Session.created_at, datetime, descending=True), By(Session.id, str)),
    key=lambda s: (s.created_at, s.id),
)


async def live_sessions_page(
    db: AsyncSession, *, user_id: str, now: datetime, cursor: str | None, limit: int
) -> Page[Session]:
    query = select(Session).where(
        Session.user_id == user_id, Session.revoked_at.is_(None), Session.expires_at > now
    )
    return await fetch(db, [Part(query, LATEST_SESSIONS_FIRST)], cursor=cursor, limit=limit)


async def delete_dead_sessions(db: AsyncSession, *, before: datetime) -> int:
    """Delete sessions that expired or were revoked before ``before``."""
    result = await db.execute(
        delete(Session).where(or_(Session.expires_at < before, Session.revoked_at < before))
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def delete_old_login_events(db: AsyncSession, *, before: datetime) -> int:
    result = await db.execute(delete(LoginEvent).where(LoginEvent.at < before))
    return int(result.rowcount)  # type: ignore[attr-defined]
