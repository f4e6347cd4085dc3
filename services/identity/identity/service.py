"""Identity rules: login, sessions and their verification for the gateway, users. No HTTP here."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from ipaddress import ip_network

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from identity import links, mfa, repository, tokens
from identity.config import Settings
from identity.devices import Devices, DeviceToken
from identity.keys import SigningKeys
from identity.models import (
    LoginEvent,
    LoginThrottle,
    MfaChallenge,
    RecoveryCode,
    Session,
    User,
    events,
    subject_data,
)
from identity.passwords import Passwords, policy_problems
from identity.schemas import UserCreate
from kit.auth import Principal, Role
from kit.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Unauthenticated,
)
from kit.mail import queue_mail
from kit.privacy.protocol import ACCOUNT_REMOVED, ACCOUNT_REMOVED_KEY
from kit.security import security_event

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
    totp: mfa.Totp = field(init=False)
    devices: Devices = field(init=False)

    def __post_init__(self) -> None:
        self.totp = mfa.Totp(self.settings)
        self.devices = Devices(self.settings)

    def _hmac(self, purpose: str, value: str) -> str:
        key = self.settings.secret_key.get_secret_value().encode()
        return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

    def csrf_token(self, session_token: str) -> str:
        """The CSRF token of a session: bound to it and signed, so it cannot be made up."""
        return self._hmac("csrf", session_token)

    def throttle_key(self, tenant: str, email: str) -> str:
        """The failure counter of an account (kept for unknown accounts too)."""
        return self._hmac("login", f"{tenant}\x00{email}")

    def device_key(self, device: DeviceToken) -> str:
        """The failure counter of one device token (``identity.devices``)."""
        return self._hmac("device", device.nonce)


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
    #: The device cookie to set when a sign-in completed (``identity.devices``).
    device_cookie: str | None = None


@dataclass(frozen=True)
class Client:
    """Where a login comes from, as kept: a device name and a network, never more."""

    device: str | None = None
    network: str | None = None

    @classmethod
    def of(cls, user_agent: str | None, address: str | None) -> "Client":
        return cls(device_name(user_agent), network_of(address))


def device_name(user_agent: str | None) -> str | None:
    """ "Firefox on Linux": the browser family and the system, not the User-Agent string."""
    if not user_agent:
        return None
    ua = user_agent.lower()
    browser = next(
        (
            name
            for key, name in (
                ("edg/", "Edge"),
                ("opr/", "Opera"),
                ("firefox/", "Firefox"),
                ("chrome/", "Chrome"),
                ("safari/", "Safari"),
                ("python-httpx", "a script (httpx)"),
                ("curl/", "curl"),
            )
            if key in ua
        ),
        "a browser",
    )
    system = next(
        (
            name
            for key, name in (
                ("android", "Android"),
                ("iphone", "iOS"),
                ("ipad", "iPadOS"),
                ("windows", "Windows"),
                ("mac os", "macOS"),
                ("linux", "Linux"),
            )
            if key in ua
        ),
        None,
    )
    return f"{browser} on {system}" if system else browser


def network_of(address: str | None) -> str | None:
    """The /24 (IPv4) or /48 (IPv6) network of an address: where, roughly, not who."""
    if not address:
        return None
    try:
        first = address.split(",")[0].strip()
        prefix = 24 if ":" not in first else 48
        return str(ip_network(f"{first}/{prefix}", strict=False))
    except ValueError:
        return None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_policy(password: str) -> None:
    if problems := policy_problems(password):
        raise Invalid("password too weak: " + "; ".join(problems))


async def login(
    db: AsyncSession,
    ctx: Identity,
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
    lock stops guessers, never the owner's browser (``identity.devices``). A locked counter
    answers ``retry_after`` before the password is looked at.

    With the right password, a person using two-factor login (every staff member) gets a
    pending second step instead of a session; a staff member not enrolled yet gets a new
    secret to enrol with, in the same step."""
    found = await repository.tenant_by_slug(db, tenant)
    user = found and await repository.user_by_email(db, tenant_id=found.id, email=email)
    usable = user if user and user.is_active else None
    device = ctx.devices.for_account(device_cookie, usable.id, now) if usable else None
    key, trusted, wait = await _judged_by(
        db,
        account_key=ctx.throttle_key(tenant, email),
        device_key=ctx.device_key(device) if device else None,
        now=now,
    )
    if wait is not None:
        ctx.passwords.verify(None, password)
        security_event(
            "signin.throttled", service="identity", account=usable.id if usable else None
        )
        return LoginResult(retry_after=wait)
    if not ctx.passwords.verify(usable.password_hash if usable else None, password) or not usable:
        await _record_failure(db, ctx, key, now)
        security_event("signin.failed", service="identity", account=usable.id if usable else None)
        return LoginResult()
    if usable.password_hash and ctx.passwords.needs_rehash(usable.password_hash):
        usable.password_hash = ctx.passwords.hash(password)
    client = client or Client()
    if usable.totp_secret or mfa.staff(usable.roles):
        # The failures are forgotten only once the second step is passed too: a guesser who
        # knows the password must not wipe the count of their wrong codes by signing in again.
        return await _second_step_due(
            db, ctx, user=usable, client=client, now=now, device_key=key if trusted else None
        )
    await repository.forget_failures(db, key=key)
    token = await complete_login(db, ctx, user=usable, client=client, now=now)
    return LoginResult(
        session_token=token,
        csrf_token=ctx.csrf_token(token),
        device_cookie=ctx.devices.after_sign_in(device_cookie, usable.id, now),
    )


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


async def complete_login(
    db: AsyncSession, ctx: Identity, *, user: User, client: Client, now: datetime
) -> str:
    """The session, the connection log's line, and the account counts as active again."""
    db.add(LoginEvent(user_id=user.id, tenant_id=user.tenant_id, at=now))
    user.last_login_at = now
    user.inactivity_warned_at = None
    return await open_session(db, ctx, user=user, now=now, client=client)


async def _second_step_due(
    db: AsyncSession,
    ctx: Identity,
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


INVALID_CODE = "invalid code"


async def second_step(
    db: AsyncSession,
    ctx: Identity,
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
        raise Unauthenticated("log in again: the second step expired or failed too often")
    user = await repository.user_by_id_any_tenant(db, challenge.user_id)
    tenant = user and await repository.tenant_by_id(db, user.tenant_id)
    if user is None or not user.is_active or not tenant:
        raise Unauthenticated("log in again: the second step expired or failed too often")
    key, _trusted, wait = await _judged_by(
        db,
        account_key=ctx.throttle_key(tenant.slug, user.email),
        device_key=challenge.device_key,
        now=now,
    )
    if wait is not None:
        security_event("signin.throttled", service="identity", account=user.id)
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
        await _record_failure(db, ctx, key, now)
        security_event("mfa.failed", service="identity", account=user.id)
        return LoginResult()
    client = Client(challenge.device, challenge.network)
    await db.delete(challenge)
    await repository.forget_failures(db, key=key)
    token = await complete_login(db, ctx, user=user, client=client, now=now)
    return LoginResult(
        session_token=token,
        csrf_token=ctx.csrf_token(token),
        recovery_codes=recovery,
        device_cookie=ctx.devices.after_sign_in(device_cookie, user.id, now),
    )


async def check_code(
    db: AsyncSession, ctx: Identity, *, user: User, code: str, now: datetime
) -> bool:
    """A TOTP code (each accepted once) or an unused recovery code (then spent)."""
    if user.totp_secret is None:
        return False
    if mfa.looks_like_recovery_code(code):
        # One conditional update: two requests spending the same code at once, one wins.
        return await repository.spend_recovery_code(
            db, user_id=user.id, code_hash=mfa.recovery_hash(code), now=now
        )
    step = ctx.totp.accept(
        ctx.totp.open(user.id, user.totp_secret), code, last_step=user.totp_last_step, now=now
    )
    if step is None:
        return False
    user.totp_last_step = step
    return True


async def start_enrolment(db: AsyncSession, ctx: Identity, *, user: User) -> dict[str, str]:
    """A new secret for the person's authenticator app, shown once (asking again makes
    another: a secret is never shown twice)."""
    secret = ctx.totp.new_secret()
    user.totp_pending = ctx.totp.seal(user.id, secret)
    await db.flush()
    return ctx.totp.enrolment(secret, user.email)


async def confirm_enrolment(
    db: AsyncSession, ctx: Identity, *, user: User, code: str, now: datetime
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
    codes = mfa.new_recovery_codes()
    db.add_all(RecoveryCode(user_id=user.id, code_hash=mfa.recovery_hash(c)) for c in codes)
    await db.flush()
    await tell_credentials_changed(db, user, "mfa_on")
    security_event("mfa.enabled", service="identity", account=user.id)
    return codes


async def disable_mfa(
    db: AsyncSession, ctx: Identity, *, principal: Principal, code: str, now: datetime
) -> None:
    """An employee turns two-factor login off with a valid code; staff cannot."""
    user = await current_user(db, principal=principal)
    if mfa.staff(user.roles):
        raise Forbidden("two-factor login is required for staff accounts")
    if not await check_code(db, ctx, user=user, code=code, now=now):
        raise Forbidden(INVALID_CODE)
    user.totp_secret = user.totp_pending = None
    user.totp_enabled_at = user.totp_last_step = None
    await repository.delete_recovery_codes(db, user_id=user.id)
    await tell_credentials_changed(db, user, "mfa_off")
    security_event("mfa.disabled", service="identity", account=user.id)


async def _record_failure(db: AsyncSession, ctx: Identity, key: str, now: datetime) -> None:
    settings = ctx.settings
    failures = await repository.count_login_failure(
        db, key=key, now=now, forget_before=now - timedelta(seconds=settings.login_forget_seconds)
    )
    extra = failures - settings.login_free_failures
    if extra >= 0:
        seconds = min(settings.login_lock_base_seconds * 2**extra, settings.login_max_lock_seconds)
        await repository.lock_login(db, key=key, until=now + timedelta(seconds=seconds))


async def open_session(
    db: AsyncSession, ctx: Identity, *, user: User, now: datetime, client: Client | None = None
) -> str:
    token = secrets.token_urlsafe(32)  # 256 bits
    client = client or Client()
    db.add(
        Session(
            user_id=user.id,
            tenant_id=user.tenant_id,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + timedelta(hours=ctx.settings.session_hours),
            authenticated_at=now,
            last_seen_at=now,
            device=client.device,
            network=client.network,
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
    audience: str = "",
) -> dict[str, str]:
    """The gateway's check of a request: returns the internal token for each service (its
    audience), or for ``audience`` alone when one is named. The gateway caches the answer
    for the session (2 s, reads) and forwards each service only its own token.

    Raises 401 for a missing, unknown, expired or revoked session, 403 for an unsafe request
    without the session's CSRF token or sent from another site.
    """
    found = (
        await repository.live_session(db, token_hash=hash_token(token), now=now) if token else None
    )
    if found is None:
        raise Unauthenticated("authentication required")
    session, user, tenant = found
    seen = session.last_seen_at or session.created_at
    if mfa.staff(user.roles) and now - seen > timedelta(minutes=ctx.settings.staff_idle_minutes):
        raise Unauthenticated("authentication required")  # the staff session ended idle
    if now - seen > SEEN_EVERY:
        session.last_seen_at = now
    if method.upper() not in SAFE_METHODS:
        if fetch_site == "cross-site" or (origin and origin not in ctx.settings.public_origins):
            raise Forbidden("cross-site request refused")
        expected = ctx.csrf_token(token).encode()
        if not csrf or not hmac.compare_digest(csrf.encode("utf-8", "replace"), expected):
            raise Forbidden("missing or invalid CSRF token")
    person = {
        "sub": user.id,
        "tid": tenant.id,
        "tenant": tenant.slug,
        "roles": list(user.roles),
        "sid": session.id,
        "auth_time": int((session.authenticated_at or session.created_at).timestamp()),
    }
    lifetime = timedelta(seconds=ctx.settings.internal_token_seconds)
    return {
        service: ctx.keys.sign(
            tokens.gateway_claims(ctx.settings, service, person), lifetime=lifetime
        )
        for service in ([audience] if audience else ctx.settings.audiences)
    }


@dataclass(frozen=True)
class Reauthenticated:
    confirmed: bool
    #: Seconds to wait while the account is locked by failures.
    retry_after: int | None = None


#: A session's last activity is written at most once a minute (not on every request).
SEEN_EVERY = timedelta(minutes=1)


async def reauthenticate(
    db: AsyncSession,
    ctx: Identity,
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
    tenant = await repository.tenant_by_id(db, user.tenant_id)
    assert tenant is not None
    key = ctx.throttle_key(tenant.slug, user.email)
    wait = _wait(await repository.throttle(db, key), now)
    if wait is not None:
        ctx.passwords.verify(None, password)
        security_event("signin.throttled", service="identity", account=user.id)
        return Reauthenticated(confirmed=False, retry_after=wait)
    good = ctx.passwords.verify(user.password_hash, password)
    if good and user.totp_secret:
        good = bool(code) and await check_code(db, ctx, user=user, code=code or "", now=now)
    if not good:
        await _record_failure(db, ctx, key, now)
        security_event("reauth.failed", service="identity", account=user.id)
        return Reauthenticated(confirmed=False)
    await repository.forget_failures(db, key=key)
    await repository.mark_authenticated(db, session_id=principal.session_id, now=now)
    return Reauthenticated(confirmed=True)


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
    sessions += await repository.delete_dead_links_and_challenges(db, before=before)
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


# -- password reset ------------------------------------------------------------------------------


async def request_reset(
    db: AsyncSession, ctx: Identity, *, tenant: str, email: str, now: datetime
) -> None:
    """Mail a reset link if the account exists and is active; the caller answers the same
    either way. One link a minute at most per account."""
    found = await repository.tenant_by_slug(db, tenant)
    user = found and await repository.user_by_email(db, tenant_id=found.id, email=email)
    if not user or not user.is_active:
        return
    if await repository.recent_link(
        db, user_id=user.id, purpose=links.RESET, since=now - timedelta(minutes=1)
    ):
        return
    await links.send(db, ctx.settings, user=user, purpose=links.RESET, now=now)


INVALID_LINK = "this link is invalid, already used or expired"


async def confirm_reset(
    db: AsyncSession,
    ctx: Identity,
    *,
    token: str,
    password: str,
    now: datetime,
    device_cookie: str | None = None,
) -> str:
    """Set the password from a reset or invitation link, once; every session of the account
    ends. A password that fails the policy is refused before the link is spent.

    The account's failed sign-ins are forgotten (whoever was guessing now guesses a new
    password), and the browser that opened the mailed link, which proved it holds the
    account's mailbox, is trusted like one that signed in: the device cookie to set is
    returned, so the owner gets in even while a guesser keeps the account locked."""
    check_policy(password)
    link = await links.redeem(db, token=token, now=now)
    user = link and await repository.user_by_id_any_tenant(db, link.user_id)
    tenant = user and await repository.tenant_by_id(db, user.tenant_id)
    if not link or not user or not user.is_active or not tenant:
        raise BadRequest(INVALID_LINK)
    user.password_hash = ctx.passwords.hash(password)
    user.password_changed_at = now
    await repository.revoke_sessions(db, user_id=user.id, now=now)
    await repository.forget_failures(db, key=ctx.throttle_key(tenant.slug, user.email))
    await events.add(db, "user.password_changed", tenant=user.tenant_id, subject=user.id)
    await tell_credentials_changed(db, user, "reset")
    security_event("password.reset", service="identity", account=user.id)
    return ctx.devices.after_sign_in(device_cookie, user.id, now)


# -- the person's sessions -------------------------------------------------------------------


async def end_session(
    db: AsyncSession, *, principal: Principal, session_id: str, now: datetime
) -> None:
    if not await repository.revoke_sessions(
        db, user_id=principal.user_id, session_id=session_id, now=now
    ):
        raise NotFound("session not found")


async def end_other_sessions(db: AsyncSession, *, principal: Principal, now: datetime) -> int:
    return await repository.revoke_other_sessions(
        db, user_id=principal.user_id, keep=principal.session_id, now=now
    )


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
    await tell_credentials_changed(db, user, "password")
    security_event("password.changed", service="identity", account=user.id)
    return await open_session(db, ctx, user=user, now=now)


CREDENTIAL_MAILS = {
    "password": (
        "Votre mot de passe a été changé / Your password was changed",
        "Le mot de passe de votre compte vient d'être changé.",
        "The password of your account was just changed.",
    ),
    "reset": (
        "Votre mot de passe a été réinitialisé / Your password was reset",
        "Le mot de passe de votre compte vient d'être réinitialisé par un lien reçu par mail.",
        "The password of your account was just reset through a link sent by mail.",
    ),
    "mfa_on": (
        "Double authentification activée / Two-factor login turned on",
        "La double authentification vient d'être activée sur votre compte.",
        "Two-factor login was just turned on for your account.",
    ),
    "mfa_off": (
        "Double authentification désactivée / Two-factor login turned off",
        "La double authentification vient d'être désactivée sur votre compte.",
        "Two-factor login was just turned off for your account.",
    ),
}


async def tell_credentials_changed(db: AsyncSession, user: User, what: str) -> None:
    """Mail the person when their credentials change (ASVS 6.3.7): if it was not them, they
    know at once, and the mail says what to do. No link in it: nothing to phish with."""
    subject, french, english = CREDENTIAL_MAILS[what]
    text = (
        f"Bonjour,\n\n{french} Si ce n'est pas vous, réinitialisez votre mot de passe et "
        f"prévenez votre administrateur.\n\nHello,\n\n{english} If it was not you, reset "
        "your password and tell your administrator.\n"
    )
    await queue_mail(db, events, to=user.email, tenant=user.tenant_id, subject=subject, text=text)


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
    if set(user.roles) - {Role.EMPLOYEE}:
        security_event(
            "roles.granted",
            service="identity",
            account=user.id,
            by=principal.user_id,
            roles=",".join(sorted(user.roles)),
        )
    await subject_data.record_personal_data(db, events, subject=user.id, tenant=user.tenant_id)
    return user


async def remove_user(
    db: AsyncSession, *, principal: Principal, user_id: str, now: datetime
) -> None:
    """An admin removes an account of their tenant: no more sign-in and every session ended at
    once, then the person's erasure, asked of the privacy service in the same transaction.

    Nothing is deleted here: the erasure request (filed in the admin's name) reaches every
    service that holds anything about the person (orders, grants and mandates, tickets,
    consents...), keeps what the law keeps in the restricted archive, reports what it did, and
    erases the account last. Asking twice files one request."""
    user = await repository.user_by_id(db, tenant_id=principal.tenant_id, user_id=user_id)
    if user is None:
        raise NotFound("user not found")
    if Role.PLATFORM_ADMIN in user.roles and Role.PLATFORM_ADMIN not in principal.roles:
        raise Forbidden("only a platform admin can remove a platform admin")
    user.is_active = False
    await repository.revoke_sessions(db, user_id=user.id, now=now)
    await events.add(
        db,
        ACCOUNT_REMOVED,
        tenant=user.tenant_id,
        subject=user.id,
        payload={"by": principal.user_id},
        routing_key=ACCOUNT_REMOVED_KEY,
    )
