"""SEPA direct-debit mandates: ``/api/subsidies/mandates``. Bank details only ever leave
masked."""

from fastapi import APIRouter, Response, status

from kit.auth import CurrentUser
from kit.db import ReadSessionDep, SessionDep, utcnow
from kit.pagination import DEFAULT_LIMIT, PAGED_RESPONSES, Cursor, Limit
from subsidies.context import ContextDep
from subsidies.mandates import repository, service
from subsidies.mandates.schemas import MandateIn, MandatePublic

router = APIRouter(prefix="/api/subsidies", tags=["activities"])


@router.post("/mandates", status_code=status.HTTP_201_CREATED)
async def add_mandate(
    body: MandateIn, context: ContextDep, principal: CurrentUser, db: SessionDep
) -> MandatePublic:
    """Sign a SEPA mandate: IBAN checksum and BIC format checked, each field encrypted."""
    mandate = await service.add_mandate(
        db, cipher=context.cipher, principal=principal, data=body, now=utcnow()
    )
    return MandatePublic.of(mandate, service.masked(context.cipher, mandate))


@router.get("/mandates", responses=PAGED_RESPONSES)
async def list_mandates(
    context: ContextDep,
    principal: CurrentUser,
    db: ReadSessionDep,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[MandatePublic]:
    """Your mandates, the latest signed first, masked; one page (``X-Next-Cursor`` holds the
    next one's cursor)."""
    page = await repository.mandates_page(
        db, tenant_id=principal.tenant_id, user_id=principal.user_id, cursor=cursor, limit=limit
    )
    return page.map(lambda m: MandatePublic.of(m, service.masked(context.cipher, m))).send(response)


@router.delete("/mandates/{mandate_id}")
async def revoke_mandate(
    mandate_id: str, context: ContextDep, principal: CurrentUser, db: SessionDep
) -> MandatePublic:
    mandate = await service.revoke_mandate(db, principal=principal, mandate_id=mandate_id)
    return MandatePublic.of(mandate, service.masked(context.cipher, mandate))
