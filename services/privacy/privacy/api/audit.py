"""Who accessed my data (PR10): ``GET /api/privacy/access-log``."""

from fastapi import APIRouter, Response
from pydantic import BaseModel

from kit.auth import CurrentUser
from kit.db import SessionDep
from kit.pagination import DEFAULT_LIMIT, PAGED_RESPONSES, Cursor, Limit
from privacy import repository
from privacy.models import AuditEntry

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


def public(entry: AuditEntry) -> Access:
    return Access(
        at=entry.at.isoformat(),
        actor_id=entry.actor_id,
        actor_roles=entry.actor_roles,
        service=entry.service,
        action=entry.action,
        what=entry.what,
        route=entry.route,
    )


@router.get("/access-log", responses=PAGED_RESPONSES)
async def access_log(
    principal: CurrentUser,
    db: SessionDep,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[Access]:
    """Every read or change of the caller's data by someone else, newest first; one page
    (``X-Next-Cursor`` holds the next one's cursor)."""
    page = await repository.audit_page(db, subject=principal.user_id, cursor=cursor, limit=limit)
    return page.map(public).send(response)
