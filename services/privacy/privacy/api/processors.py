"""Processors (PR9): ``/api/privacy/processors`` (DPO only)."""

from typing import Annotated

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from kit.auth import DpoUser
from kit.db import SessionDep
from kit.schemas import Line, text
from privacy import processors, service
from privacy.models import Processor

router = APIRouter(prefix="/api/privacy/processors", tags=["processors"])


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


class ProcessorPublic(BaseModel):
    id: str
    name: str
    role: str
    data_categories: list[str]
    location: str
    in_eu_eea: bool
    safeguard: str | None
    created_at: str


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
    )


@router.get("")
async def list_processors(_dpo: DpoUser, db: SessionDep) -> list[ProcessorPublic]:
    """The platform's processors (the three defaults are written at the first read)."""
    return [public(p) for p in await processors.list_processors(db, service.utcnow())]


@router.post("", status_code=status.HTTP_201_CREATED)
async def add_processor(body: ProcessorCreate, _dpo: DpoUser, db: SessionDep) -> ProcessorPublic:
    """422 for an unknown country code, and outside the EU/EEA without a safeguard."""
    processor = await processors.add(
        db,
        name=body.name,
        role=body.role,
        data_categories=body.data_categories,
        location=body.location,
        safeguard=body.safeguard,
        now=service.utcnow(),
    )
    return public(processor)


@router.delete("/{processor_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_processor(processor_id: str, _dpo: DpoUser, db: SessionDep) -> Response:
    await processors.remove(db, processor_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
