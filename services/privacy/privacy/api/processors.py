"""Processors (PR9): ``/api/privacy/processors``.

The platform's processors are in every tenant's register: the platform administrator keeps
them. A tenant's DPO sees them, and keeps the tenant's own (``privacy.processors``).
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from kit.auth import Principal, Role, require_roles
from kit.db import SessionDep
from kit.pagination import DEFAULT_LIMIT, PAGED_RESPONSES, Cursor, Limit
from kit.schemas import Line, text
from privacy import processors, service
from privacy.models import Processor

router = APIRouter(prefix="/api/privacy/processors", tags=["processors"])

#: A tenant's DPO (the tenant's own entries) or the platform administrator (the platform's).
Keeper = Annotated[Principal, Depends(require_roles(Role.DPO, Role.PLATFORM_ADMIN))]


class ProcessorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Line
    #: What it does for the platform: hosting, email, payment...
    role: Line
    data_categories: list[Line] = Field(min_length=1, max_length=30)
    #: ISO 3166-1 alpha-2 code of where the data is processed.
    location: Annotated[str, StringConstraints(min_length=2, max_length=2)]
    #: Outside the EU/EEA: the safeguard of Chapter V (adequacy decision, SCCs, BCRs...).
    safeguard: Annotated[str, text(500)] | None = None
    #: ``platform`` (every tenant's register; the platform administrator only) or ``tenant``
    #: (the caller's tenant's register; its DPO only). Default: ``tenant`` for a DPO,
    #: ``platform`` for a platform administrator.
    scope: processors.Scope | None = None


class ProcessorPublic(BaseModel):
    id: str
    name: str
    role: str
    data_categories: list[str]
    location: str
    in_eu_eea: bool
    safeguard: str | None
    created_at: str
    #: ``platform``: in every tenant's register, kept by the platform administrator;
    #: ``tenant``: the caller's tenant's own, kept by its DPO.
    scope: processors.Scope


def public(processor: Processor) -> ProcessorPublic:
    return ProcessorPublic(
        id=processor.id,
        name=processor.name,
        role=processor.role,
        data_categories=list(processor.data_categories),
        location=processor.location,
        in_eu_eea=processors.in_eea(processor.location),
        safeguard=processor.safeguard,
        created_at=processor.created_at.isoformat(),
        scope=processors.scope_of(processor),
    )


@router.get("", responses=PAGED_RESPONSES)
async def list_processors(
    keeper: Keeper,
    db: SessionDep,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[ProcessorPublic]:
    """The platform's processors and the caller's tenant's own, as they were added; one page
    (``X-Next-Cursor`` holds the next one's cursor)."""
    page = await processors.page(db, tenant_id=keeper.tenant_id, cursor=cursor, limit=limit)
    return page.map(public).send(response)


@router.post("", status_code=status.HTTP_201_CREATED)
async def add_processor(body: ProcessorCreate, keeper: Keeper, db: SessionDep) -> ProcessorPublic:
    """403 for a scope the caller's role does not keep; 422 for an unknown country code, and
    outside the EU/EEA without a safeguard."""
    processor = await processors.add(
        db,
        principal=keeper,
        scope=body.scope,
        name=body.name,
        role=body.role,
        data_categories=body.data_categories,
        location=body.location,
        safeguard=body.safeguard,
        now=service.utcnow(),
    )
    return public(processor)


@router.delete("/{processor_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_processor(processor_id: str, keeper: Keeper, db: SessionDep) -> Response:
    """403 for the platform's entries unless the platform administrator asks; 404 for another
    tenant's."""
    await processors.remove(db, principal=keeper, processor_id=processor_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
