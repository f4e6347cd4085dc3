"""Personal-data breaches (PR8): the record, the 72-hour deadline, the people concerned and
their notification.

- Every breach is documented (Art. 33(5)), in the DPO's tenant, and stays as the record.
- The authority is notified within 72 hours of awareness (Art. 33(1)), possibly in phases
  (Art. 33(4)): an initial notification, then follow-ups. Each answer shows the deadline.
- The people concerned are found from the data map: the tenant's entries of the breach's
  services whose categories meet the breach's (any overlap) and, with a window, whose entry
  existed by its end. ``updated_at`` is the only date the map keeps (it moves when a service's
  categories change), so ``updated_at <= window_end`` is an approximation, documented as such.
- They are told in plain words (Art. 34), through identity, which holds the addresses; not
  when the data was encrypted (Art. 34(3)(a)); nobody twice.

Every function takes ``now``: the clock is the caller's (the tests bring their own).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import Principal
from kit.errors import Conflict, Invalid, NotFound
from kit.pagination import By, Keyset, Page, Part, fetch
from privacy import mailing
from privacy.config import Settings
from privacy.models import (
    Breach,
    BreachAffected,
    BreachNotification,
    DataMapEntry,
    ServiceDeclaration,
)

#: Art. 33(1): "without undue delay and, where feasible, not later than 72 hours".
AUTHORITY_DELAY = timedelta(hours=72)
#: Under this much time left, the deadline is shown ``near``.
NEAR = timedelta(hours=24)
#: An awareness time this far in the future is still accepted (clocks differ a little).
CLOCK_SKEW = timedelta(minutes=1)
PHASES = ("initial", "follow-up")

DeadlineStatus = Literal["ok", "near", "past", "met", "late"]


@dataclass(frozen=True)
class Deadline:
    at: datetime
    #: Before the authority is notified: hours from now to the deadline (negative once past).
    #: After: the hours that were left when it was notified (negative: that late).
    hours_left: float
    #: ``ok``, ``near`` (under 24 h left), ``past`` (over, not notified), then ``met`` or
    #: ``late`` once the authority was notified.
    status: DeadlineStatus


def deadline(aware_at: datetime, authority_notified_at: datetime | None, now: datetime) -> Deadline:
    due = aware_at + AUTHORITY_DELAY
    status: DeadlineStatus
    if authority_notified_at is not None:
        left = due - authority_notified_at
        status = "met" if authority_notified_at <= due else "late"
    else:
        left = due - now
        status = "past" if left < timedelta(0) else "near" if left < NEAR else "ok"
    return Deadline(due, round(left.total_seconds() / 3600, 1), status)


def deadline_of(breach: Breach, now: datetime) -> Deadline:
    return deadline(breach.aware_at, breach.authority_notified_at, now)


#: The list's order, most urgent first: the breaches the authority was not told of yet, the
#: nearest deadline first (72 hours after awareness: the earliest awareness first)...
NOT_NOTIFIED = Keyset[Breach](
    "breaches-open",
    (By(Breach.aware_at, datetime), By(Breach.id, str)),
    key=lambda b: (b.aware_at, b.id),
)
#: ... then the others, the newest first.
NOTIFIED = Keyset[Breach](
    "breaches-notified",
    (By(Breach.aware_at, datetime, descending=True), By(Breach.id, str)),
    key=lambda b: (b.aware_at, b.id),
)


# -- what a breach covers ----------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    services: list[str]
    categories: list[str]
    window_start: datetime | None = None
    window_end: datetime | None = None


async def known_services(db: AsyncSession, settings: Settings) -> set[str]:
    """The services that can hold personal data: the registry, privacy itself, and any
    service that published its declarations."""
    declared = await db.scalars(select(ServiceDeclaration.service))
    return {*settings.participants, settings.service_name, *declared}


async def check_scope(
    db: AsyncSession, settings: Settings, scope: Scope, *, aware_at: datetime, now: datetime
) -> None:
    """422 for an awareness time in the future, an unknown service, a window that ends before
    it starts, or a category none of the services declares (when they all declared)."""
    if aware_at > now + CLOCK_SKEW:
        raise Invalid("aware_at is in the future")
    if (
        scope.window_start is not None
        and scope.window_end is not None
        and scope.window_end < scope.window_start
    ):
        raise Invalid("window_end is before window_start")
    unknown = sorted(set(scope.services) - await known_services(db, settings))
    if unknown:
        raise Invalid(f"unknown services: {', '.join(unknown)}")
    declared = (
        await db.scalars(
            select(ServiceDeclaration).where(ServiceDeclaration.service.in_(scope.services))
        )
    ).all()
    if len(declared) == len(set(scope.services)):
        categories = {
            field["category"]
            for declaration in declared
            for table in declaration.inventory
            for field in table.get("fields", [])
        }
        missing = sorted(set(scope.categories) - categories)
        if missing:
            raise Invalid(f"categories these services do not declare: {', '.join(missing)}")


async def affected(db: AsyncSession, *, tenant_id: str, scope: Scope) -> tuple[list[str], int]:
    """The people concerned (account ids, sorted) and the data-map entries found (one per
    person and service): the approximate number of records."""
    query = select(DataMapEntry.subject, DataMapEntry.categories).where(
        DataMapEntry.tenant_id == tenant_id, DataMapEntry.service.in_(scope.services)
    )
    if scope.window_end is not None:
        query = query.where(DataMapEntry.updated_at <= scope.window_end)
    wanted = set(scope.categories)
    people: set[str] = set()
    entries = 0
    for subject, categories in (await db.execute(query)).all():
        if wanted.intersection(categories or ()):
            people.add(subject)
            entries += 1
    return sorted(people), entries


# -- the record --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """What the DPO records (Art. 33(3)(a), (c), (d))."""

    nature: str
    consequences: str
    measures: str
    encrypted: bool
    approx_people: int | None = None
    approx_records: int | None = None


async def record(
    db: AsyncSession,
    settings: Settings,
    *,
    principal: Principal,
    aware_at: datetime,
    scope: Scope,
    facts: Facts,
    now: datetime,
) -> Breach:
    await check_scope(db, settings, scope, aware_at=aware_at, now=now)
    people, entries = await affected(db, tenant_id=principal.tenant_id, scope=scope)
    breach = Breach(
        tenant_id=principal.tenant_id,
        reported_by=principal.user_id,
        aware_at=aware_at,
        recorded_at=now,
        nature=facts.nature,
        services=sorted(set(scope.services)),
        categories=sorted(set(scope.categories)),
        window_start=scope.window_start,
        window_end=scope.window_end,
        approx_people=len(people) if facts.approx_people is None else facts.approx_people,
        approx_records=entries if facts.approx_records is None else facts.approx_records,
        consequences=facts.consequences,
        measures=facts.measures,
        encrypted=facts.encrypted,
    )
    db.add(breach)
    await db.flush()
    if people:
        await db.execute(
            insert(BreachAffected),
            [{"breach_id": breach.id, "subject": s, "notified_at": None} for s in people],
        )
    return breach


async def breach_in_tenant(
    db: AsyncSession, *, tenant_id: str, breach_id: str, lock: bool = False
) -> Breach:
    query = select(Breach).where(Breach.id == breach_id, Breach.tenant_id == tenant_id)
    if lock:
        query = query.with_for_update()
    found = await db.scalar(query)
    if found is None:
        raise NotFound("no such breach")
    return found


async def breaches_page(
    db: AsyncSession, *, tenant_id: str, cursor: str | None, limit: int
) -> Page[Breach]:
    """The tenant's breaches, the most urgent first, ordered and paged by the database."""
    tenant = select(Breach).where(Breach.tenant_id == tenant_id)
    parts = [
        Part(tenant.where(Breach.authority_notified_at.is_(None)), NOT_NOTIFIED),
        Part(tenant.where(Breach.authority_notified_at.is_not(None)), NOTIFIED),
    ]
    return await fetch(db, parts, cursor=cursor, limit=limit)


async def counts(db: AsyncSession, breach_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
    """Per breach: the people concerned, and how many of them were told."""
    if not breach_ids:
        return {}
    rows = await db.execute(
        select(
            BreachAffected.breach_id,
            func.count(),
            func.count(BreachAffected.notified_at),
        )
        .where(BreachAffected.breach_id.in_(breach_ids))
        .group_by(BreachAffected.breach_id)
    )
    return {breach_id: (int(total), int(told)) for breach_id, total, told in rows.all()}


async def notifications_of(db: AsyncSession, breach_id: str) -> Sequence[BreachNotification]:
    found = await db.scalars(
        select(BreachNotification)
        .where(BreachNotification.breach_id == breach_id)
        .order_by(BreachNotification.at, BreachNotification.id)
    )
    return found.all()


async def affected_of(db: AsyncSession, breach_id: str) -> Sequence[BreachAffected]:
    found = await db.scalars(
        select(BreachAffected)
        .where(BreachAffected.breach_id == breach_id)
        .order_by(BreachAffected.subject)
    )
    return found.all()


# -- notifications -----------------------------------------------------------------------------


async def notify_authority(
    db: AsyncSession, breach: Breach, *, phase: str, text: str, now: datetime
) -> BreachNotification:
    """Record what the authority was told (the caller locked the breach): one initial
    notification, then any number of follow-ups (Art. 33(4))."""
    if phase not in PHASES:
        raise Invalid("phase is initial or follow-up")
    earlier = await notifications_of(db, breach.id)
    if phase == "initial" and earlier:
        raise Conflict("the initial notification is recorded already: add a follow-up")
    if phase == "follow-up" and not earlier:
        raise Conflict("record the initial notification first")
    notification = BreachNotification(breach_id=breach.id, phase=phase, text=text, at=now)
    db.add(notification)
    if breach.authority_notified_at is None:
        breach.authority_notified_at = now
    await db.flush()
    return notification


def people_notice(breach: Breach, settings: Settings) -> tuple[str, str]:
    """The mail to the people concerned (Art. 34(2)): nature, likely consequences, measures,
    the DPO's contact; French, then English."""
    categories = ", ".join(breach.categories)
    aware = breach.aware_at.strftime("%Y-%m-%d")
    dpo = f"{settings.dpo_name}, {settings.dpo_email}, {settings.dpo_address}"
    subject = "Violation de données vous concernant / A data breach concerning your data"
    text = (
        "Bonjour,\n\n"
        "Nous devons vous informer d'une violation de données personnelles qui concerne vos "
        "données (article 34 du RGPD).\n\n"
        f"Ce qui s'est passé : {breach.nature}\n"
        f"Données concernées : {categories}\n"
        f"Découverte le : {aware}\n"
        f"Conséquences probables : {breach.consequences}\n"
        f"Mesures prises ou proposées : {breach.measures}\n\n"
        f"Notre délégué à la protection des données répond à vos questions : {dpo}.\n\n"
        "-----\n\n"
        "Hello,\n\n"
        "We have to tell you about a personal data breach that concerns your data "
        "(Article 34 GDPR).\n\n"
        f"What happened: {breach.nature}\n"
        f"Data concerned: {categories}\n"
        f"Found on: {aware}\n"
        f"Likely consequences: {breach.consequences}\n"
        f"Measures taken or proposed: {breach.measures}\n\n"
        f"Our data protection officer answers your questions: {dpo}.\n"
    )
    return subject, text


async def notify_people(db: AsyncSession, settings: Settings, breach: Breach, now: datetime) -> int:
    """Mail every person concerned not told yet (the caller locked the breach); returns how
    many were asked for. 409 when the data was encrypted: Art. 34(3)(a) spares the notice."""
    if breach.encrypted:
        raise Conflict(
            "the breach's data was encrypted, unintelligible to whoever accessed it: the people "
            "concerned need not be told (Art. 34(3)(a) GDPR)"
        )
    pending = list(
        await db.scalars(
            select(BreachAffected.subject)
            .where(BreachAffected.breach_id == breach.id, BreachAffected.notified_at.is_(None))
            .order_by(BreachAffected.subject)
        )
    )
    if not pending:
        return 0
    subject, text = people_notice(breach, settings)
    await mailing.mail_accounts(
        db,
        settings,
        tenant_id=breach.tenant_id,
        recipients=[(s, None) for s in pending],
        subject=subject,
        text=text,
        marketing=False,
    )
    await db.execute(  # the same rows: the breach is locked
        update(BreachAffected)
        .where(BreachAffected.breach_id == breach.id, BreachAffected.notified_at.is_(None))
        .values(notified_at=now)
    )
    if breach.people_notified_at is None:
        breach.people_notified_at = now
    await db.flush()
    return len(pending)
