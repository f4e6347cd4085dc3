"""Password change and reset: ``/api/auth/password...``."""

from fastapi import APIRouter, Request, Response, status

from identity.context import ContextDep
from identity.passwords import service
from identity.passwords.schemas import PasswordChange, ResetConfirm, ResetRequest
from identity.sessions.api import set_session_cookies
from identity.signin.api import device_cookie_of, set_device_cookie
from kit.auth import CurrentUser
from kit.db import SessionDep, utcnow

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/password-reset", status_code=status.HTTP_202_ACCEPTED)
async def request_reset(body: ResetRequest, db: SessionDep, ctx: ContextDep) -> dict[str, str]:
    """The same answer whether or not the account exists; its owner gets a link by email."""
    await service.request_reset(db, ctx, tenant=body.tenant, email=body.email, now=utcnow())
    return {"status": "if this account exists, a link is on its way"}


@router.post("/password-reset/confirm", status_code=status.HTTP_204_NO_CONTENT)
async def confirm_reset(
    body: ResetConfirm, request: Request, db: SessionDep, ctx: ContextDep, response: Response
) -> None:
    """A reset or invitation link's token and the new password; every session ends. The
    account's failed sign-ins are forgotten and this browser gets a device cookie."""
    cookie = await service.confirm_reset(
        db,
        ctx,
        token=body.token,
        password=body.password,
        now=utcnow(),
        device_cookie=device_cookie_of(request),
    )
    set_device_cookie(response, ctx, cookie)


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_password(
    body: PasswordChange,
    principal: CurrentUser,
    db: SessionDep,
    ctx: ContextDep,
    response: Response,
) -> None:
    """Change the password; every session of the account ends and this one gets a new cookie."""
    token = await service.change_password(
        db,
        ctx,
        principal=principal,
        current=body.current_password,
        new=body.new_password,
        now=utcnow(),
    )
    set_session_cookies(response, ctx, token)
