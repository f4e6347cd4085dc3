"""The DPO's contact, public (PR11): ``GET /api/privacy/dpo``."""

from fastapi import APIRouter

from privacy.context import ContextDep
from privacy.dpo.schemas import DpoContact

router = APIRouter(prefix="/api/privacy", tags=["dpo"])


@router.get("/dpo")
async def contact(ctx: ContextDep) -> DpoContact:
    settings = ctx.settings
    return DpoContact(
        name=settings.dpo_name, email=settings.dpo_email, address=settings.dpo_address
    )
