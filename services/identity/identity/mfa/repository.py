"""The recovery codes' queries."""

from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from identity.mfa.models import RecoveryCode


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
