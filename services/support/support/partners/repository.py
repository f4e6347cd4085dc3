"""Every query on partner listing requests. Those made for a user carry the tenant's slug;
the retention job works across tenants."""

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import By, Keyset, Page, Part, fetch
from support.partners.models import PartnerRequest

#: The partner listing requests of a tenant, the newest first.
NEWEST_REQUESTS_FIRST = Keyset[PartnerRequest](
    "partner-requests",
    (By(PartnerRequest.received_at, datetime, descending=True), By(PartnerRequest.id, str)),
    key=lambda r: (r.received_at, r.id),
)


async def partner_requests_page(
    db: AsyncSession, *, tenant_slug: str, cursor: str | None, limit: int
) -> Page[PartnerRequest]:
    """One page of the requests to a tenant. It used to be the newest 500, silently: the DPO
    looking for a contact person's requests (access, erasure) never saw the older ones."""
    query = select(PartnerRequest).where(PartnerRequest.tenant_slug == tenant_slug)
    return await fetch(db, [Part(query, NEWEST_REQUESTS_FIRST)], cursor=cursor, limit=limit)


async def partner_request_in_tenant(
    db: AsyncSession, *, tenant_slug: str, request_id: str
) -> PartnerRequest | None:
    return await db.scalar(
        select(PartnerRequest).where(
            PartnerRequest.id == request_id, PartnerRequest.tenant_slug == tenant_slug
        )
    )


async def delete_partner_requests(db: AsyncSession, *, last_contact_before: datetime) -> int:
    """Delete the requests (every tenant) whose last contact is at or before the moment."""
    result = await db.execute(
        delete(PartnerRequest).where(PartnerRequest.last_contact_at <= last_contact_before)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
