"""Who accessed my data (PR10): ``GET /api/privacy/access-log``."""

from fastapi import APIRouter, Response

from kit.auth import CurrentUser
from kit.db import SessionDep
from kit.pagination import DEFAULT_LIMIT, PAGED_RESPONSES, Cursor, Limit
from privacy.audit import repository
from privacy.audit.schemas import Access, public

router = APIRouter(prefix="/api/privacy", tags=["audit"])


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
