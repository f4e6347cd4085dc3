"""The public page of a tenant: ``GET /api/auth/tenants/{slug}``."""

from fastapi import APIRouter

from identity.tenants import service
from identity.tenants.schemas import TenantPublic
from kit.db import SessionDep

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.get("/tenants/{slug}")
async def tenant(slug: str, db: SessionDep) -> TenantPublic:
    """Public: the name shown on a tenant's login page."""
    found = await service.public_tenant(db, slug)
    return TenantPublic(slug=found.slug, name=found.name)
