"""Two-factor login's enrolment and turning it off: ``/api/auth/mfa/...`` (the second step of
a sign-in is ``identity.signin``'s)."""

from typing import Annotated

from fastapi import APIRouter, Depends, status

from identity.accounts.service import current_user
from identity.context import ContextDep
from identity.mfa import service
from identity.mfa.schemas import Enrolment, MfaCode, RecoveryCodes
from kit.auth import CurrentUser, Principal, Role, require_recent_sign_in, require_roles
from kit.db import SessionDep, utcnow
from kit.errors import Invalid

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/mfa/setup")
async def start_enrolment(principal: CurrentUser, db: SessionDep, ctx: ContextDep) -> Enrolment:
    """A new secret for an authenticator app, shown this once (asking again makes another).
    A change of second factor needs a recent sign-in."""
    require_recent_sign_in(principal)
    user = await current_user(db, principal=principal)
    return Enrolment(**await service.start_enrolment(db, ctx, user=user))


@router.post("/mfa/setup/confirm")
async def confirm_enrolment(
    body: MfaCode, principal: CurrentUser, db: SessionDep, ctx: ContextDep
) -> RecoveryCodes:
    """The first code from the new secret turns two-factor login on."""
    user = await current_user(db, principal=principal)
    codes = await service.confirm_enrolment(db, ctx, user=user, code=body.code, now=utcnow())
    if not codes:
        raise Invalid(service.INVALID_CODE)
    return RecoveryCodes(recovery_codes=codes)


#: Staff cannot turn two-factor login off: only employees reach the route (and the service
#: refuses an employee who also holds a staff role).
Employee = Annotated[Principal, Depends(require_roles(Role.EMPLOYEE))]


@router.post("/mfa/disable", status_code=status.HTTP_204_NO_CONTENT)
async def disable_mfa(body: MfaCode, principal: Employee, db: SessionDep, ctx: ContextDep) -> None:
    """Turn two-factor login off with a code (or a recovery code); 403 for a wrong code. A
    change of second factor needs a recent sign-in."""
    require_recent_sign_in(principal)
    await service.disable_mfa(db, ctx, principal=principal, code=body.code, now=utcnow())
