"""Every query of the identity service. User queries always carry the tenant."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from identity.models import (
    AccountToken,
    LoginEvent,
    LoginThrottle,
    MfaChallenge,
    RecoveryCode,
    Session,
    Tenant,
    User,
)
from kit.db import dialect_insert
from kit.pagination import By, Keyset, Page, Part, fetch


async def tenant_by_slug(db: AsyncSession, slug: str) -> Tenant | None:
    return await db.scalar(select(Tenant).where(Tenant.slug == slug))


async def tenant_by_id(db: AsyncSession, tenant_id: str) -> Tenant | None:
    return await db.get(Tenant, tenant_id)


async def user_by_email(db: AsyncSession, *, tenant_id: str, email: str) -> User | None:
    return await db.scalar(select(User).where(User.tenant_id == tenant_id, User.email == email))


async def user_by_id(db: AsyncSession, *, tenant_id: str, user_id: str) -> User | None:
    return await db.scalar(select(User).where(User.tenant_id == tenant_id, User.id == user_id))


async def user_by_id_any_tenant(db: AsyncSession, user_id: str) -> User | None:
    """For the event worker, whose commands name the person by id (ids are unique)."""
    return await db.get(User, user_id)


#: The tenant's accounts, the newest first (a new account or an import's people on the first
#: page). Not by email: a cursor carries the last item's sort key in the next page's URL, and
#: an email address must never be in a URL.
NEWEST_USERS_FIRST = Keyset[User](
    "users",
    (By(User.created_at, datetime, descending=True), By(User.id, str)),
    key=lambda u: (u.created_at, u.id),
)


async def users_page(
    db: AsyncSession, *, tenant_id: str, cursor: str | None, limit: int
) -> Page[User]:
    """One page of the tenant's accounts, paged by keyset (``kit.pagination``)."""
    query = select(User).where(User.tenant_id == tenant_id)
    return await fetch(db, [Part(query, NEWEST_USERS_FIRST)], cursor=cursor, limit=limit)


async def live_session(
    db: AsyncSession, *, token_hash: str, now: datetime
) -> tuple[Session, User, Tenant] | None:
    row = (
        await db.execute(
            select(Session, User, Tenant)
            .join(User, User.id == Session.user_id)
            .join(Tenant, Tenant.id == User.tenant_id)
            .where(
                Session.token_hash == token_hash,
                Session.revoked_at.is_(None),
                Session.expires_at > now,
                User.is_active.is_(True),
            )
        )
    ).one_or_none()
    return None if row is None else (row[0], row[1], row[2])


async def delete_old_login_events(db: AsyncSession, *, before: datetime) -> int:
    result = await db.execute(delete(LoginEvent).where(LoginEvent.at < before))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def deactivate(db: AsyncSession, *, user_id: str) -> bool:
    result = await db.execute(update(User).where(User.id == user_id).values(is_active=False))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def revoke_sessions(
    db: AsyncSession, *, user_id: str, now: datetime, session_id: str | None = None
) -> int:
    """Revoke one session of the user, or all of them when ``session_id`` is None."""
    query = update(Session).where(Session.user_id == user_id, Session.revoked_at.is_(None))
    if session_id is not None:
        query = query.where(Session.id == session_id)
    result = await db.execute(query.values(revoked_at=now))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def delete_dead_sessions(db: AsyncSession, *, before: datetime) -> int:
    """Delete sessions that expired or were revoked before ``before``."""
    result = await db.execute(
        delete(Session).where(or_(Session.expires_at < before, Session.revoked_at < before))
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def delete_stale_throttles(db: AsyncSession, *, before: datetime) -> int:
    result = await db.execute(delete(LoginThrottle).where(LoginThrottle.last_failure_at < before))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def count_login_failure(
    db: AsyncSession, *, key: str, now: datetime, forget_before: datetime
) -> int:
    """Add a failure to ``key`` atomically (parallel attempts all count); a counter idle since
    ``forget_before`` starts again. Returns the new count."""
    insert = dialect_insert(db)
    statement = insert(LoginThrottle).values(key=key, failures=1, last_failure_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[LoginThrottle.key],
        set_={
            "failures": case(
                (LoginThrottle.last_failure_at < forget_before, 1),
                else_=LoginThrottle.failures + 1,
            ),
            "last_failure_at": now,
        },
    ).returning(LoginThrottle.failures)
    return int((await db.execute(statement)).scalar_one())


async def lock_login(db: AsyncSession, *, key: str, until: datetime) -> None:
    await db.execute(
        update(LoginThrottle).where(LoginThrottle.key == key).values(locked_until=until)
    )


async def throttle(db: AsyncSession, key: str) -> LoginThrottle | None:
    return await db.get(LoginThrottle, key)


async def forget_failures(db: AsyncSession, *, key: str) -> None:
    """A completed sign-in or a password reset: the counter starts again from nothing."""
    await db.execute(delete(LoginThrottle).where(LoginThrottle.key == key))


async def live_challenge(
    db: AsyncSession, *, token_hash: str, now: datetime
) -> MfaChallenge | None:
    return await db.scalar(
        select(MfaChallenge)
        .where(MfaChallenge.token_hash == token_hash, MfaChallenge.expires_at > now)
        .with_for_update()
    )


async def mark_authenticated(db: AsyncSession, *, session_id: str, now: datetime) -> None:
    await db.execute(update(Session).where(Session.id == session_id).values(authenticated_at=now))


async def spend_recovery_code(
    db: AsyncSession, *, user_id: str, code_hash: str, now: datetime
) -> bool:
    """Mark an unused code used, atomically: True for the one caller that spent it."""
    result = await db.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_hash == code_hash,
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def delete_recovery_codes(db: AsyncSession, *, user_id: str) -> None:
    await db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))


async def recent_link(db: AsyncSession, *, user_id: str, purpose: str, since: datetime) -> bool:
    found = await db.scalar(
        select(AccountToken.id).where(
            AccountToken.user_id == user_id,
            AccountToken.purpose == purpose,
            AccountToken.created_at >= since,
        )
    )
    return found is not None


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


async def revoke_other_sessions(db: AsyncSession, *, user_id: str, keep: str, now: datetime) -> int:
    result = await db.execute(
        update(Session)
        .where(Session.user_id == user_id, Session.revoked_at.is_(None), Session.id != keep)
        .values(revoked_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def delete_dead_links_and_challenges(db: AsyncSession, *, before: datetime) -> int:
    links = await db.execute(delete(AccountToken).where(AccountToken.expires_at < before))
    challenges = await db.execute(delete(MfaChallenge).where(MfaChallenge.expires_at < before))
    return int(links.rowcount) + int(challenges.rowcount)  # type: ignore[attr-defined]


async def active_users_by_id(db: AsyncSession, *, tenant_id: str, ids: list[str]) -> Sequence[User]:
    query = select(User).where(
        User.tenant_id == tenant_id, User.id.in_(ids), User.is_active.is_(True)
    )
    return (await db.scalars(query)).all()
