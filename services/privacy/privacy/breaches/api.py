"""Personal-data breaches (PR8): ``/api/privacy/breaches`` (DPO only, the DPO's tenant)."""

from datetime import datetime

from fastapi import APIRouter, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import DpoUser
from kit.db import SessionDep, utcnow
from kit.pagination import DEFAULT_LIMIT, PAGED_RESPONSES, Cursor, Limit
from privacy.breaches import repository, service
from privacy.breaches.models import Breach
from privacy.breaches.schemas import (
    BreachCreate,
    BreachDetail,
    BreachPublic,
    BreachScope,
    NotificationCreate,
    PeopleNotified,
    Preview,
    detail,
    public,
)
from privacy.context import ContextDep

router = APIRouter(prefix="/api/privacy/breaches", tags=["breaches"])


async def _detail(db: AsyncSession, breach: Breach, now: datetime) -> BreachDetail:
    return detail(
        breach,
        await repository.notifications_of(db, breach.id),
        await repository.affected_of(db, breach.id),
        now,
        await repository.client_notices_of(db, breach.id),
    )


@router.post("", status_code=status.HTTP_201_CREATED)
async def record_breach(
    body: BreachCreate, principal: DpoUser, db: SessionDep, ctx: ContextDep
) -> BreachDetail:
    """Document a breach (Art. 33(5)); the people concerned are found from the data map."""
    now = utcnow()
    breach = await service.record(
        db,
        ctx.settings,
        principal=principal,
        aware_at=body.aware_at,
        scope=body.scope(),
        facts=service.Facts(
            nature=body.nature,
            consequences=body.consequences,
            measures=body.measures,
            encrypted=body.encrypted,
            approx_people=body.approx_people,
            approx_records=body.approx_records,
        ),
        now=now,
    )
    return await _detail(db, breach, now)


@router.post("/preview")
async def preview(
    body: BreachScope, principal: DpoUser, db: SessionDep, ctx: ContextDep
) -> Preview:
    """How many people and data-map entries a breach of this scope concerns, recording
    nothing."""
    now = utcnow()
    scope = body.scope()
    await service.check_scope(db, ctx.settings, scope, aware_at=now, now=now)
    people, entries = await service.affected(db, tenant_id=principal.tenant_id, scope=scope)
    return Preview(affected_people=len(people), affected_records=entries)


@router.get("", responses=PAGED_RESPONSES)
async def list_breaches(
    principal: DpoUser,
    db: SessionDep,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[BreachPublic]:
    """The tenant's breaches, the most urgent first (the authority not told yet, the nearest
    deadline first; then the others, newest first); one page (``X-Next-Cursor``: the next)."""
    now = utcnow()
    page = await repository.breaches_page(
        db, tenant_id=principal.tenant_id, cursor=cursor, limit=limit
    )
    counted = await repository.counts(db, [b.id for b in page.items])
    return page.map(lambda b: public(b, counted.get(b.id, (0, 0)), now)).send(response)


@router.get("/{breach_id}")
async def get_breach(breach_id: str, principal: DpoUser, db: SessionDep) -> BreachDetail:
    breach = await service.breach_in_tenant(db, tenant_id=principal.tenant_id, breach_id=breach_id)
    return await _detail(db, breach, utcnow())


@router.post("/{breach_id}/notifications", status_code=status.HTTP_201_CREATED)
async def notify_authority(
    breach_id: str, body: NotificationCreate, principal: DpoUser, db: SessionDep
) -> BreachDetail:
    """Record a notification to the authority: the initial one, then follow-ups (Art. 33(4))."""
    now = utcnow()
    breach = await service.breach_in_tenant(
        db, tenant_id=principal.tenant_id, breach_id=breach_id, lock=True
    )
    await service.notify_authority(db, breach, phase=body.phase, text=body.text, now=now)
    return await _detail(db, breach, now)


@router.post("/{breach_id}/notify-people")
async def notify_people(
    breach_id: str, principal: DpoUser, db: SessionDep, ctx: ContextDep
) -> PeopleNotified:
    """Mail the people concerned (Art. 34), each once; 409 when the data was encrypted."""
    now = utcnow()
    breach = await service.breach_in_tenant(
        db, tenant_id=principal.tenant_id, breach_id=breach_id, lock=True
    )
    count = await service.notify_people(db, ctx.settings, breach, now)
    return PeopleNotified(notified=count, breach=await _detail(db, breach, now))
