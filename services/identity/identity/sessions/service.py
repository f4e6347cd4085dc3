"""Sessions: opened at sign-in, checked by the gateway on every request (which gets one
internal token per service), listed and ended by the person. No HTTP here."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from ipaddress import ip_network
from typing import NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession

from identity.accounts.models import User
from identity.context import Context
from identity.mfa.totp import staff
from identity.sessions import repository
from identity.sessions.models import Session
from identity.tokens.service import gateway_claims
from kit.auth import Principal
from kit.errors import Forbidden, NotFound, Unauthenticated
from kit.pagination import Page

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: A session's last activity is written at most once a minute (not on every request).
SEEN_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Client:
    """Where a login comes from, as kept: a device name and a network, never more."""

    device: str | None = None
    network: str | None = None

    @classmethod
    def of(cls, user_agent: str | None, address: str | None) -> "Client":
        return cls(device_name(user_agent), network_of(address))


BROWSERS = (
    ("edg/", "Edge"),
    ("opr/", "Opera"),
    ("firefox/", "Firefox"),
    ("chrome/", "Chrome"),
    ("safari/", "Safari"),
    ("python-httpx", "a script (httpx)"),
    ("curl/", "curl"),
)
SYSTEMS = (
    ("android", "Android"),
    ("iphone", "iOS"),
    ("ipad", "iPadOS"),
    ("windows", "Windows"),
    ("mac os", "macOS"),
    ("linux", "Linux"),
)


def device_name(user_agent: str | None) -> str | None:
    """ "Firefox on Linux": the browser family and the system, not the User-Agent string."""
    if not user_agent:
        return None
    ua = user_agent.lower()
    browser = next((name for key, name in BROWSERS if key in ua), "a browser")
    system = next((name for key, name in SYSTEMS if key in ua), None)
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
    """What is stored of a random token (a session's, a link's, a pending second step's)."""
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(
    db: AsyncSession, ctx: Context, *, user: User, now: datetime, client: Client | None = None
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


class SeenAt(NamedTuple):
    """A session's last activity, to write."""

    session_id: str
    at: datetime


async def verify_session(
    db: AsyncSession,
    ctx: Context,
    *,
    token: str,
    method: str,
    csrf: str | None,
    origin: str | None,
    fetch_site: str | None,
    now: datetime,
    audience: str = "",
) -> tuple[dict[str, str], SeenAt | None]:
    """The gateway's check of a request: returns the internal token for each service (its
    audience), or for ``audience`` alone when one is named, and the session's last activity
    to write (``mark_seen``) when the last one written is older than a minute. Only reads:
    ``db`` may be a reading session. The gateway caches the answer for the session (2 s,
    reads) and forwards each service only its own token.

    Raises 401 for a missing, unknown, expired or revoked session, 403 for an unsafe request
    without the session's CSRF token or sent from another site.
    """
    found = (
        await repository.live_session(db, token_hash=hash_token(token), now=now) if token else None
    )
    if found is None:
        raise Unauthenticated("authentication required")
    seen = found.last_seen_at or found.created_at
    if staff(found.roles) and now - seen > timedelta(minutes=ctx.settings.staff_idle_minutes):
        raise Unauthenticated("authentication required")  # the staff session ended idle
    due = SeenAt(found.id, now) if now - seen > SEEN_EVERY else None
    if method.upper() not in SAFE_METHODS:
        if fetch_site == "cross-site" or (origin and origin not in ctx.settings.public_origins):
            raise Forbidden("cross-site request refused")
        expected = ctx.csrf_token(token).encode()
        if not csrf or not hmac.compare_digest(csrf.encode("utf-8", "replace"), expected):
            raise Forbidden("missing or invalid CSRF token")
    person = {
        "sub": found.user_id,
        "tid": found.tenant_id,
        "tenant": found.tenant_slug,
        "roles": list(found.roles),
        "sid": found.id,
        "auth_time": int((found.authenticated_at or found.created_at).timestamp()),
    }
    lifetime = timedelta(seconds=ctx.settings.internal_token_seconds)
    reuse = min(timedelta(seconds=ctx.settings.internal_token_reuse_seconds), lifetime / 2)
    return {
        service: ctx.keys.sign_reused(
            gateway_claims(ctx.settings, service, person), lifetime=lifetime, reuse=reuse
        )
        for service in ([audience] if audience else ctx.settings.audiences)
    }, due


async def mark_seen(db: AsyncSession, seen: SeenAt) -> None:
    await repository.mark_seen(db, session_id=seen.session_id, now=seen.at)


async def sessions_page(
    db: AsyncSession, *, principal: Principal, now: datetime, cursor: str | None, limit: int
) -> Page[Session]:
    """The person's open sessions, the latest first, one page."""
    return await repository.live_sessions_page(
        db, user_id=principal.user_id, now=now, cursor=cursor, limit=limit
    )


async def logout(db: AsyncSession, *, principal: Principal, now: datetime) -> None:
    await repository.revoke_sessions(
        db, user_id=principal.user_id, session_id=principal.session_id, now=now
    )


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
