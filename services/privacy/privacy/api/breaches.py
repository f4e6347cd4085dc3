"""Personal-data breaches (PR8): ``/api/privacy/breaches`` (DPO only, the DPO's tenant)."""

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Response, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import DpoUser
from kit.db import SessionDep
from kit.pagination import DEFAULT_LIMIT, PAGED_RESPONSES, Cursor, Limit
from kit.schemas import Line, text
from privacy import breaches, service
from privacy.api import PrivacyDep
from privacy.models import Breach, BreachAffected, BreachNotification

router = APIRouter(prefix="/api/privacy/breaches", tags=["breaches"])

Text = Annotated[str, text(5000, lines=True)]
ServiceName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,39}$")]
MAX_COUNT = 1_000_000_000


class BreachScope(BaseModel):
    """Which data: the services and categories concerned, and when, if known."""

    model_config = ConfigDict(extra="forbid")

    services: list[ServiceName] = Field(min_length=1, max_length=20)
    categories: list[Line] = Field(min_length=1, max_length=50)
    window_start: AwareDatetime | None = None
    window_end: AwareDatetime | None = None

    def scope(self) -> breaches.Scope:
        return breaches.Scope(
            services=self.services,
            categories=self.categories,
            window_start=self.window_start,
            window_end=self.window_end,
        )


class BreachCreate(BreachScope):
    #: When the platform became aware of it: the 72 hours run from here.
    aware_at: AwareDatetime
    nature: Text
    #: Default: the people and data-map entries found. Bounded: the columns are 32-bit
    #: integers, and a larger number was a database error (a 500), not a 422.
    approx_people: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    approx_records: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    consequences: Text
    measures: Text
    #: The data was unintelligible to whoever accessed it (Art. 34(3)(a)).
    encrypted: bool


class NotificationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phase: Literal["initial", "follow-up"]
    text: Text


class NotificationPublic(BaseModel):
    id: str
    phase: str
    text: str
    at: datetime


class AffectedPublic(BaseModel):
    subject: str
    notified_at: datetime | None


class BreachPublic(BaseModel):
    id: str
    aware_at: datetime
    recorded_at: datetime
    reported_by: str
    nature: str
    services: list[str]
    categories: list[str]
    window_start: datetime | None
    window_end: datetime | None
    approx_people: int
    approx_records: int
    consequences: str
    measures: str
    encrypted: bool
    #: Art. 33(1): 72 hours after ``aware_at``.
    deadline_at: datetime
    hours_left: float
    deadline_status: breaches.DeadlineStatus
    authority_notified_at: datetime | None
    people_notified_at: datetime | None
    affected_count: int
    notified_count: int


class BreachDetail(BreachPublic):
    notifications: list[NotificationPublic]
    affected: list[AffectedPublic]


class Preview(BaseModel):
    affected_people: int
    affected_records: int


class PeopleNotified(BaseModel):
    #: How many people were mailed by this call (nobody is mailed twice).
    notified: int
    breach: BreachDetail


def public(breach: Breach, counted: tuple[int, int], now: datetime) -> BreachPublic:
    deadline = breaches.deadline_of(breach, now)
    return BreachPublic(
        id=breach.id,
        aware_at=breach.aware_at,
        recorded_at=breach.recorded_at,
        reported_by=breach.reported_by,
        nature=breach.nature,
        services=breach.services,
        categories=breach.categories,
        window_start=breach.window_start,
        window_end=breach.window_end,
        approx_people=breach.approx_people,
        approx_records=breach.approx_records,
        consequences=breach.consequences,
        measures=breach.measures,
        encrypted=breach.encrypted,
        deadline_at=deadline.at,
        hours_left=deadline.hours_left,
        deadline_status=deadline.status,
        authority_notified_at=breach.authority_notified_at,
        people_notified_at=breach.people_notified_at,
        affected_count=counted[0],
        notified_count=counted[1],
    )


def detail(
    breach: Breach,
    notifications: Sequence[BreachNotification],
    affected: Sequence[BreachAffected],
    now: datetime,
) -> BreachDetail:
    told = sum(1 for a in affected if a.notified_at is not None)
    return BreachDetail(
        **public(breach, (len(affected), told), now).model_dump(),
        notifications=[
            NotificationPublic(id=n.id, phase=n.phase, text=n.text, at=n.at) for n in notifications
        ],
        affected=[AffectedPublic(subject=a.subject, notified_at=a.notified_at) for a in affected],
    )


async def _detail(db: AsyncSession, breach: Breach, now: datetime) -> BreachDetail:
    return detail(
        breach,
        await breaches.notifications_of(db, breach.id),
        await breaches.affected_of(db, breach.id),
        now,
    )


@router.post("", status_code=status.HTTP_201_CREATED)
async def record_breach(
    body: BreachCreate, principal: DpoUser, db: SessionDep, ctx: PrivacyDep
) -> BreachDetail:
    """Document a breach (Art. 33(5)); the people concerned are found from the data map."""
    now = service.utcnow()
    breach = await breaches.record(
        db,
        ctx.settings,
        principal=principal,
        aware_at=body.aware_at,
        scope=body.scope(),
        facts=breaches.Facts(
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
    body: BreachScope, principal: DpoUser, db: SessionDep, ctx: PrivacyDep
) -> Preview:
    """How many people and data-map entries a breach of this scope concerns, recording
    nothing."""
    now = service.utcnow()
    scope = body.scope()
    await breaches.check_scope(db, ctx.settings, scope, aware_at=now, now=now)
    people, entries = await breaches.affected(db, tenant_id=principal.tenant_id, scope=scope)
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
    now = service.utcnow()
    page = await breaches.breaches_page(
        db, tenant_id=principal.tenant_id, cursor=cursor, limit=limit
    )
    counted = await breaches.counts(db, [b.id for b in page.items])
    return page.map(lambda b: public(b, counted.get(b.id, (0, 0)), now)).send(response)


@router.get("/{breach_id}")
async def get_breach(breach_id: str, principal: DpoUser, db: SessionDep) -> BreachDetail:
    breach = await breaches.breach_in_tenant(db, tenant_id=principal.tenant_id, breach_id=breach_id)
    return await _detail(db, breach, service.utcnow())


@router.post("/{breach_id}/notifications", status_code=status.HTTP_201_CREATED)
async def notify_authority(
    breach_id: str, body: NotificationCreate, principal: DpoUser, db: SessionDep
) -> BreachDetail:
    """Record a notification to the authority: the initial one, then follow-ups (Art. 33(4))."""
    now = service.utcnow()
    breach = await breaches.breach_in_tenant(
        db, tenant_id=principal.tenant_id, breach_id=breach_id, lock=True
    )
    await breaches.notify_authority(db, breach, phase=body.phase, text=body.text, now=now)
    return await _detail(db, breach, now)


@router.post("/{breach_id}/notify-people")
async def notify_people(
    breach_id: str, principal: DpoUser, db: SessionDep, ctx: PrivacyDep
) -> PeopleNotified:
    """Mail the people concerned (Art. 34), each once; 409 when the data was encrypted."""
    now = service.utcnow()
    breach = await breaches.breach_in_tenant(
        db, tenant_id=principal.tenant_id, breach_id=breach_id, lock=True
    )
    count = await breaches.notify_people(db, ctx.settings, breach, now)
    return PeopleNotified(notified=count, breach=await _detail(db, breach, now))
