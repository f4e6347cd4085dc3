"""The identity check of a request the DPO received by email or post (PR1, Art. 12(6)).

The DPO files the request; a one-time code goes to the address on the account (through
identity, which alone holds it); the person gives the code back to the DPO, who enters it, and
only then does the request run. Any identity document the person sent is kept encrypted until
the check and deleted right after it, whatever its outcome; the request keeps the time of the
deletion. Five wrong codes, or 72 hours without the code, and the request is rejected.
"""

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import Principal
from kit.errors import Conflict, Invalid, NotFound
from privacy.context import Context
from privacy.mailing.service import mail_accounts
from privacy.requests import repository as requests
from privacy.requests.commands import close, send
from privacy.requests.models import Request, RequestStatus, TaskStatus
from privacy.verification import repository
from privacy.verification.models import Verification, VerificationStatus

CODE_HOURS = 72
ATTEMPTS = 5


def _hash(secret: bytes, request_id: str, code: str) -> str:
    return hmac.new(secret, f"{request_id}:{code}".encode(), hashlib.sha256).hexdigest()


async def start(
    db: AsyncSession,
    ctx: Context,
    *,
    request: Request,
    document: str | None,
    now: datetime,
) -> None:
    """Keep the document (encrypted), mail the code to the account's address."""
    assert request.subject is not None
    code = f"{secrets.randbelow(10**8):08d}"
    sealed = None
    if document is not None:
        try:
            raw = base64.b64decode(document, validate=True)
        except ValueError as exc:
            raise Invalid("identity_document must be base64") from exc
        token = ctx.cipher.encrypt(raw, context=f"verification|{request.id}".encode())
        sealed = base64.b64encode(token).decode()
    db.add(
        Verification(
            request_id=request.id,
            subject=request.subject,
            code_hash=_hash(ctx.code_secret, request.id, code),
            expires_at=now + timedelta(hours=CODE_HOURS),
            attempts=0,
            document=sealed,
        )
    )
    await mail_accounts(
        db,
        ctx.settings,
        tenant_id=request.tenant_id,
        recipients=[(request.subject, None)],
        subject="Code de vérification de votre demande / Verification code of your request",
        text=(
            "Bonjour,\n\nNotre délégué à la protection des données a reçu une demande sur vos "
            f"données personnelles. Pour confirmer qu'elle vient de vous, donnez-lui ce code "
            f"(valable {CODE_HOURS} heures) : {code}\nSi vous n'avez rien demandé, ne répondez "
            "pas : rien ne sera fait.\n\nHello,\n\nOur data protection officer received a "
            "request about your personal data. To confirm it comes from you, give them this "
            f"code (valid {CODE_HOURS} hours): {code}\nIf you did not ask for anything, do not "
            "answer: nothing will be done.\n"
        ),
        marketing=False,
    )


async def check(
    db: AsyncSession, ctx: Context, *, request: Request, code: str, now: datetime
) -> bool:
    """True when the code is right (the request may run). The document goes in every
    outcome but a wrong code with tries left."""
    found = await repository.verification_of(db, request.id, lock=True)
    if found is None or request.status != RequestStatus.AWAITING_CODE:
        raise NotFound("no identity check is waiting for this request")
    if found.verified_at is not None:
        raise Conflict("already verified")
    expected = _hash(ctx.code_secret, request.id, code.strip())
    if found.expires_at > now and hmac.compare_digest(expected, found.code_hash):
        found.verified_at = now
        _delete_document(found, now)
        return True
    found.attempts += 1
    if found.attempts >= ATTEMPTS or found.expires_at <= now:
        _delete_document(found, now)
    return False


def gave_up(found: Verification, now: datetime) -> bool:
    return found.attempts >= ATTEMPTS or found.expires_at <= now


def _delete_document(found: Verification, now: datetime) -> None:
    if found.document is not None:
        found.document = None
        found.document_deleted_at = now


async def gave_up_on(db: AsyncSession, request_id: str, now: datetime) -> bool:
    """Five wrong codes, or the code expired: the request is to be rejected."""
    found = await repository.verification_of(db, request_id)
    return found is not None and gave_up(found, now)


async def status_of(db: AsyncSession, request_id: str) -> dict[str, str | None] | None:
    """What a request's answer says of its identity check, if it has one."""
    found = await repository.verification_of(db, request_id)
    if found is None:
        return None
    return {
        "status": VerificationStatus.VERIFIED if found.verified_at else VerificationStatus.AWAITING,
        "document_deleted_at": found.document_deleted_at.isoformat()
        if found.document_deleted_at
        else None,
    }


async def verify(
    db: AsyncSession,
    ctx: Context,
    *,
    principal: Principal,
    request_id: str,
    code: str,
    now: datetime,
) -> tuple[Request, bool]:
    """The DPO enters the code the person gave back: the request runs, or after five wrong
    codes (or 72 hours) it is rejected. The identity document is deleted either way."""
    request = await requests.request_in_tenant(
        db, tenant_id=principal.tenant_id, request_id=request_id, lock=True
    )
    if request is None:
        raise NotFound("request not found")
    if not await check(db, ctx, request=request, code=code, now=now):
        if await gave_up_on(db, request.id, now):
            await close(db, request, RequestStatus.REJECTED, now, "the identity check failed")
        return request, False
    request.status = RequestStatus.IN_PROGRESS
    for task in await requests.tasks_of(db, request.id):
        if task.phase == 1 and task.status == TaskStatus.PENDING:
            task.status = TaskStatus.WAITING
            await send(db, request, task, now)
    return request, True
