"""The profiles' queries; all carry the tenant."""

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from subsidies.profiles.models import Profile

#: A person's profile (every eligibility, every grant): built once with bound parameters, as
#: every statement a frequent operation runs (docs/performance.md).
_PROFILE_OF = select(Profile).where(
    Profile.user_id == bindparam("user_id"), Profile.tenant_id == bindparam("tenant_id")
)


async def profile_of(db: AsyncSession, *, tenant_id: str, user_id: str) -> Profile | None:
    return await db.scalar(_PROFILE_OF, {"user_id": user_id, "tenant_id": tenant_id})
