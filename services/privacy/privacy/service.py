"""Data-subject requests: the state machine, the fan-out, archives and erasure reports.

A request is a set of tasks, one per (service, action), in phases. Phase 1 goes out at once;
a later phase goes out when every task before it has answered (an erasure reaches the account
last). A task that gets no answer stays ``waiting`` and its command is sent again every
``retry_seconds``: nothing is skipped silently, and the services make a repeated command
harmless. The request is ``completed`` only when every task has answered.
"""

import calendar
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import Request as HttpRequest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import Principal
from kit.crypto import AesGcm
from kit.errors import Conflict, Invalid, NotFound, Unavailable
from kit.events import Envelope
from kit.metrics import DSR_SECONDS
from kit.privacy.protocol import COMMAND, Action, command_key, seal_context
from kit.security import security_event
from kit.web import call_on_behalf
from privacy import archive, journal, mailing, repository, verification
from privacy.config import Settings
from privacy.keys import SealKeys
from privacy.models import (
    Archive,
    AuditEntry,
    DataMapEntry,
    Download,
    ExportPart,
    Forgotten,
    Request,
    Task,
    Verification,
    events,
    subject_data,
)

TYPES = ("access", "portability", "erasure", "rectification", "restriction", "objection")
FINAL = frozenset({"completed", "failed", "rejected", "cancelled"})
SIMPLE_ACTIONS = {
    "access": Action.EXPORT,
    "portability": Action.PORTABILITY,
    "rectification": Action.RECTIFY,
    "restriction": Action.RESTRICT,
    "objection": Action.OBJECT,
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` later (the last day of a shorter month): Art. 12(3)'s "month"."""
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@dataclass
class Privacy:
    """What the rules need beyond a database session; one per process."""

    settings: Settings
    seal_keys: SealKeys
    cipher: AesGcm

    @classmethod
    def load(cls, settings: Settings) -> "Privacy":
        assert settings.keys_dir is not None and settings.exports_dir is not None
        settings.exports_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = hashlib.sha256(settings.archive_secret.get_secret_value().encode()).digest()
        return cls(settings, SealKeys.load(settings), AesGcm({"a1": key}, "a1"))

    @property
    def code_secret(self) -> bytes:
        """Keys the hashes of identity-check codes."""
        secret = self.settings.archive_secret.get_secret_value().encode()
        return hmac.new(secret, b"identity-check-codes", hashlib.sha256).digest()

    def archive_path(self, file_name: str) -> Path:
        assert self.settings.exports_dir is not None
        return self.settings.exports_dir / file_name


def plan(request_type: str, services: list[str], account: str) -> list[tuple[int, str, Action]]:
    """The tasks of a request: (phase, service, action)."""
    if request_type == "erasure":
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

    channel: str = "self-service"
    identity_check: str | None = None
    filed_by: str | None = None


SELF_SERVICE = Filing()
#: Opened by the platform itself: identity closed an account unused for years after warning the
#: person (storage limitation); nobody filed it, so no identity check and no DPO.
INACTIVITY = Filing(channel="inactivity")


def removed_by(admin_id: str) -> Filing:
    """Filed for a tenant admin who removed an account (``DELETE /api/users/{id}``)."""
    return Filing(channel="admin-removal", filed_by=admin_id)


def retry_key(filer: str, client_key: str | None) -> str | None:
    """What is stored of a client's ``Idempotency-Key``: a hash bound to who sent it, so one
    person's key never finds another's request."""
    if not client_key:
        return None
    return hashlib.sha256(f"{filer}|{client_key}".encode()).hexdigest()


async def open_request(
    db: AsyncSession,
    ctx: Privacy,
    *,
    tenant_id: str,
    subject: str,
    request_type: str,
    now: datetime,
    corrections: dict[str, str] | None = None,
    filing: Filing = SELF_SERVICE,
    verify: bool = False,
    document: str | None = None,
    idempotency_key: str | None = None,
) -> Request:
    """Open a request and send its first commands; with ``verify``, nothing is sent until the
    one-time code mailed to the account comes back (``verify_request``).

    ``idempotency_key`` (see ``retry_key``): a filing sent again, because its answer was lost,
    gets the request the first one opened, even once that one is completed."""
    if idempotency_key is not None:
        earlier = await repository.request_by_idempotency_key(db, idempotency_key)
        if earlier is not None:
            return earlier
    if request_type == "rectification" and not corrections:
        raise Invalid("a rectification needs corrections")
    if request_type == "erasure":
        existing = await repository.open_erasure_of(db, tenant_id=tenant_id, subject=subject)
        if existing is not None:
            return existing  # an erasure is under way: asking twice changes nothing
    services = sorted(
        set(ctx.settings.participants) | set(await repository.services_holding(db, subject))
    )
    request = Request(
        tenant_id=tenant_id,
        subject=subject,
        type=request_type,
        status="awaiting_code" if verify else "in_progress",
        channel=filing.channel,
        identity_check=filing.identity_check,
        filed_by=filing.filed_by,
        received_at=now,
        due_at=add_months(now, 1),
        corrections=parse_corrections(corrections) if corrections else None,
        idempotency_key=idempotency_key,
    )
    try:
        async with db.begin_nested():  # the same key sent twice at once: one request
            db.add(request)
            await db.flush()
    except IntegrityError:
        earlier = await repository.request_by_idempotency_key(db, idempotency_key or "")
        if earlier is None:
            raise
        return earlier
    for phase, service, action in plan(request_type, services, ctx.settings.account_service):
        db.add(
            Task(
                request_id=request.id,
                service=service,
                action=action.value,
                phase=phase,
                status="waiting" if phase == 1 and not verify else "pending",
                attempts=0,
            )
        )
    await db.flush()
    if request_type in ("access", "portability", "erasure"):
        security_event(
            f"dsr.{request_type}", service="privacy", request=request.id, channel=filing.channel
        )
    if verify:
        await verification.start(db, ctx, request=request, document=document, now=now)
        return request
    for task in await repository.tasks_of(db, request.id):
        if task.status == "waiting":
            await _send(db, ctx, request, task, now)
    return request


async def verify_request(
    db: AsyncSession,
    ctx: Privacy,
    *,
    principal: Principal,
    request_id: str,
    code: str,
    now: datetime,
) -> tuple[Request, bool]:
    """The DPO enters the code the person gave back: the request runs, or after five wrong
    codes (or 72 hours) it is rejected. The identity document is deleted either way."""
    request = await repository.request_in_tenant(
        db, tenant_id=principal.tenant_id, request_id=request_id, lock=True
    )
    if request is None:
        raise NotFound("request not found")
    if not await verification.check(db, ctx, request=request, code=code, now=now):
        found = await db.get(Verification, request.id)
        if found is not None and verification.gave_up(found, now):
            await _close(db, request, "rejected", now, "the identity check failed")
        return request, False
    request.status = "in_progress"
    for task in await repository.tasks_of(db, request.id):
        if task.phase == 1 and task.status == "pending":
            task.status = "waiting"
            await _send(db, ctx, request, task, now)
    return request, True


async def erase_closed_account(
    db: AsyncSession,
    ctx: Privacy,
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
    if await repository.is_forgotten(db, subject_data.subject_key(subject)):
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
        request_type="erasure",
        now=now,
        filing=filing,
    )


async def account_of(ctx: Privacy, request: HttpRequest, *, email: str) -> str:
    """The account id of ``email`` in the DPO's tenant, asked of identity with the DPO's token."""
    response = await call_on_behalf(
        request,
        "identity",
        "POST",
        f"{ctx.settings.identity_url}/internal/users/lookup",
        json={"email": email},
    )
    if response.status_code == 404:
        raise NotFound("no account with this email in your tenant")
    if response.status_code == 422:
        raise Invalid("not a valid email address")
    if response.status_code != 200:
        raise Unavailable("the identity service cannot answer right now")
    return str(response.json()["id"])


async def _send(
    db: AsyncSession, ctx: Privacy, request: Request, task: Task, now: datetime
) -> None:
    payload: dict[str, Any] = {
        "request_id": request.id,
        "action": task.action,
        "subject": request.subject,
        "tenant": request.tenant_id,
    }
    if task.action == Action.RECTIFY:
        payload["corrections"] = request.corrections or {}
    await events.add(
        db,
        COMMAND,
        tenant=request.tenant_id,
        subject=request.subject,
        payload=payload,
        routing_key=command_key(task.service),
    )
    task.status, task.sent_at, task.attempts = "waiting", now, task.attempts + 1


async def record_answer(db: AsyncSession, ctx: Privacy, envelope: Envelope, now: datetime) -> None:
    """A service answered: mark its task, send the next phase, or complete the request.

    A failed task stops the request there: an erasure never reaches the account while data
    may remain elsewhere."""
    answer = envelope.payload
    request = await repository.request_by_id(db, str(answer["request_id"]), lock=True)
    if request is None or request.status in FINAL:
        return
    task = await repository.waiting_task(
        db, request_id=request.id, service=str(answer["service"]), action=str(answer["action"])
    )
    if task is None:
        return  # a repeated answer: already counted
    task.status = "done" if answer.get("status") == "done" else "failed"
    task.answered_at, task.result = now, dict(answer.get("result") or {})
    if answer.get("sealed") and task.status == "done":
        db.add(
            ExportPart(
                request_id=request.id,
                service=task.service,
                sealed=answer["sealed"],
                received_at=now,
            )
        )
    await db.flush()
    tasks = list(await repository.tasks_of(db, request.id))
    if any(t.status == "waiting" for t in tasks):
        return
    pending = [t for t in tasks if t.status == "pending"]
    if pending and not any(t.status == "failed" for t in tasks):
        phase = min(t.phase for t in pending)
        for t in pending:
            if t.phase == phase:
                await _send(db, ctx, request, t, now)
        return
    await _complete(db, ctx, request, tasks, now)


async def _complete(
    db: AsyncSession, ctx: Privacy, request: Request, tasks: list[Task], now: datetime
) -> None:
    report: dict[str, Any] = {}
    for t in sorted(tasks, key=lambda t: (t.phase, t.service)):
        report.setdefault(t.service, {})[t.action] = t.result
    request.report = report
    failed = sorted({t.service for t in tasks if t.status == "failed"})
    if failed:
        # The DPO sees it in the queue with the reason; pending phases are not sent.
        await _close(db, request, "failed", now, f"failed in {', '.join(failed)}")
        return
    request.status, request.completed_at = "completed", now
    DSR_SECONDS.labels(request.type, "completed").observe(
        (now - request.received_at).total_seconds()
    )
    if request.type in ("access", "portability"):
        if request.subject is None:  # the person was erased meanwhile
            await _close(db, request, "rejected", now, "the person's data was erased meanwhile")
            return
        await _make_archive(db, ctx, request, now)
    elif request.type == "erasure" and request.subject:
        await _forget(db, ctx, request, now)


async def _make_archive(db: AsyncSession, ctx: Privacy, request: Request, now: datetime) -> None:
    assert request.subject is not None
    parts: dict[str, dict[str, Any]] = {}
    for part in await repository.export_parts(db, request.id):
        action = SIMPLE_ACTIONS[request.type].value
        context = seal_context(request.id, part.service, action)
        content = json.loads(ctx.seal_keys.open(part.sealed, context=context))
        parts[part.service] = {"tables": content["tables"], "inventory": content["inventory"]}
        await db.delete(part)
    own = await subject_data.export(
        db, request.subject, portable_only=request.type == "portability"
    )
    parts["privacy"] = {"tables": own, "inventory": subject_data.inventory()}
    summary = {
        "id": request.id,
        "type": request.type,
        "received_at": request.received_at.isoformat(),
    }
    data = archive.build(request=summary, parts=parts, settings=ctx.settings, now=now)
    file_name = f"{secrets.token_hex(16)}{archive.SUFFIX}"
    # Named only once this transaction commits: a rollback leaves no file behind.
    archive.stage(
        db, ctx.archive_path(file_name), ctx.cipher.encrypt(data, context=request.id.encode())
    )
    db.add(
        Archive(
            request_id=request.id,
            file_name=file_name,
            size=len(data),
            created_at=now,
            expires_at=now + timedelta(days=ctx.settings.archive_days),
            downloads=0,
        )
    )
    # The person is told their data was exported (a stolen session would be noticed).
    await mailing.mail_accounts(
        db,
        ctx.settings,
        tenant_id=request.tenant_id,
        recipients=[(request.subject, None)],
        subject=EXPORT_MAIL[0],
        text=EXPORT_MAIL[1].format(days=ctx.settings.archive_days),
        marketing=False,
    )


EXPORT_MAIL = (
    "Vos données sont prêtes / Your data is ready",
    "Bonjour,\n\nL'export de vos données demandé sur le site de votre CSE est prêt : "
    "téléchargez-le depuis « Mes données » dans les {days} jours. Si vous n'avez rien demandé, "
    "changez votre mot de passe et prévenez le délégué à la protection des données.\n\n"
    "Hello,\n\nThe export of your data asked for on your works council's site is ready: "
    "download it from 'My data' within {days} days. If you did not ask for it, change your "
    "password and tell the data protection officer.\n",
)


async def _forget(db: AsyncSession, ctx: Privacy, request: Request, now: datetime) -> None:
    """After an erasure: remember the person by keyed hash only, end their other open requests,
    and drop our own copies of their data."""
    assert request.subject is not None
    key = subject_data.subject_key(request.subject)
    journal.append(ctx.settings, subject_key=key, tenant_id=request.tenant_id, at=now)
    if not await repository.is_forgotten(db, key):
        db.add(
            Forgotten(
                subject_key=key, tenant_id=request.tenant_id, request_id=request.id, erased_at=now
            )
        )
    for other in await repository.open_requests_of(db, request.subject):
        if other.id != request.id:
            await _close(db, other, "rejected", now, "the person's data was erased meanwhile")
    for old in await repository.archives_of_subject(db, request.subject):
        archive.discard(db, ctx.archive_path(old.file_name))  # once the erasure commits
        await db.delete(old)
    await repository.forget_subject(db, subject=request.subject, key=key)


async def record_audit(db: AsyncSession, envelope: Envelope) -> None:
    """One row per person whose data was read or changed by someone else."""
    payload = envelope.payload
    if envelope.tenant is None:
        return
    at = datetime.fromisoformat(str(payload["at"]))
    for subject in payload.get("subjects", []):
        key = subject_data.subject_key(str(subject))
        forgotten = await repository.is_forgotten(db, key)
        db.add(
            AuditEntry(
                tenant_id=envelope.tenant,
                subject=None if forgotten else str(subject),
                subject_key=key if forgotten else None,
                actor_id=str(payload["actor"]),
                actor_roles=[str(r) for r in payload.get("actor_roles", [])],
                service=str(payload["service"])[:40],
                action=str(payload["action"])[:10],
                what=str(payload["what"])[:100],
                route=str(payload["route"])[:200],
                at=at,
            )
        )


async def purge_audit(db: AsyncSession, ctx: Privacy, now: datetime) -> int:
    """The audit trail's own retention."""
    return await repository.delete_audit_before(
        db, before=now - timedelta(days=ctx.settings.audit_retention_days)
    )


async def record_data_map(db: AsyncSession, envelope: Envelope, now: datetime) -> None:
    if not envelope.subject or not envelope.tenant:
        return
    if await repository.is_forgotten(db, subject_data.subject_key(envelope.subject)):
        return  # a late mark about someone already erased: nothing to map
    service = str(envelope.payload["service"])
    entry = await repository.data_map_entry(db, subject=envelope.subject, service=service)
    categories = sorted(str(c) for c in envelope.payload.get("categories", []))
    if entry is None:
        db.add(
            DataMapEntry(
                subject=envelope.subject,
                service=service,
                tenant_id=envelope.tenant,
                categories=categories,
                updated_at=now,
            )
        )
    else:
        entry.categories, entry.updated_at = categories, now


#: A command unanswered after ``retry_seconds`` is sent again, then after twice as long, and
#: so on up to 32 times as long: after an outage, a backlog is not sent again and again while
#: the services work through it (each repeat is answered from the first effect anyway).
RETRY_BACKOFF = (1, 2, 4, 8, 16, 32)


async def retry_waiting(db: AsyncSession, ctx: Privacy, now: datetime) -> int:
    """Send again the commands still unanswered: after ``retry_seconds`` the first time,
    doubling with each send (``RETRY_BACKOFF``)."""
    retry = ctx.settings.retry_seconds
    sent_before = [now - timedelta(seconds=retry * factor) for factor in RETRY_BACKOFF]
    count = 0
    for task in await repository.overdue_tasks(db, sent_before=sent_before):
        request = await repository.request_by_id(db, task.request_id)
        if request is not None and request.status not in FINAL:
            await _send(db, ctx, request, task, now)
            count += 1
    return count


async def purge_archives(db: AsyncSession, ctx: Privacy, now: datetime) -> int:
    """Archives past their date go (their files once the deletion commits), and so does any
    file without a row (``archive.sweep``: left by a crash, or by a rollback before files
    waited for their commit). Returns how many archives and files were removed."""
    assert ctx.settings.exports_dir is not None
    files = archive.listing(ctx.settings.exports_dir)  # before the rows: see archive.listing
    swept = archive.sweep(files, await repository.archive_file_names(db), now)
    expired = await repository.expired_archives(db, now=now)
    for old in expired:
        archive.discard(db, ctx.archive_path(old.file_name))
        await db.delete(old)
    return len(expired) + swept.removed


async def visible_request(
    db: AsyncSession, *, principal: Principal, request_id: str, lock: bool = False
) -> Request:
    """The requester's own request, or any of the tenant's for its DPO; 404 otherwise."""
    request = await repository.request_in_tenant(
        db, tenant_id=principal.tenant_id, request_id=request_id, lock=lock
    )
    if request is None or not (request.subject == principal.user_id or "dpo" in principal.roles):
        raise NotFound("request not found")
    return request


async def download(
    db: AsyncSession, ctx: Privacy, *, principal: Principal, request_id: str, now: datetime
) -> bytes:
    """The archive, for the person it is about only, while it exists; each download logged."""
    request = await repository.request_in_tenant(
        db, tenant_id=principal.tenant_id, request_id=request_id
    )
    if request is None or request.subject != principal.user_id:
        raise NotFound("request not found")
    found = await repository.archive_of(db, request.id)
    stored = None
    if request.status == "completed" and found is not None and found.expires_at > now:
        stored = archive.read(ctx.archive_path(found.file_name))
    if stored is None or found is None:
        raise NotFound("no archive for this request (not ready, or deleted after 7 days)")
    data = ctx.cipher.decrypt(stored, context=request.id.encode())
    found.downloads += 1
    db.add(Download(request_id=request.id, at=now))
    return data


async def extend(
    db: AsyncSession,
    ctx: Privacy,
    *,
    principal: Principal,
    request_id: str,
    months: int,
    reason: str,
) -> Request:
    """Art. 12(3): up to two more months, with a reason the person is given."""
    request = await visible_request(db, principal=principal, request_id=request_id)
    if request.status in FINAL:
        raise Conflict("the request is already answered")
    if not 1 <= months <= ctx.settings.max_extension_months or request.extended_due_at is not None:
        raise Conflict(
            f"a request can be extended once, by at most {ctx.settings.max_extension_months} months"
        )
    request.extended_due_at = add_months(request.due_at, months)
    request.extension_reason = reason
    return request


#: Requests that only read: cancelling them before they complete undoes nothing.
READ_ONLY = frozenset({"access", "portability"})


async def cancel(
    db: AsyncSession, *, principal: Principal, request_id: str, now: datetime
) -> Request:
    """Cancel a request while it has not started to change anything: an export not yet made.

    A request that changes data (erasure, rectification, restriction, objection) starts the
    moment it is filed; its commands may already be applied, so it cannot be cancelled."""
    request = await visible_request(db, principal=principal, request_id=request_id, lock=True)
    if request.status in FINAL or request.type not in READ_ONLY:
        raise Conflict("this request has started and can no longer be cancelled")
    await _close(db, request, "cancelled", now)
    return request


async def lift_restriction(
    db: AsyncSession, ctx: Privacy, *, principal: Principal, request_id: str, now: datetime
) -> Request:
    """The DPO lifts a completed restriction: every service that froze the data unfreezes it.

    The request runs again with one more phase of ``lift_restriction`` tasks."""
    request = await visible_request(db, principal=principal, request_id=request_id, lock=True)
    if request.type != "restriction" or request.status != "completed":
        raise Conflict("only a completed restriction can be lifted")
    tasks = await repository.tasks_of(db, request.id)
    if any(t.action == Action.LIFT_RESTRICTION for t in tasks):
        raise Conflict("this restriction was already lifted")
    phase = max(t.phase for t in tasks) + 1
    request.status, request.completed_at = "in_progress", None
    for service_name in sorted({t.service for t in tasks}):
        task = Task(
            request_id=request.id,
            service=service_name,
            action=Action.LIFT_RESTRICTION.value,
            phase=phase,
            status="waiting",
            attempts=0,
        )
        db.add(task)
        await db.flush()
        await _send(db, ctx, request, task, now)
    return request


async def _close(
    db: AsyncSession, request: Request, status: str, now: datetime, reason: str | None = None
) -> None:
    """End a request before it completes: its open tasks and any export parts end too."""
    request.status, request.completed_at, request.failure_reason = status, now, reason
    DSR_SECONDS.labels(request.type, status).observe((now - request.received_at).total_seconds())
    for task in await repository.tasks_of(db, request.id):
        if task.status in ("waiting", "pending"):
            task.status = status
    for part in await repository.export_parts(db, request.id):
        await db.delete(part)
