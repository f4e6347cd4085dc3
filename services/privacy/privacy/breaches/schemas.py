"""Bodies of the breaches' routes, and how a breach is shown."""

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Literal, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from kit.schemas import Line, text
from privacy.breaches.models import (
    Breach,
    BreachAffected,
    BreachClientNotice,
    BreachNotification,
    DeadlineStatus,
    NotificationPhase,
)
from privacy.breaches.service import Scope, deadline_of

#: The enums' values as literals in the bodies: a bad phase stays a 422 of type
#: ``literal_error``, and the OpenAPI document is the one the API has always had.
PhaseValue = Literal["initial", "follow-up"]
assert set(get_args(PhaseValue)) == set(NotificationPhase)
DeadlineStatusValue = Literal["ok", "near", "past", "met", "late"]
assert set(get_args(DeadlineStatusValue)) == set(DeadlineStatus)

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

    def scope(self) -> Scope:
        return Scope(
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

    phase: PhaseValue
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
    deadline_status: DeadlineStatusValue
    authority_notified_at: datetime | None
    people_notified_at: datetime | None
    affected_count: int
    notified_count: int


class ClientNoticePublic(BaseModel):
    """The client told of the breach (Art. 33(2)): which tenant, who, when."""

    tenant_id: str
    recipients: str
    at: datetime


class BreachDetail(BreachPublic):
    notifications: list[NotificationPublic]
    affected: list[AffectedPublic]
    client_notices: list[ClientNoticePublic]


class Preview(BaseModel):
    affected_people: int
    affected_records: int


class PeopleNotified(BaseModel):
    #: How many people were mailed by this call (nobody is mailed twice).
    notified: int
    breach: BreachDetail


def public(breach: Breach, counted: tuple[int, int], now: datetime) -> BreachPublic:
    deadline = deadline_of(breach, now)
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
    client_notices: Sequence[BreachClientNotice] = (),
) -> BreachDetail:
    told = sum(1 for a in affected if a.notified_at is not None)
    return BreachDetail(
        **public(breach, (len(affected), told), now).model_dump(),
        notifications=[
            NotificationPublic(id=n.id, phase=n.phase, text=n.text, at=n.at) for n in notifications
        ],
        affected=[AffectedPublic(subject=a.subject, notified_at=a.notified_at) for a in affected],
        client_notices=[
            ClientNoticePublic(tenant_id=n.tenant_id, recipients=n.recipients, at=n.at)
            for n in client_notices
        ],
    )
