"""What anyone may know of a tenant (its name, shown on its login page), and its closure at
the end of the client's contract."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from identity.tenants import repository
from identity.tenants.models import Tenant
from kit.errors import NotFound


async def public_tenant(db: AsyncSession, slug: str) -> Tenant:
    found = await repository.tenant_by_slug(db, slug.lower())
    if found is None or found.closed_at is not None:
        raise NotFound("tenant not found")
    return found


async def close(db: AsyncSession, tenant_id: str, now: datetime) -> dict[str, int | bool]:
    """The client's contract ended (the privacy service closes the tenant): nobody of it signs
    in again, and every session of its accounts ends. Repeated, it changes nothing more."""
    found = await repository.tenant_by_id_locked(db, tenant_id)
    if found is None:
        return {"closed": False, "sessions_revoked": 0}
    if found.closed_at is None:
        found.closed_at = now
    revoked = await repository.revoke_tenant_sessions(db, tenant_id, now)
    return {"closed": True, "sessions_revoked": revoked}
