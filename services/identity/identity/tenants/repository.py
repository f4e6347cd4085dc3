"""The tenants' queries."""

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from identity.accounts.models import User
from identity.sessions.models import Session
from identity.tenants.models import Tenant


async def tenant_by_slug(db: AsyncSession, slug: str) -> Tenant | None:
    return await db.scalar(select(Tenant).where(Tenant.slug == slug))


async def tenant_by_id(db: AsyncSession, tenant_id: str) -> Tenant | None:
    return await db.get(Tenant, tenant_id)


async def tenant_by_id_locked(db: AsyncSession, tenant_id: str) -> Tenant | None:
    return await db.get(Tenant, tenant_id, with_for_update=True)


async def revoke_tenant_sessions(db: AsyncSession, tenant_id: str, now: datetime) -> int:
    """Every open session of the tenant's accounts ends now."""
    result = await db.execute(
        update(Session)
        .where(Session.tenant_id == tenant_id, Session.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def account_ids(db: AsyncSession, tenant_id: str) -> list[str]:
    """Every account of the tenant, active or not."""
    return list(await db.scalars(select(User.id).where(User.tenant_id == tenant_id)))
