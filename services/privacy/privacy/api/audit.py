"""Who accessed my data (PR10): ``GET /api/privacy/access-log``."""

from fastapi import APIRouter
from pydantic import BaseModel

from kit.auth import CurrentUser
from kit.db import SessionDep
from privacy import repository

router = APIRouter(prefix="/api/privacy", tags=["audit"])


class Access(BaseModel):
    at: str
    #: Who: their account id and role (a tenant admin, a support agent, the DPO...).
    actor_id: str
    actor_roles: list[str]
    service: str
    action: str
    what: str
    route: str


@router.get("/access-log")
async def access_log(principal: CurrentUser, db: SessionDep) -> list[Access]:
    """Every read or change of the caller's data by someone else, newest first."""
    found = await repository.audit_of(db, subject=principal.user_id)
    return [
        Access(
            at=e.at.isoformat(),
            actor_id=e.actor_id,
            actor_roles=e.actor_roles,
            service=e.service,
            action=e.action,
            what=e.what,
            route=e.route,
        )
        for e in found
    ]
