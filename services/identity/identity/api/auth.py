"""Login, logout, the current user, password change: ``/api/auth/...``."""

from fastapi import APIRouter, Request, Response, status

from identity import repository, service
from identity.api import IdentityDep, users
from identity.schemas import LoginRequest, PasswordChange, TenantPublic, UserPublic
from kit.auth import CurrentUser
from kit.db import SessionDep
from kit.errors import Forbidden, NotFound, TooManyRequests, Unauthenticated

router = APIRouter(prefix="/api/auth", tags=["auth"])

SESSION_COOKIE = "__Host-session"
CSRF_COOKIE = "csrf_token"


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
        )
    if result.retry_after is not None:
        raise TooManyRequests("too many failed attempts; try again later")
    if result.session_token is None:
        raise Unauthenticated(service.LOGIN_FAILED)
    response = Response(content=b'{"status":"ok"}', media_type="application/json")
    set_session_cookies(response, ctx, result.session_token)
    return response


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
