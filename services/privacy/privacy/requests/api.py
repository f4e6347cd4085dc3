"""Data-subject requests: ``/api/privacy/requests``."""

from typing import Annotated

from fastapi import APIRouter, Header, Response, status
from fastapi import Request as HttpRequest

from kit.auth import CurrentUser, DpoUser, Role, require_recent_sign_in
from kit.clients import ClientsDep
from kit.db import ReadSessionDep, SessionDep, utcnow
from kit.errors import Forbidden, Invalid
from kit.i18n import negotiate
from kit.pagination import DEFAULT_LIMIT, PAGED_RESPONSES, Cursor, Limit
from privacy.archives import repository as archives
from privacy.archives import service as archives_service
from privacy.context import ContextDep
from privacy.requests import repository, service
from privacy.requests.models import SENSITIVE, Channel, RequestStatus, RequestType, Task
from privacy.requests.schemas import (
    CodeIn,
    Extension,
    ListScope,
    ListScopeValue,
    OnBehalf,
    RequestCreate,
    RequestPublic,
    public,
)
from privacy.verification import service as verification

router = APIRouter(prefix="/api/privacy/requests", tags=["requests"])

#: ``Accept-Language``: the language of the answer (the archive's texts), recorded at filing.
AcceptLanguage = Annotated[str | None, Header(max_length=500)]

#: ``Idempotency-Key``: a client that sends a filing again, because it lost the answer, sends
#: the same key and gets the request the first try opened (never a second one).
RetryKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=200,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="The same value on every try of one filing (e.g. a UUID).",
    ),
]


@router.post("", status_code=status.HTTP_202_ACCEPTED)
async def create(
    body: RequestCreate,
    principal: CurrentUser,
    db: SessionDep,
    ctx: ContextDep,
    idempotency_key: RetryKey = None,
    accept_language: AcceptLanguage = None,
) -> RequestPublic:
    """File a request about yourself; every service that may hold your data is asked at once.
    An export or an erasure needs a recent sign-in (403 ``recent sign-in required``: the page
    asks for the password again, ``POST /api/auth/reauthenticate``)."""
    if body.type in SENSITIVE:
        require_recent_sign_in(principal)
    request = await service.open_request(
        db,
        ctx,
        tenant_id=principal.tenant_id,
        subject=principal.user_id,
        request_type=RequestType(body.type),
        corrections=body.corrections,
        now=utcnow(),
        idempotency_key=service.retry_key(principal.user_id, idempotency_key),
        language=negotiate(accept_language),
    )
    return public(
        request, await repository.tasks_of(db, request.id), None, lang=negotiate(accept_language)
    )


@router.post("/on-behalf", status_code=status.HTTP_202_ACCEPTED)
async def file_on_behalf(
    body: OnBehalf,
    principal: DpoUser,
    db: SessionDep,
    ctx: ContextDep,
    clients: ClientsDep,
    idempotency_key: RetryKey = None,
    accept_language: AcceptLanguage = None,
) -> RequestPublic:
    """The DPO enters a request received by email or post, with the identity check made."""
    filed = await service.file_on_behalf(
        db,
        ctx,
        clients.identity,
        dpo=principal,
        email=body.email,
        request_type=RequestType(body.type),
        corrections=body.corrections,
        now=utcnow(),
        filing=service.Filing(Channel(body.channel), body.identity_check, principal.user_id),
        verify=body.verify_by_code,
        document=body.identity_document,
        idempotency_key=service.retry_key(principal.user_id, idempotency_key),
        language=negotiate(accept_language),
    )
    return public(
        filed, await repository.tasks_of(db, filed.id), None, lang=negotiate(accept_language)
    )


@router.post("/{request_id}/verify")
async def verify(
    request_id: str, body: CodeIn, request: HttpRequest, dpo: DpoUser, ctx: ContextDep
) -> RequestPublic:
    """The DPO enters the one-time code the person gave back; then the request runs."""
    # Its own transaction: a wrong code must count although the answer is an error.
    async with request.app.state.db.transaction() as db:
        found, verified = await verification.verify(
            db, ctx, principal=dpo, request_id=request_id, code=body.code, now=utcnow()
        )
        answer = public(found, await repository.tasks_of(db, found.id), None)
        answer.verification = await verification.status_of(db, found.id)
    if not verified:
        raise Invalid(
            "wrong or expired code"
            if found.status != RequestStatus.REJECTED
            else "identity check failed: request rejected"
        )
    return answer


@router.get("", responses=PAGED_RESPONSES)
async def list_requests(
    principal: CurrentUser,
    db: ReadSessionDep,
    response: Response,
    scope: ListScopeValue = "mine",
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    accept_language: AcceptLanguage = None,
) -> list[RequestPublic]:
    """Your requests, newest first; with ``scope=tenant``, the DPO's queue of the whole tenant:
    open requests by deadline (the overdue ones first, the longest overdue at the top), then
    the answered ones, newest first. One page: ``X-Next-Cursor`` holds the next one's cursor.

    Open to anyone signed in (``x-access: authenticated``): one's own requests, or with the
    DPO role the tenant's (403 otherwise)."""
    tenant = ListScope(scope) == ListScope.TENANT
    if tenant and Role.DPO not in principal.roles:
        raise Forbidden("only the DPO sees the tenant's requests")
    page = await repository.requests_page(
        db,
        tenant_id=principal.tenant_id,
        subject=None if tenant else principal.user_id,
        cursor=cursor,
        limit=limit,
    )
    tasks = await repository.tasks_of_many(db, [r.id for r in page.items])
    by_request: dict[str, list[Task]] = {}
    for task in tasks:
        by_request.setdefault(task.request_id, []).append(task)
    lang = negotiate(accept_language)
    return page.map(lambda r: public(r, by_request.get(r.id, []), None, lang=lang)).send(response)


@router.get("/{request_id}")
async def get(
    request_id: str,
    principal: CurrentUser,
    db: ReadSessionDep,
    accept_language: AcceptLanguage = None,
) -> RequestPublic:
    """A request, its status per service and, for one that changed data, its report (rows
    erased, kept, why and until when), its texts in the caller's language."""
    request = await service.visible_request(db, principal=principal, request_id=request_id)
    answer = public(
        request,
        await repository.tasks_of(db, request.id),
        await archives.archive_of(db, request.id),
        lang=negotiate(accept_language),
    )
    answer.verification = await verification.status_of(db, request.id)
    return answer


@router.get("/{request_id}/archive")
async def download(
    request_id: str, principal: CurrentUser, db: SessionDep, ctx: ContextDep
) -> Response:
    """The export archive, for the person it is about only, for ``archive_days``."""
    data = await archives_service.download(
        db, ctx, principal=principal, request_id=request_id, now=utcnow()
    )
    return Response(
        content=data,
        media_type="application/zip",
        headers={
            "Content-Disposition": 'attachment; filename="my-data.zip"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/{request_id}/extend")
async def extend(
    request_id: str, body: Extension, principal: DpoUser, db: SessionDep, ctx: ContextDep
) -> RequestPublic:
    """The DPO extends the deadline by up to two months, with the reason told the person."""
    request = await service.extend(
        db,
        ctx,
        principal=principal,
        request_id=request_id,
        months=body.months,
        reason=body.reason,
        now=utcnow(),
    )
    return public(
        request,
        await repository.tasks_of(db, request.id),
        await archives.archive_of(db, request.id),
    )


@router.post("/{request_id}/cancel")
async def cancel(request_id: str, principal: CurrentUser, db: SessionDep) -> RequestPublic:
    """Cancel an export that is not made yet; a request that changes data cannot be."""
    request = await service.cancel(db, principal=principal, request_id=request_id, now=utcnow())
    return public(request, await repository.tasks_of(db, request.id), None)


@router.post("/{request_id}/lift", status_code=status.HTTP_202_ACCEPTED)
async def lift(request_id: str, principal: DpoUser, db: SessionDep) -> RequestPublic:
    """The DPO lifts a restriction (Art. 18(3)); the services unfreeze the person's data."""
    request = await service.lift_restriction(
        db, principal=principal, request_id=request_id, now=utcnow()
    )
    return public(request, await repository.tasks_of(db, request.id), None)
