"""The DPO's contact, public (PR11): ``GET /api/privacy/dpo``."""

from fastapi import APIRouter, Request

from privacy.config import Settings
from privacy.schemas import DpoContact

router = APIRouter(prefix="/api/privacy", tags=["dpo"])


@router.get("/dpo")
async def contact(request: Request) -> DpoContact:
    settings: Settings = request.app.state.settings
    return DpoContact(
        name=settings.dpo_name, email=settings.dpo_email, address=settings.dpo_address
    )
