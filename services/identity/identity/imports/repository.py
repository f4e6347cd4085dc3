"""The import's queries: the tenant's accounts and restrictions read once, and the writes of
many rows in a few statements."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from identity.accounts.models import User
from identity.base import subject_data


async def restricted_ids(db: AsyncSession, tenant_id: str) -> set[str]:
    """The tenant's accounts whose data is restricted (Art. 18)."""
    table = subject_data.restrictions
    rows = await db.scalars(
        select(table.c.subject)
        .join(User, User.id == table.c.subject)
        .where(User.tenant_id == tenant_id)
    )
    return set(rows)


async def tenant_users(db: AsyncSession, tenant_id: str) -> dict[str, User]:
    """The tenant's accounts by email, in lower case."""
    users = await db.scalars(select(User).where(User.tenant_id == tenant_id))
    return {u.email.lower(): u for u in users}
