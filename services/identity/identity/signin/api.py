"""Sign-in: the password step, the second step, re-authentication (``/api/auth/...``), and
the device cookie of a browser that signed in."""

import json
from typing import Any

from fastapi import APIRouter, Request, Response, status

from identity.context import Context, ContextDep
from identity.mfa.schemas import MfaCode
from identity.mfa.service import INVALID_CODE
from identity.sessions.api import set_session_cookies
from identity.sessions.service import Client
from identity.signin import devices, service
from identity.signin.schemas import LoginRequest, Reauthentication
from kit.auth import CurrentUser
from kit.db import SessionDep, utcnow
from kit.errors import ErrorBody, Forbidden, Unauthenticated

router = APIRouter(prefix="/api/auth", tags=["auth"])

#: The pending second step of a login; the gateway hands it to ``/api/auth/mfa`` only, as the
#: ``X-Mfa-Token`` header (no service ever sees a cookie).
MFA_COOKIE = "__Host-mfa"
MFA_HEADER = "x-mfa-token"


def client_of(request: Request) -> Client:
    address = request.headers.get("x-forwarded-for") or (
        request.client.host if request.client else None
    )
    return Client.of(request.headers.get("user-agent"), address)


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


def set_device_cookie(response: Response, ctx: Context, value: str) -> None:
    response.set_cookie(
        devices.COOKIE,
        value,
        max_age=ctx.settings.device_days * 86400,
        path=devices.COOKIE_PATH,
        secure=True,
        httponly=True,
        samesite="strict",
    )


def signed_in(ctx: Context, result: service.LoginResult, answer: dict[str, Any]) -> Response:
    """The answer of a completed sign-in: the session's cookies and the device cookie."""
    assert result.session_token is not None
    response = json_response(answer)
    set_session_cookies(response, ctx, result.session_token)
    if result.device_cookie:
        set_device_cookie(response, ctx, result.device_cookie)
    return response


@router.post("/login")
async def login(body: LoginRequest, request: Request, ctx: ContextDep) -> Response:
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
            now=utcnow(),
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
    return signed_in(ctx, result, {"status": "ok"})


@router.post("/mfa")
async def second_step(body: MfaCode, request: Request, ctx: ContextDep) -> Response:
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
            now=utcnow(),
            device_cookie=device_cookie_of(request),
        )
    if result.retry_after is not None:
        return locked_out(result.retry_after)
    if result.session_token is None:
        raise Unauthenticated(INVALID_CODE)
    answer: dict[str, Any] = {"status": "ok"}
    if result.recovery_codes:
        answer["recovery_codes"] = result.recovery_codes
    response = signed_in(ctx, result, answer)
    response.delete_cookie(MFA_COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return response


@router.post(
    "/reauthenticate",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={403: {"model": ErrorBody}, 429: {"model": ErrorBody}},
)
async def reauthenticate(
    body: Reauthentication, principal: CurrentUser, db: SessionDep, ctx: ContextDep
) -> Response:
    """The password again (and the second factor's code when the person uses one) before a
    sensitive action: the session counts as freshly signed in (``auth_time``). 403 for a wrong
    password or code (counted like a failed sign-in), 429 with ``Retry-After`` while locked."""
    result = await service.reauthenticate(
        db, ctx, principal=principal, password=body.password, code=body.code, now=utcnow()
    )
    if result.retry_after is not None:
        return locked_out(result.retry_after)
    if not result.confirmed:
        return json_response({"detail": "the password or code is wrong"}, 403)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
