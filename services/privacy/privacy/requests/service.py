"""Data-subject requests: filing them (by the person, by the DPO on their behalf, by the
platform for a closed account) and what the DPO does with them (extend, cancel, lift a
restriction). Their commands and answers: ``privacy.requests.commands``; the identity check of
a request the DPO filed: ``privacy.verification``.
"""

import calendar
import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kit import tracing
from kit.auth import Principal, Role
from kit.clients import IdentityClient
from kit.errors import Conflict, Invalid, NotFound
from kit.i18n import DEFAULT as DEFAULT_LANGUAGE
from kit.i18n import Language
from kit.privacy.protocol import Action
from kit.security import security_event
from privacy.base import subject_data
from privacy.context import Context
from privacy.datamap import repository as datamap
from privacy.erasures import repository as erasures
from privacy.mailing.service import mail_accounts
from privacy.requests import repository
from privacy.requests.commands import close, send
from privacy.requests.models import (
    FINAL,
    READ_ONLY,
    SENSITIVE,
    SIMPLE_ACTIONS,
    Channel,
    Request,
    RequestStatus,
    RequestType,
    Task,
    TaskStatus,
)
from privacy.verification import service as verification


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` later (the last day of a shorter month): Art. 12(3)'s "month"."""
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def plan(
    request_type: RequestType, services: list[str], account: str
) -> list[tuple[int, str, Action]]:
    """The tasks of a request: (phase, service, action)."""
    if request_type == RequestType.ERASURE:
        first = [(1, account, Action.REVOKE_SESSIONS)] if account in services else []
        others = [(1, s, Action.ERASE) for s in services if s != account]
        last = [(2, account, Action.ERASE)] if account in services else []
        return first + others + last
    return [(1, s, SIMPLE_ACTIONS[request_type]) for s in services]


def parse_corrections(corrections: dict[str, str]) -> dict[str, dict[str, dict[str, str]]]:
    """``{"identity.users.first_name": "Alicia"}`` to ``{service: {table: {column: value}}}``."""
    grouped: dict[str, dict[str, dict[str, str]]] = {}
    for path, value in corrections.items():
        parts = path.split(".")
        if len(parts) != 3 or not all(parts):
            raise Invalid(f"a correction is named service.table.field, not {path!r}")
        service, table, column = parts
        grouped.setdefault(service, {}).setdefault(table, {})[column] = value
    return grouped


@dataclass(frozen=True)
class Filing:
    """How a request arrived: self-service, or entered by the DPO with the check they made."""

    channel: Channel = Channel.SELF_SERVICE
    identity_check: str | None = None
    filed_by: str | None = None


SELF_SERVICE = Filing()
#: Opened by the platform itself: identity closed an account unused for years after warning the
#: person (storage limitation); nobody filed it, so no identity check and no DPO.
INACTIVITY = Filing(channel=Channel.INACTIVITY)


def removed_by(admin_id: str) -> Filing:
    """Filed for a tenant admin who removed an account (``DELETE /api/users/{id}``)."""
    return Filing(channel=Channel.ADMIN_REMOVAL, filed_by=admin_id)


def retry_key(filer: str, client_key: str | None) -> str | None:
    """What is stored of a client's ``Idempotency-Key``: a hash bound to who sent it, so one
    person's key never finds another's request."""
    if not client_key:
        return None
    return hashlib.sha256(f"{filer}|{client_key}".encode()).hexdigest()


async def _add(db: AsyncSession, request: Request) -> Request | None:
    """Add ``request``: None, or the request of the same filing when it got in first (its
    idempotency key sent twice at once: one request)."""
    try:
        async with db.begin_nested():
            db.add(request)
            await db.flush()
    except IntegrityError:
        earlier = await repository.request_by_idempotency_key(db, request.idempotency_key or "")
        if earlier is None:
            raise
        return earlier
    return None


async def _add_tasks(
    db: AsyncSession, request: Request, tasks: list[tuple[int, str, Action]], verify: bool
) -> None:
    """The request's tasks: phase 1 waits for its commands, unless the identity check must
    come first; later phases wait for the earlier ones (``pending``)."""
    for phase, service, action in tasks:
        first = phase == 1 and not verify
        db.add(
            Task(
                request_id=request.id,
                service=service,
                action=action.value,
                phase=phase,
                status=TaskStatus.WAITING if first else TaskStatus.PENDING,
                attempts=0,
            )
        )
    await db.flush()


async def open_request(
    db: AsyncSession,
    ctx: Context,
    *,
    tenant_id: str,
    subject: str,
    request_type: RequestType,
    now: datetime,
    corrections: dict[str, str] | None = None,
    filing: Filing = SELF_SERVICE,
    verify: bool = False,
    document: str | None = None,
    idempotency_key: str | None = None,
    language: Language = DEFAULT_LANGUAGE,
) -> Request:
    """Open a request and send its first commands; with ``verify``, nothing is sent until the
    one-time code mailed to the account comes back (``privacy.verification.service.verify``).

    ``idempotency_key`` (see ``retry_key``): a filing sent again, because its answer was lost,
    gets the request the first one opened, even once that one is completed."""
    if idempotency_key is not None:
        earlier = await repository.request_by_idempotency_key(db, idempotency_key)
        if earlier is not None:
            return earlier
    if request_type == RequestType.RECTIFICATION and not corrections:
        raise Invalid("a rectification needs corrections")
    if request_type == RequestType.ERASURE:
        existing = await repository.open_erasure_of(db, tenant_id=tenant_id, subject=subject)
        if existing is not None:
            return existing  # an erasure is under way: asking twice changes nothing
    services = sorted(
        set(ctx.settings.participants) | set(await datamap.services_holding(db, subject))
    )
    request = Request(
        tenant_id=tenant_id,
        subject=subject,
        type=request_type,
        status=RequestStatus.AWAITING_CODE if verify else RequestStatus.IN_PROGRESS,
        channel=filing.channel,
        identity_check=filing.identity_check,
        filed_by=filing.filed_by,
        received_at=now,
        due_at=add_months(now, 1),
        corrections=parse_corrections(corrections) if corrections else None,
        idempotency_key=idempotency_key,
        traceparent=tracing.current_traceparent(),
        language=language,
    )
    if (earlier := await _add(db, request)) is not None:
        return earlier
    await _add_tasks(
        db, request, plan(request_type, services, ctx.settings.account_service), verify
    )
    if request_type in SENSITIVE:
        security_event(
            f"dsr.{request_type}", service="privacy", request=request.id, channel=filing.channel
        )
    if verify:
        await verification.start(db, ctx, request=request, document=document, now=now)
        return request
    for task in await repository.tasks_of(db, request.id):
        if task.status == TaskStatus.WAITING:
            await send(db, request, task, now)
    return request


async def file_on_behalf(
    db: AsyncSession,
    ctx: Context,
    identity: IdentityClient,
    *,
    dpo: Principal,
    email: str,
    request_type: RequestType,
    filing: Filing,
    now: datetime,
    corrections: dict[str, str] | None = None,
    verify: bool = True,
    document: str | None = None,
    idempotency_key: str | None = None,
    language: Language = DEFAULT_LANGUAGE,
) -> Request:
    """A request the DPO received by email or post, about the account with ``email`` in the
    DPO's tenant (asked of identity, which alone holds addresses)."""
    if idempotency_key is not None:
        # Looked up first: once an erasure is done, the account is no longer there to find.
        earlier = await repository.request_by_idempotency_key(db, idempotency_key)
        if earlier is not None:
            return earlier
    return await open_request(
        db,
        ctx,
        tenant_id=dpo.tenant_id,
        subject=await identity.account_id(email),
        request_type=request_type,
        now=now,
        corrections=corrections,
        filing=filing,
        verify=verify,
        document=document,
        idempotency_key=idempotency_key,
        language=language,
    )


async def erase_closed_account(
    db: AsyncSession,
    ctx: Context,
    *,
    tenant_id: str,
    subject: str,
    now: datetime,
    filing: Filing = INACTIVITY,
) -> Request | None:
    """The erasure of an account identity closed (unused for years, or removed by an admin):
    an erasure request like one the person filed (every service erases, identity last, with
    its report and legal retention), recorded with how it was opened.

    At most one per person and channel: a repeated event, or identity asking again, opens
    nothing more; nor does one about a person already erased. Returns the request opened."""
    if await erasures.is_forgotten(db, subject_data.subject_key(subject)):
        return None
    if await repository.request_on_channel(
        db, tenant_id=tenant_id, subject=subject, channel=filing.channel
    ):
        return None
    return await open_request(
        db,
        ctx,
        tenant_id=tenant_id,
        subject=subject,
        request_type=RequestType.ERASURE,
        now=now,
        filing=filing,
    )


async def visible_request(
    db: AsyncSession, *, principal: Principal, request_id: str, lock: bool = False
) -> Request:
    """The requester's own request, or any of the tenant's for its DPO; 404 otherwise."""
    request = await repository.request_in_tenant(
        db, tenant_id=principal.tenant_id, request_id=request_id, lock=lock
    )
    if request is None or not (request.subject == principal.user_id or Role.DPO in principal.roles):
        raise NotFound("request not found")
    return request


#: The mail telling the person their request was extended (Art. 12(3)): the new date and the
#: DPO's reason, French then English like every mail of the platform.
EXTENSION_MAIL = (
    "Délai de réponse à votre demande prolongé / Your request's deadline is extended",
    "Bonjour,\n\nNotre délégué à la protection des données prolonge le délai de réponse à "
    "votre demande sur vos données personnelles (article 12(3) du RGPD). Vous aurez notre "
    "réponse au plus tard le {due}.\nRaison : {reason}\n\nHello,\n\nOur data protection "
    "officer extends the deadline to answer your request about your personal data (Article "
    "12(3) GDPR). You will have our answer by {due} at the latest.\nReason: {reason}\n",
)


async def extend(
    db: AsyncSession,
    ctx: Context,
    *,
    principal: Principal,
    request_id: str,
    months: int,
    reason: str,
    now: datetime,
) -> Request:
    """Art. 12(3): up to two more months, with a reason the person is given; only before the
    first month is over ("within one month of receipt of the request"), and the person is
    mailed the new date and the reason."""
    request = await visible_request(db, principal=principal, request_id=request_id, lock=True)
    if request.status in FINAL:
        raise Conflict("the request is already answered")
    most = ctx.settings.max_extension_months
    if not 1 <= months <= most or request.extended_due_at is not None:
        raise Conflict(f"a request can be extended once, by at most {most} months")
    if now > request.due_at:
        raise Conflict(
            "the request's deadline has passed: it can only be extended within one month of "
            "its receipt (Art. 12(3) GDPR); answer it now"
        )
    request.extended_due_at = add_months(request.due_at, months)
    request.extension_reason = reason
    if request.subject is not None:
        await mail_accounts(
            db,
            ctx.settings,
            tenant_id=request.tenant_id,
            recipients=[(request.subject, None)],
            subject=EXTENSION_MAIL[0],
            text=EXTENSION_MAIL[1].format(
                due=request.extended_due_at.strftime("%Y-%m-%d"), reason=reason
            ),
            marketing=False,
        )
    return request


async def cancel(
    db: AsyncSession, *, principal: Principal, request_id: str, now: datetime
) -> Request:
    """Cancel a request while it has not started to change anything: an export not yet made.

    A request that changes data (erasure, rectification, restriction, objection) starts the
    moment it is filed; its commands may already be applied, so it cannot be cancelled."""
    request = await visible_request(db, principal=principal, request_id=request_id, lock=True)
    if request.status in FINAL or request.type not in READ_ONLY:
        raise Conflict("this request has started and can no longer be cancelled")
    await close(db, request, RequestStatus.CANCELLED, now)
    return request


async def lift_restriction(
    db: AsyncSession, *, principal: Principal, request_id: str, now: datetime
) -> Request:
    """The DPO lifts a completed restriction: every service that froze the data unfreezes it.

    The request runs again with one more phase of ``lift_restriction`` tasks."""
    request = await visible_request(db, principal=principal, request_id=request_id, lock=True)
    if request.type != RequestType.RESTRICTION or request.status != RequestStatus.COMPLETED:
        raise Conflict("only a completed restriction can be lifted")
    tasks = await repository.tasks_of(db, request.id)
    if any(t.action == Action.LIFT_RESTRICTION for t in tasks):
        raise Conflict("this restriction was already lifted")
    phase = max(t.phase for t in tasks) + 1
    request.status, request.completed_at = RequestStatus.IN_PROGRESS, None
    for service_name in sorted({t.service for t in tasks}):
        task = Task(
            request_id=request.id,
            service=service_name,
            action=Action.LIFT_RESTRICTION.value,
            phase=phase,
            status=TaskStatus.WAITING,
            attempts=0,
        )
        db.add(task)
        await db.flush()
        await send(db, request, task, now)
    return request
