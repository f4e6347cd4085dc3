"""Login, logout, the current user, password change: ``/api/auth/...``."""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status

from identity import devices, repository, service
from identity.api import IdentityDep, users
from identity.schemas import (
    Enrolment,
    LoginRequest,
    MfaCode,
    PasswordChange,
    Reauthentication,
    RecoveryCodes,
    ResetConfirm,
    ResetRequest,
    SessionPublic,
    TenantPublic,
    UserPublic,
)
from kit.auth import CurrentUser, Principal, Role, require_recent_sign_in, require_roles
from kit.db import SessionDep
from kit.errors import ErrorBody, Forbidden, Invalid, NotFound, Unauthenticated
from kit.pagination import DEFAULT_LIMIT, PAGED_RESPONSES, Cursor, Limit

router = APIRouter(prefix="/api/auth", tags=["auth"])

SESSION_COOKIE = "__Host-session"
CSRF_COOKIE = "csrf_token"
#: The pending second step of a login; the gateway hands it to ``/api/auth/mfa`` only, as the
#: ``X-Mfa-Token`` header (no service ever sees a cookie).
MFA_COOKIE = "__Host-mfa"
MFA_HEADER = "x-mfa-token"


def client_of(request: Request) -> service.Client:
    address = request.headers.get("x-forwarded-for") or (
        request.client.host if request.client else None
    )
    return service.Client.of(request.headers.get("user-agent"), address)


def json_response(
    body: dict[str, Any], status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        content=json.dumps(body).encode(),
        media_type="application/json",
        status_code=status_code,
        headers=headers,
    )


def locked_out(retry_after: int) -> Response:
    """429 with ``Retry-After``: the wait grows with each failure past the free ones."""
    return json_response(
        {"detail": "too many failed attempts; try again later"},
        429,
        {"Retry-After": str(retry_after)},
    )


def device_cookie_of(request: Request) -> str | None:
    """The browser's device cookie, which the gateway hands to the routes that sign in."""
    return request.headers.get(devices.HEADER) or None


def set_device_cookie(response: Response, ctx: service.Identity, value: str) -> None:
    response.set_cookie(
        devices.COOKIE,
        value,
        max_age=ctx.settings.device_days * 86400,
        path=devices.COOKIE_PATH,
        secure=True,
        httponly=True,
        samesite="strict",
    )


def set_session_cookies(response: Response, ctx: service.Identity, token: str) -> None:
    max_age = ctx.settings.session_hours * 3600
    response.set_cookie(
        SESSION_COOKIE, token, max_age=max_age, path="/", secure=True, httponly=True, samesite="lax"
    )
    # Readable by the page, which echoes it in X-CSRF-Token on unsafe requests.
    response.set_cookie(
        CSRF_COOKIE,
        ctx.csrf_token(token),
        max_age=max_age,
        path="/",
        secure=True,
        httponly=False,
        samesite="strict",
    )


def clear_session_cookies(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="lax")
    response.delete_cookie(CSRF_COOKIE, path="/", secure=True, samesite="strict")


@router.post("/login")
async def login(body: LoginRequest, request: Request, ctx: IdentityDep) -> Response:
    """Open a session: 200 and the cookie, or 401 with one message whatever was wrong."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        # Login CSRF: another site must not log the browser into an account of its choosing.
        raise Forbidden("cross-site login refused")
    # Its own transaction: a failed attempt must be recorded although the answer is an error.
    async with request.app.state.db.transaction() as db:
        result = await service.login(
            db,
            ctx,
            tenant=body.tenant,
            email=body.email,
            password=body.password,
            now=service.utcnow(),
            client=client_of(request),
            device_cookie=device_cookie_of(request),
        )
    if result.retry_after is not None:
        return locked_out(result.retry_after)
    if result.mfa_token is not None:
        # No session yet: the second step (POST /api/auth/mfa) opens it.
        body_out: dict[str, Any] = {"mfa_required": True}
        if result.enrolment is not None:
            body_out["enrolment"] = result.enrolment
        response = json_response(body_out)
        response.set_cookie(
            MFA_COOKIE,
            result.mfa_token,
            max_age=ctx.settings.mfa_minutes * 60,
            path="/",
            secure=True,
            httponly=True,
            samesite="strict",
        )
        return response
    if result.session_token is None:
        raise Unauthenticated(service.LOGIN_FAILED)
    response = json_response({"status": "ok"})
    set_session_cookies(response, ctx, result.session_token)
    if result.device_cookie:
        set_device_cookie(response, ctx, result.device_cookie)
    return response


@router.post("/mfa")
async def second_step(body: MfaCode, request: Request, ctx: IdentityDep) -> Response:
    """The second step of a login: a code from the authenticator app (or a recovery code).
    200 and the session cookie; a staff member's first code also ends their enrolment and
    returns their recovery codes, shown once."""
    token = request.headers.get(MFA_HEADER, "")
    if not token:
        raise Unauthenticated("log in first")
    # Its own transaction: a wrong code must count although the answer is an error.
    async with request.app.state.db.transaction() as db:
        result = await service.second_step(
            db,
            ctx,
            mfa_token=token,
            code=body.code,
            now=service.utcnow(),
            device_cookie=device_cookie_of(request),
        )
    if result.retry_after is not None:
        return locked_out(result.retry_after)
    if result.session_token is None:
        raise Unauthenticated(service.INVALID_CODE)
    answer: dict[str, Any] = {"status": "ok"}
    if result.recovery_codes:
        answer["recovery_codes"] = result.recovery_codes
    response = json_response(answer)
    set_session_cookies(response, ctx, result.session_token)
    if result.device_cookie:
        set_device_cookie(response, ctx, result.device_cookie)
    response.delete_cookie(MFA_COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return response


@router.post(
    "/reauthenticate",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={403: {"model": ErrorBody}, 429: {"model": ErrorBody}},
)
async def reauthenticate(
    body: Reauthentication, principal: CurrentUser, db: SessionDep, ctx: IdentityDep
) -> Response:
    """The password again (and the second factor's code when the person uses one) before a
    sensitive action: the session counts as freshly signed in (``auth_time``). 403 for a wrong
    password or code (counted like a failed sign-in), 429 with ``Retry-After`` while locked."""
    result = await service.reauthenticate(
        db, ctx, principal=principal, password=body.password, code=body.code, now=service.utcnow()
    )
    if result.retry_after is not None:
        return locked_out(result.retry_after)
    if not result.confirmed:
        return json_response({"detail": "the password or code is wrong"}, 403)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/mfa/setup")
async def start_enrolment(principal: CurrentUser, db: SessionDep, ctx: IdentityDep) -> Enrolment:
    """A new secret for an authenticator app, shown this once (asking again makes another).
    A change of second factor needs a recent sign-in."""
    require_recent_sign_in(principal)
    user = await service.current_user(db, principal=principal)
    return Enrolment(**await service.start_enrolment(db, ctx, user=user))


@router.post("/mfa/setup/confirm")
async def confirm_enrolment(
    body: MfaCode, principal: CurrentUser, db: SessionDep, ctx: IdentityDep
) -> RecoveryCodes:
    """The first code from the new secret turns two-factor login on."""
    user = await service.current_user(db, principal=principal)
    codes = await service.confirm_enrolment(
        db, ctx, user=user, code=body.code, now=service.utcnow()
    )
    if not codes:
        raise Invalid(service.INVALID_CODE)
    return RecoveryCodes(recovery_codes=codes)


#: Staff cannot turn two-factor login off: only employees reach the route (and the service
#: refuses an employee who also holds a staff role).
Employee = Annotated[Principal, Depends(require_roles(Role.EMPLOYEE))]


@router.post("/mfa/disable", status_code=status.HTTP_204_NO_CONTENT)
async def disable_mfa(body: MfaCode, principal: Employee, db: SessionDep, ctx: IdentityDep) -> None:
    """Turn two-factor login off with a code (or a recovery code); 403 for a wrong code. A
    change of second factor needs a recent sign-in."""
    require_recent_sign_in(principal)
    await service.disable_mfa(db, ctx, principal=principal, code=body.code, now=service.utcnow())


@router.post("/password-reset", status_code=status.HTTP_202_ACCEPTED)
async def request_reset(body: ResetRequest, db: SessionDep, ctx: IdentityDep) -> dict[str, str]:
    """The same answer whether or not the account exists; its owner gets a link by email."""
    await service.request_reset(db, ctx, tenant=body.tenant, email=body.email, now=service.utcnow())
    return {"status": "if this account exists, a link is on its way"}


@router.post("/password-reset/confirm", status_code=status.HTTP_204_NO_CONTENT)
async def confirm_reset(
    body: ResetConfirm, request: Request, db: SessionDep, ctx: IdentityDep, response: Response
) -> None:
    """A reset or invitation link's token and the new password; every session ends. The
    account's failed sign-ins are forgotten and this browser gets a device cookie."""
    cookie = await service.confirm_reset(
        db,
        ctx,
        token=body.token,
        password=body.password,
        now=service.utcnow(),
        device_cookie=device_cookie_of(request),
    )
    set_device_cookie(response, ctx, cookie)


@router.get("/sessions", responses=PAGED_RESPONSES)
async def sessions(
    principal: CurrentUser,
    db: SessionDep,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[SessionPublic]:
    """The person's open sessions, the latest first: the device, the network, when it
    started. One page: ``X-Next-Cursor`` holds the next one's cursor."""
    page = await repository.live_sessions_page(
        db, user_id=principal.user_id, now=service.utcnow(), cursor=cursor, limit=limit
    )
    return page.map(
        lambda s: SessionPublic(
            id=s.id,
            device=s.device,
            network=s.network,
            started_at=s.created_at.replace(second=0, microsecond=0).isoformat(),
            expires_at=s.expires_at.replace(second=0, microsecond=0).isoformat(),
            current=s.id == principal.session_id,
        )
    ).send(response)


@router.delete("/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT)
async def end_session(session_id: str, principal: CurrentUser, db: SessionDep) -> None:
    await service.end_session(db, principal=principal, session_id=session_id, now=service.utcnow())


@router.post("/sessions/end-others")
async def end_other_sessions(principal: CurrentUser, db: SessionDep) -> dict[str, int]:
    return {
        "ended": await service.end_other_sessions(db, principal=principal, now=service.utcnow())
    }


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(principal: CurrentUser, db: SessionDep, response: Response) -> None:
    await service.logout(db, principal=principal, now=service.utcnow())
    clear_session_cookies(response)


@router.get("/me")
async def me(principal: CurrentUser, db: SessionDep) -> UserPublic:
    user = await service.current_user(db, principal=principal)
    return users.public(user, principal.tenant)


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_password(
    body: PasswordChange,
    principal: CurrentUser,
    db: SessionDep,
    ctx: IdentityDep,
    response: Response,
) -> None:
    """Change the password; every session of the account ends and this one gets a new cookie."""
    token = await service.change_password(
        db,
        ctx,
        principal=principal,
        current=body.current_password,
        new=body.new_password,
        now=service.utcnow(),
    )
    set_session_cookies(response, ctx, token)


@router.get("/tenants/{slug}")
async def tenant(slug: str, db: SessionDep) -> TenantPublic:
    """Public: the name shown on a tenant's login page."""
    found = await repository.tenant_by_slug(db, slug.lower())
    if found is None:
        raise NotFound("tenant not found")
    return TenantPublic(slug=found.slug, name=found.name)
