"""What anyone may know of a tenant (its name, shown on its login page), and its closure at
the end of the client's contract."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from identity.base import events, subject_data
from identity.tenants import repository
from identity.tenants.models import Tenant
from kit.errors import NotFound
from kit.privacy.protocol import TENANT_CLOSED, TENANT_CLOSED_KEY


async def public_tenant(db: AsyncSession, slug: str) -> Tenant:
    found = await repository.tenant_by_slug(db, slug.lower())
    if found is None or found.closed_at is not None:
        raise NotFound("tenant not found")
    return found


async def close(db: AsyncSession, tenant_id: str, now: datetime) -> dict[str, int | bool]:
    """The client's contract ended (the privacy service closes the tenant): nobody of it signs
    in again, and every session of its accounts ends. Every account is announced to the data
    map (one never announced yet, such as a staff account made by hand, too), then
    ``tenant.closed`` says how many there are: the privacy service exports and erases them
    all. Repeated, it changes nothing more and answers again."""
    found = await repository.tenant_by_id_locked(db, tenant_id)
    if found is None:
        return {"closed": False, "sessions_revoked": 0}
    if found.closed_at is None:
        found.closed_at = now
    revoked = await repository.revoke_tenant_sessions(db, tenant_id, now)
    accounts = await repository.account_ids(db, tenant_id)
    for account in accounts:
        await subject_data.record_personal_data(db, events, subject=account, tenant=tenant_id)
    await events.add(
        db,
        TENANT_CLOSED,
        tenant=tenant_id,
        payload={"accounts": len(accounts)},
        routing_key=TENANT_CLOSED_KEY,
    )
    return {"closed": True, "sessions_revoked": revoked, "accounts": len(accounts)}
