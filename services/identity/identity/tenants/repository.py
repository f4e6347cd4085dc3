"""The tenants' queries."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from identity.tenants.models import Tenant


async def tenant_by_slug(db: AsyncSession, slug: str) -> Tenant | None:
    return await db.scalar(select(Tenant).where(Tenant.slug == slug))


async def tenant_by_id(db: AsyncSession, tenant_id: str) -> Tenant | None:
    return await db.get(Tenant, tenant_id)
