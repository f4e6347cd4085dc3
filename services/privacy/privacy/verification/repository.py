"""Queries of identity checks."""

from sqlalchemy.ext.asyncio import AsyncSession

from privacy.verification.models import Verification


async def verification_of(
    db: AsyncSession, request_id: str, *, lock: bool = False
) -> Verification | None:
    return await db.get(Verification, request_id, with_for_update=lock)
