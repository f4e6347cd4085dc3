"""Data-subject requests: ``/api/privacy/requests``."""

from typing import Annotated

from fastapi import APIRouter, Header, Response, status
from fastapi import Request as HttpRequest

from kit.auth import CurrentUser, DpoUser, Role, require_recent_sign_in
from kit.db import SessionDep
from kit.errors import Forbidden, Invalid, NotFound, Unavailable
from kit.pagination import DEFAULT_LIMIT, PAGED_RESPONSES, Cursor, Limit
from kit.web import call_on_behalf
from privacy.archives import repository as archives
from privacy.archives import service as archives_service
from privacy.base import utcnow
from privacy.context import Context, ContextDep
from privacy.requests import repository, service
from privacy.requests.models import SENSITIVE, Channel, RequestStatus, Task
from privacy.requests.schemas import (
    CodeIn,
    Extension,
    ListScope,
    OnBehalf,
    RequestCreate,
    RequestPublic,
    public,
)
from privacy.verification import service as verification

router = APIRouter(prefix="/api/privacy/requests", tags=["requests"])

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


async def account_of(ctx: Context, request: HttpRequest, *, email: str) -> str:
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


@router.post("", status_code=status.HTTP_202_ACCEPTED)
async def create(
    body: RequestCreate,
    principal: CurrentUser,
    db: SessionDep,
    ctx: ContextDep,
    idempotency_key: RetryKey = None,
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
        request_type=body.type,
        corrections=body.corrections,
        now=utcnow(),
        idempotency_key=service.retry_key(principal.user_id, idempotency_key),
    )
    return public(request, await repository.tasks_of(db, request.id), None)


@router.post("/on-behalf", status_code=status.HTTP_202_ACCEPTED)
async def file_on_behalf(
    body: OnBehalf,
    request: HttpRequest,
    principal: DpoUser,
    db: SessionDep,
    ctx: ContextDep,
    idempotency_key: RetryKey = None,
) -> RequestPublic:
    """The DPO enters a request received by email or post, with the identity check made."""
    key = service.retry_key(principal.user_id, idempotency_key)
    if key is not None and (earlier := await repository.request_by_idempotency_key(db, key)):
        # Looked up first: once an erasure is done, the account is no longer there to find.
        return public(earlier, await repository.tasks_of(db, earlier.id), None)
    subject = await account_of(ctx, request, email=body.email)
    filed = await service.open_request(
        db,
        ctx,
        tenant_id=principal.tenant_id,
        subject=subject,
        request_type=body.type,
        corrections=body.corrections,
        now=utcnow(),
        filing=service.Filing(Channel(body.channel), body.identity_check, principal.user_id),
        verify=body.verify_by_code,
        document=body.identity_document,
        idempotency_key=key,
    )
    return public(filed, await repository.tasks_of(db, filed.id), None)


@router.post("/{request_id}/verify")
async def verify(
    request_id: str, body: CodeIn, request: HttpRequest, dpo: DpoUser, ctx: ContextDep
) -> RequestPublic:
    """The DPO enters the one-time code the person gave back; then the request runs."""
    # Its own transaction: a wrong code must count although the answer is an error.
    async with request.app.state.db.transaction() as db:
        found, verified = await service.verify_request(
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
    db: SessionDep,
    response: Response,
    scope: ListScope = ListScope.MINE,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[RequestPublic]:
    """Your requests, newest first; with ``scope=tenant``, the DPO's queue of the whole tenant:
    open requests by deadline (the overdue ones first, the longest overdue at the top), then
    the answered ones, newest first. One page: ``X-Next-Cursor`` holds the next one's cursor.

    Open to anyone signed in (``x-access: authenticated``): one's own requests, or with the
    DPO role the tenant's (403 otherwise)."""
    if scope == ListScope.TENANT and Role.DPO not in principal.roles:
        raise Forbidden("only the DPO sees the tenant's requests")
    page = await repository.requests_page(
        db,
        tenant_id=principal.tenant_id,
        subject=None if scope == ListScope.TENANT else principal.user_id,
        cursor=cursor,
        limit=limit,
    )
    tasks = await repository.tasks_of_many(db, [r.id for r in page.items])
    by_request: dict[str, list[Task]] = {}
    for task in tasks:
        by_request.setdefault(task.request_id, []).append(task)
    return page.map(lambda r: public(r, by_request.get(r.id, []), None)).send(response)


@router.get("/{request_id}")
async def get(request_id: str, principal: CurrentUser, db: SessionDep) -> RequestPublic:
    request = await service.visible_request(db, principal=principal, request_id=request_id)
    answer = public(
        request,
        await repository.tasks_of(db, request.id),
        await archives.archive_of(db, request.id),
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
        db, ctx, principal=principal, request_id=request_id, months=body.months, reason=body.reason
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
