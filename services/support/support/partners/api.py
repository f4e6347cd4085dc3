"""Partner listing requests: the public form ``POST /api/partners/apply`` (no session: the
gateway rate-limits it per address) and the review by the tenant's support agents."""

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from kit.auth import DpoUser, Principal, Role, SupportAgent, require_roles
from kit.clients import ClientsDep
from kit.db import SessionDep, utcnow
from kit.pagination import DEFAULT_LIMIT, PAGED_RESPONSES, Cursor, Limit
from support.partners import service
from support.partners.models import PartnerRequest
from support.partners.schemas import PartnerApply, PartnerRequestPublic, PartnerReview

router = APIRouter(prefix="/api/partners", tags=["partners"])
Agent = SupportAgent
AgentOrDpo = Annotated[Principal, Depends(require_roles(Role.SUPPORT_AGENT, Role.DPO))]
Dpo = DpoUser


def public(found: PartnerRequest) -> PartnerRequestPublic:
    return PartnerRequestPublic(
        id=found.id,
        company=found.company,
        contact_name=found.contact_name,
        contact_email=found.contact_email,
        contact_phone=found.contact_phone,
        message=found.message,
        status=found.status,
        note=found.note,
        received_at=found.received_at,
        last_contact_at=found.last_contact_at,
    )


@router.post("/apply", status_code=status.HTTP_202_ACCEPTED)
async def apply(body: PartnerApply, clients: ClientsDep, db: SessionDep) -> dict[str, str]:
    """Public: nothing of what was sent comes back, whatever happens."""
    await service.apply_for_listing(db, clients.identity, data=body, now=utcnow())
    return {"status": "received"}


@router.get("/requests", responses=PAGED_RESPONSES)
async def list_requests(
    principal: AgentOrDpo,
    db: SessionDep,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[PartnerRequestPublic]:
    """The tenant's partner listing requests, the newest first; one page (``X-Next-Cursor``
    holds the next one's cursor)."""
    page = await service.partner_requests(db, principal=principal, cursor=cursor, limit=limit)
    return page.map(public).send(response)


@router.patch("/requests/{request_id}")
async def review(
    request_id: str, body: PartnerReview, agent: Agent, db: SessionDep
) -> PartnerRequestPublic:
    found = await service.review_partner_request(
        db, principal=agent, request_id=request_id, data=body, now=utcnow()
    )
    return public(found)


@router.delete("/requests/{request_id}", status_code=status.HTTP_204_NO_CONTENT)
async def erase(request_id: str, dpo: Dpo, db: SessionDep) -> None:
    """The DPO erases a contact person's request, on that person's demand."""
    await service.delete_partner_request(db, principal=dpo, request_id=request_id)
