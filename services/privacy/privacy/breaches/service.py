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
- The client whose people it touches (the tenant, controller of their data; the platform is
  its processor) is told without undue delay (Art. 33(2)): as the breach is recorded, its
  admins get what Art. 33(3) lists, and the notice is recorded (who, when, which tenant).

Every function takes ``now``: the clock is the caller's (the tests bring their own).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import Principal, Role
from kit.errors import Conflict, Invalid, NotFound
from kit.i18n import translate
from privacy.breaches import repository
from privacy.breaches.models import (
    Breach,
    BreachClientNotice,
    BreachNotification,
    DeadlineStatus,
    NotificationPhase,
)
from privacy.config import Settings
from privacy.datamap import repository as datamap
from privacy.mailing.service import mail_accounts
from privacy.register import repository as register

#: Art. 33(1): "without undue delay and, where feasible, not later than 72 hours".
AUTHORITY_DELAY = timedelta(hours=72)
#: Under this much time left, the deadline is shown ``near``.
NEAR = timedelta(hours=24)
#: An awareness time this far in the future is still accepted (clocks differ a little).
CLOCK_SKEW = timedelta(minutes=1)


@dataclass(frozen=True)
class Deadline:
    at: datetime
    #: Before the authority is notified: hours from now to the deadline (negative once past).
    #: After: the hours that were left when it was notified (negative: that late).
    hours_left: float
    #: A ``DeadlineStatus``: ``ok``, ``near`` (under 24 h left), ``past`` (over, not
    #: notified), then ``met`` or ``late`` once the authority was notified.
    status: str


def deadline(aware_at: datetime, authority_notified_at: datetime | None, now: datetime) -> Deadline:
    due = aware_at + AUTHORITY_DELAY
    status: DeadlineStatus
    if authority_notified_at is not None:
        left = due - authority_notified_at
        status = DeadlineStatus.MET if authority_notified_at <= due else DeadlineStatus.LATE
    else:
        left = due - now
        if left < timedelta(0):
            status = DeadlineStatus.PAST
        else:
            status = DeadlineStatus.NEAR if left < NEAR else DeadlineStatus.OK
    return Deadline(due, round(left.total_seconds() / 3600, 1), status)


def deadline_of(breach: Breach, now: datetime) -> Deadline:
    return deadline(breach.aware_at, breach.authority_notified_at, now)


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
    declared = await register.declared_services(db)
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
    declared = await register.declarations_of(db, scope.services)
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
    entries_found = await datamap.categories_in(
        db, tenant_id=tenant_id, services=scope.services, mapped_by=scope.window_end
    )
    wanted = set(scope.categories)
    people: set[str] = set()
    entries = 0
    for subject, categories in entries_found:
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
        await repository.add_affected(db, breach.id, people)
    if breach.approx_people > 0:
        await notify_client(db, settings, breach, now)
    return breach


async def breach_in_tenant(
    db: AsyncSession, *, tenant_id: str, breach_id: str, lock: bool = False
) -> Breach:
    """The tenant's breach; 404 for another tenant's, or none."""
    found = await repository.breach_in_tenant(
        db, tenant_id=tenant_id, breach_id=breach_id, lock=lock
    )
    if found is None:
        raise NotFound("no such breach")
    return found


# -- notifications -----------------------------------------------------------------------------


async def notify_authority(
    db: AsyncSession, breach: Breach, *, phase: str, text: str, now: datetime
) -> BreachNotification:
    """Record what the authority was told (the caller locked the breach): one initial
    notification, then any number of follow-ups (Art. 33(4))."""
    if phase not in tuple(NotificationPhase):
        raise Invalid("phase is initial or follow-up")
    earlier = await repository.notifications_of(db, breach.id)
    if phase == NotificationPhase.INITIAL and earlier:
        raise Conflict("the initial notification is recorded already: add a follow-up")
    if phase == NotificationPhase.FOLLOW_UP and not earlier:
        raise Conflict("record the initial notification first")
    notification = BreachNotification(breach_id=breach.id, phase=phase, text=text, at=now)
    db.add(notification)
    if breach.authority_notified_at is None:
        breach.authority_notified_at = now
    await db.flush()
    return notification


def client_notice(breach: Breach, settings: Settings) -> tuple[str, str]:
    """The notice to the client, the controller (Art. 33(2)), with what Art. 33(3) lists:
    the nature, the categories and approximate numbers of people and records, the DPO's
    contact, the likely consequences, the measures taken; French, then English (the
    declared categories in each, ``kit.i18n``)."""
    categories = ", ".join(breach.categories)
    categories_fr = ", ".join(translate(c, "fr") for c in breach.categories)
    services = ", ".join(breach.services)
    aware = breach.aware_at.strftime("%Y-%m-%d %H:%M UTC")
    dpo = f"{settings.dpo_name}, {settings.dpo_email}, {settings.dpo_address}"
    people, records = breach.approx_people, breach.approx_records
    subject = (
        "Violation de données touchant vos salariés (art. 33(2) RGPD) / "
        "A data breach touching your people (Art. 33(2) GDPR)"
    )
    text = (
        "Bonjour,\n\n"
        "En tant que sous-traitant, nous vous notifions une violation de données personnelles "
        "qui touche des personnes dont vous êtes le responsable de traitement (article 33(2) "
        "du RGPD). Il vous revient d'apprécier la notification à la CNIL (72 heures).\n\n"
        f"Nature de la violation : {breach.nature}\n"
        f"Découverte le : {aware}\n"
        f"Services concernés : {services}\n"
        f"Catégories de données : {categories_fr}\n"
        f"Nombre approximatif de personnes concernées : {people}\n"
        f"Nombre approximatif d'enregistrements concernés : {records}\n"
        f"Conséquences probables : {breach.consequences}\n"
        f"Mesures prises ou proposées : {breach.measures}\n"
        f"Délégué à la protection des données : {dpo}\n\n"
        "-----\n\n"
        "Hello,\n\n"
        "As your processor, we notify you of a personal data breach touching people whose "
        "data you control (Article 33(2) GDPR). Whether to notify the supervisory authority "
        "(72 hours) is yours to assess.\n\n"
        f"Nature of the breach: {breach.nature}\n"
        f"Found on: {aware}\n"
        f"Services concerned: {services}\n"
        f"Categories of data: {categories}\n"
        f"Approximate number of people concerned: {people}\n"
        f"Approximate number of records concerned: {records}\n"
        f"Likely consequences: {breach.consequences}\n"
        f"Measures taken or proposed: {breach.measures}\n"
        f"Data protection officer: {dpo}\n"
    )
    return subject, text


async def notify_client(
    db: AsyncSession, settings: Settings, breach: Breach, now: datetime
) -> BreachClientNotice:
    """Tell the client (its tenant admins, through identity) and record it."""
    subject, text = client_notice(breach, settings)
    await mail_accounts(
        db,
        settings,
        tenant_id=breach.tenant_id,
        recipients=[],
        subject=subject,
        text=text,
        marketing=False,
        role=Role.TENANT_ADMIN,
    )
    notice = BreachClientNotice(
        breach_id=breach.id,
        tenant_id=breach.tenant_id,
        recipients=Role.TENANT_ADMIN.value,
        text=text,
        at=now,
    )
    db.add(notice)
    await db.flush()
    return notice


def people_notice(breach: Breach, settings: Settings) -> tuple[str, str]:
    """The mail to the people concerned (Art. 34(2)): nature, likely consequences, measures,
    the DPO's contact; French, then English (the declared categories in each)."""
    categories = ", ".join(breach.categories)
    categories_fr = ", ".join(translate(c, "fr") for c in breach.categories)
    aware = breach.aware_at.strftime("%Y-%m-%d")
    dpo = f"{settings.dpo_name}, {settings.dpo_email}, {settings.dpo_address}"
    subject = "Violation de données vous concernant / A data breach concerning your data"
    text = (
        "Bonjour,\n\n"
        "Nous devons vous informer d'une violation de données personnelles qui concerne vos "
        "données (article 34 du RGPD).\n\n"
        f"Ce qui s'est passé : {breach.nature}\n"
        f"Données concernées : {categories_fr}\n"
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
    pending = await repository.not_told(db, breach.id)
    if not pending:
        return 0
    subject, text = people_notice(breach, settings)
    await mail_accounts(
        db,
        settings,
        tenant_id=breach.tenant_id,
        recipients=[(s, None) for s in pending],
        subject=subject,
        text=text,
        marketing=False,
        deactivated_too=True,  # Art. 34: a deactivated account's data was hit all the same
    )
    await repository.mark_told(db, breach.id, now)
    if breach.people_notified_at is None:
        breach.people_notified_at = now
    await db.flush()
    return len(pending)
