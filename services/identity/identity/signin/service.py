"""Sign-in: the password step, the second step, and re-authentication. Failures count per
account, or per device token (``identity.signin.devices``), and a counter past its free
failures waits longer each time. No HTTP here."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from identity.accounts import repository as accounts
from identity.accounts.models import User
from identity.accounts.service import current_user
from identity.base import SecurityEvent
from identity.context import Context
from identity.mfa.service import check_code, confirm_enrolment
from identity.mfa.totp import staff
from identity.sessions import repository as sessions
from identity.sessions.models import LoginEvent
from identity.sessions.service import Client, hash_token, open_session
from identity.signin import repository
from identity.signin.models import LoginThrottle, MfaChallenge
from identity.tenants import repository as tenants
from kit.auth import Principal
from kit.errors import Unauthenticated
from kit.security import security_event

LOGIN_FAILED = "invalid tenant, email or password"
SECOND_STEP_GONE = "log in again: the second step expired or failed too often"


@dataclass(frozen=True)
class LoginResult:
    session_token: str | None = None
    csrf_token: str | None = None
    retry_after: int | None = None
    #: The password was right and a second step is due: its pending token (``__Host-mfa``).
    mfa_token: str | None = None
    #: A staff member not enrolled yet: the new secret, shown this once, with its QR code.
    enrolment: dict[str, str] | None = None
    #: Recovery codes, shown once, when this login completed an enrolment.
    recovery_codes: list[str] | None = None
    #: The device cookie to set when a sign-in completed (``identity.signin.devices``).
    device_cookie: str | None = None


@dataclass(frozen=True)
class Reauthenticated:
    confirmed: bool
    #: Seconds to wait while the account is locked by failures.
    retry_after: int | None = None


def _signal(kind: SecurityEvent, user: User | None) -> None:
    security_event(kind, service="identity", account=user.id if user else None)


async def login(
    db: AsyncSession,
    ctx: Context,
    *,
    tenant: str,
    email: str,
    password: str,
    now: datetime,
    client: Client | None = None,
    device_cookie: str | None = None,
) -> LoginResult:
    """Check credentials; the result is empty on failure. Spends one hash's time in every case.

    An attempt is judged by the account's failure counter, or, when the browser's device
    cookie holds a valid token for this account, by that token's own counter: the account's
    lock stops guessers, never the owner's browser (``identity.signin.devices``). A locked
    counter answers ``retry_after`` before the password is looked at.

    With the right password, a person using two-factor login (every staff member) gets a
    pending second step instead of a session; a staff member not enrolled yet gets a new
    secret to enrol with, in the same step."""
    found = await tenants.tenant_by_slug(db, tenant)
    if found is not None and found.closed_at is not None:
        found = None  # a closed tenant: nobody of it signs in (the same answer as a wrong one)
    user = found and await accounts.user_by_email(db, tenant_id=found.id, email=email)
    usable = user if user and user.is_active else None
    device = ctx.devices.for_account(device_cookie, usable.id, now) if usable else None
    key, trusted, wait = await _judged_by(
        db,
        account_key=ctx.throttle_key(tenant, email),
        device_key=ctx.device_key(device) if device else None,
        now=now,
    )
    if wait is not None:
        await ctx.passwords.verified(None, password)
        _signal(SecurityEvent.SIGNIN_THROTTLED, usable)
        return LoginResult(retry_after=wait)
    if (
        not await ctx.passwords.verified(usable.password_hash if usable else None, password)
        or not usable
    ):
        await record_failure(db, ctx, key, now)
        _signal(SecurityEvent.SIGNIN_FAILED, usable)
        return LoginResult()
    if usable.password_hash and ctx.passwords.needs_rehash(usable.password_hash):
        usable.password_hash = await ctx.passwords.hashed(password)
    client = client or Client()
    if usable.totp_secret or staff(usable.roles):
        # The failures are forgotten only once the second step is passed too: a guesser who
        # knows the password must not wipe the count of their wrong codes by signing in again.
        return await _second_step_due(
            db, ctx, user=usable, client=client, now=now, device_key=key if trusted else None
        )
    await repository.forget_failures(db, key=key)
    return await _signed_in(db, ctx, user=usable, client=client, now=now, cookie=device_cookie)


def _wait(throttle: LoginThrottle | None, now: datetime) -> int | None:
    """Whole seconds until a locked counter may try again; None when it is not locked."""
    if throttle and throttle.locked_until and throttle.locked_until > now:
        return int((throttle.locked_until - now).total_seconds()) + 1
    return None


async def _judged_by(
    db: AsyncSession, *, account_key: str, device_key: str | None, now: datetime
) -> tuple[str, bool, int | None]:
    """The counter an attempt is judged by and its failures go to, whether it is a trusted
    device's, and how long it must wait. A device token counts while it is not locked itself:
    one that failed too often is distrusted, and the account's lock applies to it again."""
    if device_key is not None and _wait(await repository.throttle(db, device_key), now) is None:
        return device_key, True, None
    return account_key, False, _wait(await repository.throttle(db, account_key), now)


async def record_failure(db: AsyncSession, ctx: Context, key: str, now: datetime) -> None:
    """One more failure on the counter ``key``; past the free ones, it waits (doubling)."""
    settings = ctx.settings
    failures = await repository.count_login_failure(
        db, key=key, now=now, forget_before=now - timedelta(seconds=settings.login_forget_seconds)
    )
    extra = failures - settings.login_free_failures
    if extra >= 0:
        seconds = min(settings.login_lock_base_seconds * 2**extra, settings.login_max_lock_seconds)
        await repository.lock_login(db, key=key, until=now + timedelta(seconds=seconds))


async def complete_login(
    db: AsyncSession, ctx: Context, *, user: User, client: Client, now: datetime
) -> str:
    """The session, the connection log's line, and the account counts as active again."""
    db.add(LoginEvent(user_id=user.id, tenant_id=user.tenant_id, at=now))
    user.last_login_at = now
    user.inactivity_warned_at = None
    return await open_session(db, ctx, user=user, now=now, client=client)


async def _signed_in(
    db: AsyncSession,
    ctx: Context,
    *,
    user: User,
    client: Client,
    now: datetime,
    cookie: str | None,
    recovery: list[str] | None = None,
) -> LoginResult:
    """A completed sign-in: the session, its CSRF token, and the browser's device cookie."""
    token = await complete_login(db, ctx, user=user, client=client, now=now)
    return LoginResult(
        session_token=token,
        csrf_token=ctx.csrf_token(token),
        recovery_codes=recovery,
        device_cookie=ctx.devices.after_sign_in(cookie, user.id, now),
    )


async def _second_step_due(
    db: AsyncSession,
    ctx: Context,
    *,
    user: User,
    client: Client,
    now: datetime,
    device_key: str | None,
) -> LoginResult:
    token = secrets.token_urlsafe(32)
    db.add(
        MfaChallenge(
            user_id=user.id,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + timedelta(minutes=ctx.settings.mfa_minutes),
            attempts=0,
            device=client.device,
            network=client.network,
            device_key=device_key,
        )
    )
    enrolment = None
    if not user.totp_secret:  # staff not enrolled yet: a new secret, shown this once
        secret = ctx.totp.new_secret()
        user.totp_pending = ctx.totp.seal(user.id, secret)
        enrolment = ctx.totp.enrolment(secret, user.email)
    await db.flush()
    return LoginResult(mfa_token=token, enrolment=enrolment)


async def pending_second_step(
    db: AsyncSession, ctx: Context, *, user: User, client: Client, now: datetime
) -> str:
    """A second step due after another first step (the employer's directory): the pending
    token ``second_step`` takes with the person's code, as after the password."""
    result = await _second_step_due(db, ctx, user=user, client=client, now=now, device_key=None)
    assert result.mfa_token is not None
    return result.mfa_token


async def second_step(
    db: AsyncSession,
    ctx: Context,
    *,
    mfa_token: str,
    code: str,
    now: datetime,
    device_cookie: str | None = None,
) -> LoginResult:
    """The code of a pending login: a TOTP code, or a recovery code once. Wrong codes count
    against the account like wrong passwords (against the device token when the password step
    came with one), and a locked counter answers ``retry_after``; after ``mfa_attempts`` the
    pending login is gone and the password is asked again."""
    challenge = await repository.live_challenge(db, token_hash=hash_token(mfa_token), now=now)
    if challenge is None:
        raise Unauthenticated(SECOND_STEP_GONE)
    user = await accounts.user_by_id_any_tenant(db, challenge.user_id)
    tenant = user and await tenants.tenant_by_id(db, user.tenant_id)
    if user is None or not user.is_active or not tenant or tenant.closed_at is not None:
        raise Unauthenticated(SECOND_STEP_GONE)
    key, _trusted, wait = await _judged_by(
        db,
        account_key=ctx.throttle_key(tenant.slug, user.email),
        device_key=challenge.device_key,
        now=now,
    )
    if wait is not None:
        _signal(SecurityEvent.SIGNIN_THROTTLED, user)
        return LoginResult(retry_after=wait)
    recovery: list[str] | None = None
    if user.totp_secret:
        accepted = await check_code(db, ctx, user=user, code=code, now=now)
    else:  # completing a staff member's enrolment with the pending secret
        recovery = await confirm_enrolment(db, ctx, user=user, code=code, now=now) or None
        accepted = recovery is not None
    if not accepted:
        challenge.attempts += 1
        if challenge.attempts >= ctx.settings.mfa_attempts:
            await db.delete(challenge)
        await record_failure(db, ctx, key, now)
        _signal(SecurityEvent.MFA_FAILED, user)
        return LoginResult()
    client = Client(challenge.device, challenge.network)
    await db.delete(challenge)
    await repository.forget_failures(db, key=key)
    return await _signed_in(
        db, ctx, user=user, client=client, now=now, cookie=device_cookie, recovery=recovery
    )


async def reauthenticate(
    db: AsyncSession,
    ctx: Context,
    *,
    principal: Principal,
    password: str,
    code: str | None,
    now: datetime,
) -> Reauthenticated:
    """The person enters their password again (and their second factor when they use one)
    before a sensitive action: the session's ``authenticated_at`` moves to now. Failures count
    against the account like failed sign-ins (so they are answered, not raised: the count
    must commit), and a locked account waits (``retry_after``)."""
    user = await current_user(db, principal=principal)
    tenant = await tenants.tenant_by_id(db, user.tenant_id)
    assert tenant is not None
    key = ctx.throttle_key(tenant.slug, user.email)
    wait = _wait(await repository.throttle(db, key), now)
    if wait is not None:
        await ctx.passwords.verified(None, password)
        _signal(SecurityEvent.SIGNIN_THROTTLED, user)
        return Reauthenticated(confirmed=False, retry_after=wait)
    good = await ctx.passwords.verified(user.password_hash, password)
    if good and user.totp_secret:
        good = bool(code) and await check_code(db, ctx, user=user, code=code or "", now=now)
    if not good:
        await record_failure(db, ctx, key, now)
        _signal(SecurityEvent.REAUTH_FAILED, user)
        return Reauthenticated(confirmed=False)
    await repository.forget_failures(db, key=key)
    await sessions.mark_authenticated(db, session_id=principal.session_id, now=now)
    return Reauthenticated(confirmed=True)
