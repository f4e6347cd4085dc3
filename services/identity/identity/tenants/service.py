"""What anyone may know of a tenant: its name, shown on its login page."""

from sqlalchemy.ext.asyncio import AsyncSession

from identity.tenants import repository
from identity.tenants.models import Tenant
from kit.errors import NotFound


async def public_tenant(db: AsyncSession, slug: str) -> Tenant:
    found = await repository.tenant_by_slug(db, slug.lower())
    if found is None:
        raise NotFound("tenant not found")
    return found
