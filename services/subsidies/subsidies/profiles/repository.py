"""The profiles' queries; all carry the tenant."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from subsidies.profiles.models import Profile


async def profile_of(db: AsyncSession, *, tenant_id: str, user_id: str) -> Profile | None:
    return await db.scalar(
        select(Profile).where(Profile.user_id == user_id, Profile.tenant_id == tenant_id)
    )
