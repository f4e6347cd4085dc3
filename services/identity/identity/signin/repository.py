"""The queries of failed sign-ins' counters and of pending second steps."""

from datetime import datetime

from sqlalchemy import case, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from identity.signin.models import LoginThrottle, MfaChallenge
from kit.db import dialect_insert


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


async def delete_stale_throttles(db: AsyncSession, *, before: datetime) -> int:
    result = await db.execute(delete(LoginThrottle).where(LoginThrottle.last_failure_at < before))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def live_challenge(
    db: AsyncSession, *, token_hash: str, now: datetime
) -> MfaChallenge | None:
    return await db.scalar(
        select(MfaChallenge)
        .where(MfaChallenge.token_hash == token_hash, MfaChallenge.expires_at > now)
        .with_for_update()
    )


async def delete_dead_challenges(db: AsyncSession, *, before: datetime) -> int:
    result = await db.execute(delete(MfaChallenge).where(MfaChallenge.expires_at < before))
    return int(result.rowcount)  # type: ignore[attr-defined]
