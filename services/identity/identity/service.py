"""Identity rules: login, sessions and their verification for the gateway, users. No HTTP here."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from identity import repository
from identity.config import Settings
from identity.keys import SigningKeys
from identity.models import LoginEvent, Session, User, events, subject_data
from identity.passwords import Passwords, policy_problems
from identity.schemas import UserCreate
from kit.auth import Principal, Role
from kit.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated

LOGIN_FAILED = "invalid tenant, email or password"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Identity:
    """What the rules need beyond a database session; one per process."""

    settings: Settings
    passwords: Passwords
    keys: SigningKeys

    def _hmac(self, purpose: str, value: str) -> str:
        key = self.settings.secret_key.get_secret_value().encode()
        return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

    def csrf_token(self, session_token: str) -> str:
        """The CSRF token of a session: bound to it and signed, so it cannot be made up."""
        return self._hmac("csrf", session_token)

    def throttle_key(self, tenant: str, email: str) -> str:
        return self._hmac("login", f"{tenant}\x00{email}")


@dataclass(frozen=True)
class LoginResult:
    session_token: str | None = None
    csrf_token: str | None = None
    retry_after: int | None = None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_policy(password: str) -> None:
    if problems := policy_problems(password):
        raise Invalid("password too weak: " + "; ".join(problems))


async def login(
    db: AsyncSession, ctx: Identity, *, tenant: str, email: str, password: str, now: datetime
) -> LoginResult:
    """Check credentials; the result is empty on failure. Spends one hash's time in every case."""
    key = ctx.throttle_key(tenant, email)
    throttle = await repository.throttle(db, key)
    if throttle and throttle.locked_until and throttle.locked_until > now:
        ctx.passwords.verify(None, password)
        return LoginResult(retry_after=int((throttle.locked_until - now).total_seconds()) + 1)
    found = await repository.tenant_by_slug(db, tenant)
    user = found and await repository.user_by_email(db, tenant_id=found.id, email=email)
    usable = user if user and user.is_active else None
    if not ctx.passwords.verify(usable.password_hash if usable else None, password) or not usable:
        await _record_failure(db, ctx, key, now)
        return LoginResult()
    if throttle:
        await db.delete(throttle)
    if usable.password_hash and ctx.passwords.needs_rehash(usable.password_hash):
        usable.password_hash = ctx.passwords.hash(password)
    db.add(LoginEvent(user_id=usable.id, tenant_id=usable.tenant_id, at=now))
    token = await open_session(db, ctx, user=usable, now=now)
    return LoginResult(session_token=token, csrf_token=ctx.csrf_token(token))


async def _record_failure(db: AsyncSession, ctx: Identity, key: str, now: datetime) -> None:
    settings = ctx.settings
    failures = await repository.count_login_failure(
        db, key=key, now=now, forget_before=now - timedelta(seconds=settings.login_forget_seconds)
    )
    extra = failures - settings.login_free_failures
    if extra >= 0:
        seconds = min(settings.login_lock_base_seconds * 2**extra, settings.login_max_lock_seconds)
        await repository.lock_login(db, key=key, until=now + timedelta(seconds=seconds))


async def open_session(db: AsyncSession, ctx: Identity, *, user: User, now: datetime) -> str:
    token = secrets.token_urlsafe(32)  # 256 bits
    db.add(
        Session(
            user_id=user.id,
            tenant_id=user.tenant_id,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + timedelta(hours=ctx.settings.session_hours),
        )
    )
    await db.flush()
    return token


async def verify_session(
    db: AsyncSession,
    ctx: Identity,
    *,
    token: str,
    method: str,
    csrf: str | None,
    origin: str | None,
    fetch_site: str | None,
    now: datetime,
) -> str:
    """The gateway's check of a request: returns the internal token for the services.

    Raises 401 for a missing, unknown, expired or revoked session, 403 for an unsafe request
    without the session's CSRF token or sent from another site.
    """
    found = (
        await repository.live_session(db, token_hash=hash_token(token), now=now) if token else None
    )
    if found is None:
        raise Unauthenticated("authentication required")
    session, user, tenant = found
    if method.upper() not in SAFE_METHODS:
        if fetch_site == "cross-site" or (origin and origin not in ctx.settings.public_origins):
            raise Forbidden("cross-site request refused")
        expected = ctx.csrf_token(token).encode()
        if not csrf or not hmac.compare_digest(csrf.encode("utf-8", "replace"), expected):
            raise Forbidden("missing or invalid CSRF token")
    claims = {
        "iss": ctx.settings.jwt_issuer,
        "aud": ctx.settings.jwt_audience,
        "sub": user.id,
        "tid": tenant.id,
        "tenant": tenant.slug,
        "roles": list(user.roles),
        "sid": session.id,
    }
    return ctx.keys.sign(claims, lifetime=timedelta(seconds=ctx.settings.internal_token_seconds))


#: Dead sessions and old failed-login counters are kept this long, then deleted.
HOUSEKEEPING_GRACE = timedelta(days=1)


async def purge_expired(db: AsyncSession, *, now: datetime) -> tuple[int, int]:
    """Delete sessions that ended and login-failure counters nobody touched for a day.

    A session row says when someone was logged in: it is kept no longer than the session
    itself (plus a day, so that a revocation can still be explained). The login history that
    the retention rules keep for a year is a separate record (issue 6).
    """
    before = now - HOUSEKEEPING_GRACE
    sessions = await repository.delete_dead_sessions(db, before=before)
    throttles = await repository.delete_stale_throttles(db, before=before)
    return sessions, throttles


async def logout(db: AsyncSession, *, principal: Principal, now: datetime) -> None:
    await repository.revoke_sessions(
        db, user_id=principal.user_id, session_id=principal.session_id, now=now
    )


async def current_user(db: AsyncSession, *, principal: Principal) -> User:
    user = await repository.user_by_id(db, tenant_id=principal.tenant_id, user_id=principal.user_id)
    if user is None:
        raise Unauthenticated("authentication required")
    return user


async def change_password(
    db: AsyncSession,
    ctx: Identity,
    *,
    principal: Principal,
    current: str,
    new: str,
    now: datetime,
) -> str:
    """Change the password, end every session of the account, and open a new one."""
    user = await current_user(db, principal=principal)
    if not ctx.passwords.verify(user.password_hash, current):
        raise Forbidden("current password is wrong")
    check_policy(new)
    user.password_hash = ctx.passwords.hash(new)
    user.password_changed_at = now
    await repository.revoke_sessions(db, user_id=user.id, now=now)
    await events.add(db, "user.password_changed", tenant=user.tenant_id, subject=user.id)
    return await open_session(db, ctx, user=user, now=now)


ASSIGNABLE_BY_TENANT_ADMIN = frozenset(
    {Role.EMPLOYEE, Role.TENANT_ADMIN, Role.SUPPORT_AGENT, Role.DPO}
)


async def create_user(
    db: AsyncSession, ctx: Identity, *, principal: Principal, data: UserCreate, now: datetime
) -> User:
    roles = set(data.roles)
    if Role.PLATFORM_ADMIN not in principal.roles and not roles <= ASSIGNABLE_BY_TENANT_ADMIN:
        raise Forbidden("a tenant admin cannot give the platform admin role")
    if data.password is not None:
        check_policy(data.password)
    if await repository.user_by_email(db, tenant_id=principal.tenant_id, email=data.email):
        raise Conflict("a user with this email already exists in this tenant")
    user = User(
        tenant_id=principal.tenant_id,
        email=data.email,
        first_name=data.first_name,
        last_name=data.last_name,
        roles=sorted(roles),
        password_hash=ctx.passwords.hash(data.password) if data.password else None,
        is_active=True,
        created_at=now,
        password_changed_at=now if data.password else None,
    )
    db.add(user)
    try:
        await db.flush()
    except IntegrityError as exc:  # a concurrent creation of the same email
        raise Conflict("a user with this email already exists in this tenant") from exc
    await events.add(
        db, "user.created", tenant=user.tenant_id, subject=user.id, payload={"roles": user.roles}
    )
    await subject_data.record_personal_data(db, events, subject=user.id, tenant=user.tenant_id)
    return user


async def delete_user(
    db: AsyncSession, *, principal: Principal, user_id: str, now: datetime
) -> None:
    """Delete an account of the caller's tenant; its sessions die with it, at once."""
    user = await repository.user_by_id(db, tenant_id=principal.tenant_id, user_id=user_id)
    if user is None:
        raise NotFound("user not found")
    if Role.PLATFORM_ADMIN in user.roles and Role.PLATFORM_ADMIN not in principal.roles:
        raise Forbidden("only a platform admin can delete a platform admin")
    await repository.revoke_sessions(db, user_id=user.id, now=now)
    await db.delete(user)
    await events.add(db, "user.deleted", tenant=user.tenant_id, subject=user.id)
