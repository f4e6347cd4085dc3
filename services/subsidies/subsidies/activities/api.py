"""Activities to book: ``/api/subsidies/activities``."""

from fastapi import APIRouter, Response, status

from kit.auth import CurrentUser, TenantAdmin
from kit.db import ReadSessionDep, SessionDep, utcnow
from kit.pagination import DEFAULT_LIMIT, PAGED_RESPONSES, Cursor, Limit
from subsidies.activities import repository, service
from subsidies.activities.schemas import ActivityIn, ActivityPublic

router = APIRouter(prefix="/api/subsidies", tags=["activities"])


@router.get("/activities", responses=PAGED_RESPONSES)
async def list_activities(
    principal: CurrentUser,
    db: ReadSessionDep,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[ActivityPublic]:
    """The activities open to booking, the soonest first; one page (``X-Next-Cursor`` holds
    the next one's cursor)."""
    page = await repository.active_activities_page(
        db, tenant_id=principal.tenant_id, cursor=cursor, limit=limit
    )
    return page.map(ActivityPublic.of).send(response)


@router.post("/activities", status_code=status.HTTP_201_CREATED)
async def create_activity(body: ActivityIn, admin: TenantAdmin, db: SessionDep) -> ActivityPublic:
    return ActivityPublic.of(
        await service.create_activity(db, principal=admin, data=body, now=utcnow())
    )
