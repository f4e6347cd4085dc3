"""Two-factor login: a code checked (each accepted once), enrolment, and turning it off. No
HTTP here; the TOTP secret's cipher and the recovery codes are in ``identity.mfa.totp``."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from identity.accounts.models import User
from identity.accounts.service import CredentialChange, current_user, tell_credentials_changed
from identity.base import SecurityEvent
from identity.context import Context
from identity.mfa import repository
from identity.mfa.models import RecoveryCode
from identity.mfa.totp import (
    looks_like_recovery_code,
    new_recovery_codes,
    recovery_hash,
    staff,
)
from kit.auth import Principal
from kit.errors import Forbidden
from kit.security import security_event

INVALID_CODE = "invalid code"


async def check_code(
    db: AsyncSession, ctx: Context, *, user: User, code: str, now: datetime
) -> bool:
    """A TOTP code (each accepted once) or an unused recovery code (then spent)."""
    if user.totp_secret is None:
        return False
    if looks_like_recovery_code(code):
        # One conditional update: two requests spending the same code at once, one wins.
        return await repository.spend_recovery_code(
            db, user_id=user.id, code_hash=recovery_hash(code), now=now
        )
    step = ctx.totp.accept(
        ctx.totp.open(user.id, user.totp_secret), code, last_step=user.totp_last_step, now=now
    )
    if step is None:
        return False
    user.totp_last_step = step
    return True


async def start_enrolment(db: AsyncSession, ctx: Context, *, user: User) -> dict[str, str]:
    """A new secret for the person's authenticator app, shown once (asking again makes
    another: a secret is never shown twice)."""
    secret = ctx.totp.new_secret()
    user.totp_pending = ctx.totp.seal(user.id, secret)
    await db.flush()
    return ctx.totp.enrolment(secret, user.email)


async def confirm_enrolment(
    db: AsyncSession, ctx: Context, *, user: User, code: str, now: datetime
) -> list[str]:
    """A first right code from the pending secret turns two-factor login on; the recovery
    codes come back, to be shown this once. Empty when the code is wrong."""
    if user.totp_pending is None:
        return []
    secret = ctx.totp.open(user.id, user.totp_pending)
    step = ctx.totp.accept(secret, code, last_step=None, now=now)
    if step is None:
        return []
    user.totp_secret, user.totp_pending = user.totp_pending, None
    user.totp_enabled_at, user.totp_last_step = now, step
    await repository.delete_recovery_codes(db, user_id=user.id)
    codes = new_recovery_codes()
    db.add_all(RecoveryCode(user_id=user.id, code_hash=recovery_hash(c)) for c in codes)
    await db.flush()
    await tell_credentials_changed(db, user, CredentialChange.MFA_ON)
    security_event(SecurityEvent.MFA_ENABLED, service="identity", account=user.id)
    return codes


async def disable_mfa(
    db: AsyncSession, ctx: Context, *, principal: Principal, code: str, now: datetime
) -> None:
    """An employee turns two-factor login off with a valid code; staff cannot."""
    user = await current_user(db, principal=principal)
    if staff(user.roles):
        raise Forbidden("two-factor login is required for staff accounts")
    if not await check_code(db, ctx, user=user, code=code, now=now):
        raise Forbidden(INVALID_CODE)
    user.totp_secret = user.totp_pending = None
    user.totp_enabled_at = user.totp_last_step = None
    await repository.delete_recovery_codes(db, user_id=user.id)
    await tell_credentials_changed(db, user, CredentialChange.MFA_OFF)
    security_event(SecurityEvent.MFA_DISABLED, service="identity", account=user.id)
