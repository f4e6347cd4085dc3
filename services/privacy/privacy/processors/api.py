"""Processors (PR9): ``/api/privacy/processors``.

The platform's processors are in every tenant's register: the platform administrator keeps
them. A tenant's DPO sees them, and keeps the tenant's own (``privacy.processors.service``).
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response, status

from kit.auth import Principal, Role, require_roles
from kit.db import SessionDep, utcnow
from kit.i18n import negotiate
from kit.pagination import DEFAULT_LIMIT, PAGED_RESPONSES, Cursor, Limit
from privacy.clients import service as clients
from privacy.context import ContextDep
from privacy.processors import repository, service
from privacy.processors.models import ProcessorScope
from privacy.processors.schemas import ProcessorCreate, ProcessorPublic, public

router = APIRouter(prefix="/api/privacy/processors", tags=["processors"])

#: A tenant's DPO (the tenant's own entries) or the platform administrator (the platform's).
Keeper = Annotated[Principal, Depends(require_roles(Role.DPO, Role.PLATFORM_ADMIN))]


@router.get("", responses=PAGED_RESPONSES)
async def list_processors(
    keeper: Keeper,
    db: SessionDep,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    accept_language: Annotated[str | None, Header(max_length=500)] = None,
) -> list[ProcessorPublic]:
    """The platform's processors and the caller's tenant's own, as they were added; one page
    (``X-Next-Cursor`` holds the next one's cursor). The default processors' texts in the
    caller's language, as in the register."""
    page = await repository.page(db, tenant_id=keeper.tenant_id, cursor=cursor, limit=limit)
    lang = negotiate(accept_language)
    return page.map(lambda p: public(p, lang)).send(response)


@router.post("", status_code=status.HTTP_201_CREATED)
async def add_processor(
    body: ProcessorCreate, keeper: Keeper, db: SessionDep, ctx: ContextDep
) -> ProcessorPublic:
    """403 for a scope the caller's role does not keep; 422 for an unknown country code, and
    outside the EU/EEA without a safeguard. A platform processor is announced to every client
    (Art. 28(2)) and used for a tenant only once accepted there."""
    now = utcnow()
    processor = await service.add(
        db,
        principal=keeper,
        scope=None if body.scope is None else ProcessorScope(body.scope),
        name=body.name,
        role=body.role,
        data_categories=body.data_categories,
        location=body.location,
        safeguard=body.safeguard,
        now=now,
    )
    if processor.tenant_id is None:
        await clients.announce(db, ctx.settings, processor, now)
    return public(processor)


@router.delete("/{processor_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_processor(processor_id: str, keeper: Keeper, db: SessionDep) -> Response:
    """403 for the platform's entries unless the platform administrator asks; 404 for another
    tenant's."""
    await service.remove(db, principal=keeper, processor_id=processor_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
