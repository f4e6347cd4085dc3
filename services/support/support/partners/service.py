"""Partner listing requests: the public form, the review by the tenant's support agents and
the DPO's erasure of a contact person's request."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import Principal
from kit.clients import IdentityClient
from kit.db import mark_erasure
from kit.errors import NotFound
from kit.pagination import Page
from support.partners import repository
from support.partners.models import PartnerRequest, PartnerRequestStatus
from support.partners.schemas import PartnerApply, PartnerReview


async def apply_for_listing(
    db: AsyncSession, identity: IdentityClient, *, data: PartnerApply, now: datetime
) -> PartnerRequest:
    """The public form: stored for the tenant identity knows by that slug (its public route);
    an unknown company is a 404 and nothing is stored."""
    request = PartnerRequest(
        tenant_slug=await identity.tenant_slug(data.tenant),
        company=data.company,
        contact_name=data.contact_name,
        contact_email=data.contact_email,
        contact_phone=data.contact_phone,
        message=data.message,
        status=PartnerRequestStatus.RECEIVED,
        received_at=now,
        last_contact_at=now,
    )
    db.add(request)
    await db.flush()
    return request


async def partner_requests(
    db: AsyncSession, *, principal: Principal, cursor: str | None, limit: int
) -> Page[PartnerRequest]:
    """The requests addressed to the caller's tenant (by its slug, from the verified token),
    the newest first, one page."""
    return await repository.partner_requests_page(
        db, tenant_slug=principal.tenant, cursor=cursor, limit=limit
    )


async def partner_request(
    db: AsyncSession, *, principal: Principal, request_id: str
) -> PartnerRequest:
    found = await repository.partner_request_in_tenant(
        db, tenant_slug=principal.tenant, request_id=request_id
    )
    if found is None:
        raise NotFound("partner request not found")
    return found


async def review_partner_request(
    db: AsyncSession, *, principal: Principal, request_id: str, data: PartnerReview, now: datetime
) -> PartnerRequest:
    """An agent's decision or contact: the retention starts again from now."""
    found = await partner_request(db, principal=principal, request_id=request_id)
    found.status = PartnerRequestStatus(data.status)
    if data.note is not None:
        found.note = data.note
    found.last_contact_at = now
    await db.flush()
    return found


async def delete_partner_request(
    db: AsyncSession, *, principal: Principal, request_id: str
) -> None:
    """The DPO erases a contact person's request (they have no account to file one); the
    transaction is an erasure (``kit.db.mark_erasure``: nothing stays in SQLite's files)."""
    mark_erasure(db)
    await db.delete(await partner_request(db, principal=principal, request_id=request_id))
