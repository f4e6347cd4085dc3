"""The beneficiary's own profile and what it entitles them to: ``/api/subsidies``."""

from fastapi import APIRouter, Response

from kit.auth import CurrentUser
from kit.db import ReadSessionDep, SessionDep, utcnow
from kit.pagination import DEFAULT_LIMIT, PAGED_RESPONSES, Cursor, Limit
from subsidies.profiles import service
from subsidies.profiles.schemas import Eligibility, ProfileIn, ProfilePublic

router = APIRouter(prefix="/api/subsidies", tags=["profile"])


@router.get("/profile")
async def get_profile(principal: CurrentUser, db: ReadSessionDep) -> ProfilePublic:
    return ProfilePublic.of(await service.own_profile(db, principal=principal))


@router.put("/profile")
async def put_profile(body: ProfileIn, principal: CurrentUser, db: SessionDep) -> ProfilePublic:
    """Only what the rules use: a number of children, no names, no documents."""
    profile = await service.set_profile(
        db, principal=principal, children_count=body.children_count, now=utcnow()
    )
    return ProfilePublic.of(profile)


@router.get("/eligibility", responses=PAGED_RESPONSES)
async def eligibility(
    principal: CurrentUser,
    db: ReadSessionDep,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[Eligibility]:
    """The rules you meet, in the order they were made, with what is left under each cap;
    one page (``X-Next-Cursor`` holds the next one's cursor)."""
    page = await service.eligibility(
        db, principal=principal, now=utcnow(), cursor=cursor, limit=limit
    )
    return page.send(response)
