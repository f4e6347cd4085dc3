"""The statistics' one query: the grants used in a tenant's year, with the children count."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from subsidies.grants.models import Grant, GrantStatus
from subsidies.profiles.models import Profile

#: The grants that were used: their order or booking went through.
USED = (GrantStatus.PLACED, GrantStatus.PAID)


async def grants_of_year(
    db: AsyncSession, *, tenant_id: str, year: int
) -> Sequence[tuple[str, str, int, int | None]]:
    """``(user_id, kind, amount, children)`` of every grant used this year (statistics)."""
    rows = await db.execute(
        select(Grant.user_id, Grant.kind, Grant.amount_cents, Profile.children_count)
        .outerjoin(Profile, Profile.user_id == Grant.user_id)
        .where(Grant.tenant_id == tenant_id, Grant.year == year, Grant.status.in_(USED))
    )
    return [(r[0], r[1], r[2], r[3]) for r in rows.all()]
