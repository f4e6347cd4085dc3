"""Verification of the identity the gateway passes on, as FastAPI dependencies.

Nginx asks the identity service about the session cookie and forwards a short-lived internal
token (a JWT signed with the identity service's private key) in ``X-Internal-Token``. Every
service verifies that token itself against the published JWKS: a request that did not come
through the gateway, or whose token is forged, expired or signed with an unknown key, is 401.
The algorithm is pinned per key; headers that point at other keys (jwk, jku, x5u, x5c) are
refused outright.

Each service is its own audience: a token the gateway got for orders is refused by subsidies.
A service that calls another on a person's behalf exchanges the token it received at identity
(``exchange_token``, in the spirit of RFC 8693) for one whose audience is the other service and
whose ``act`` claim names itself; such a token is accepted only by internal routes that name
that caller (``service_caller``), and a user's own token never is.
"""

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Protocol

import httpx
import jwt
from fastapi import Depends, Request

from kit.errors import Forbidden, Unauthenticated, Unavailable

INTERNAL_TOKEN_HEADER = "X-Internal-Token"  # noqa: S105 (a header name)
ALLOWED_ALGORITHMS = frozenset({"EdDSA", "ES256"})
_FOREIGN_KEY_HEADERS = ("jwk", "jku", "x5u", "x5c")


class Role(StrEnum):
    EMPLOYEE = "employee"
    TENANT_ADMIN = "tenant_admin"
    SUPPORT_AGENT = "support_agent"
    DPO = "dpo"
    PLATFORM_ADMIN = "platform_admin"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the verified identity, never anything a client wrote itself."""

    user_id: str
    tenant_id: str
    tenant: str
    roles: frozenset[str]
    session_id: str
    #: The service acting on the person's behalf (an exchanged token's ``act``), else None.
    actor: str | None = None
    #: When the person last entered their credentials (OpenID's ``auth_time``, epoch seconds).
    auth_time: int | None = None

    def has_any(self, roles: Iterable[str]) -> bool:
        return not self.roles.isdisjoint(roles)


class KeySource(Protocol):
    async def keys(self, *, refresh: bool = False) -> dict[str, jwt.PyJWK]: ...

    @property
    def ready(self) -> bool:
        """Whether keys are at hand (a service without them can verify no session)."""
        ...

    async def warm(self) -> None:
        """Get the keys before the first request needs them."""
        ...


def parse_jwks(document: dict[str, Any]) -> dict[str, jwt.PyJWK]:
    keys: dict[str, jwt.PyJWK] = {}
    for entry in document.get("keys", []):
        kid, alg = entry.get("kid"), entry.get("alg")
        if kid and alg in ALLOWED_ALGORITHMS and entry.get("use", "sig") == "sig":
            keys[kid] = jwt.PyJWK(entry, algorithm=alg)
    return keys


class StaticKeys:
    """Keys held in process (the identity service verifies its own tokens this way)."""

    def __init__(self, loader: Callable[[], dict[str, Any]]) -> None:
        self.loader = loader
        self._document: dict[str, Any] | None = None
        self._keys: dict[str, jwt.PyJWK] = {}

    async def keys(self, *, refresh: bool = False) -> dict[str, jwt.PyJWK]:
        document = self.loader()
        if document is not self._document:  # the loader hands out a new document on change
            self._document, self._keys = document, parse_jwks(document)
        return self._keys

    @property
    def ready(self) -> bool:
        return True

    async def warm(self) -> None:
        await self.keys()


class RemoteJwks:
    """The identity service's JWKS over HTTP, cached; refetched on an unknown ``kid``."""

    def __init__(self, url: str, *, ttl: float = 300.0, min_refresh_interval: float = 1.0) -> None:
        self.url = url
        self.ttl = ttl
        self.min_refresh_interval = min_refresh_interval
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def keys(self, *, refresh: bool = False) -> dict[str, jwt.PyJWK]:
        age = time.monotonic() - self._fetched_at
        stale = age > self.ttl or (refresh and age > self.min_refresh_interval)
        if stale or not self._keys:
            async with self._lock:
                age = time.monotonic() - self._fetched_at
                if age > self.min_refresh_interval or not self._keys:
                    await self._fetch()
        return self._keys

    @property
    def ready(self) -> bool:
        return bool(self._keys)

    async def warm(self, pause: float = 1.0) -> None:
        """Fetch the keys at start, again every ``pause`` seconds until identity answers: the
        first request then finds them, instead of fetching them itself within its own deadline
        (the compose test once met a slow identity there: two 503s)."""
        while not self._keys:
            with contextlib.suppress(Unavailable):
                await self.keys()
            if not self._keys:
                await asyncio.sleep(pause)

    async def _fetch(self) -> None:
        """Fetch the keys; when identity cannot be reached, keep the keys we have (a 503 only
        when we have none)."""
        try:
            async with httpx.AsyncClient(timeout=3) as client:
                response = await client.get(self.url)
                response.raise_for_status()
            self._keys = parse_jwks(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            if not self._keys:
                raise Unavailable("cannot verify the session right now; try again shortly") from exc
        finally:
            self._fetched_at = time.monotonic()


class TokenVerifier:
    """Verifies internal tokens; remembers the ones it verified until they expire.

    The gateway reuses one internal token per session for up to a second, so most requests
    are a dictionary lookup instead of a signature check. Only successes are remembered.
    """

    def __init__(
        self, source: KeySource, *, issuer: str, audience: str, cache_size: int = 10_000
    ) -> None:
        self.source = source
        self.issuer = issuer
        self.audience = audience
        self.cache_size = cache_size
        self._verified: dict[str, tuple[float, Principal]] = {}

    async def verify(self, token: str) -> Principal:
        cached = self._verified.get(token)
        if cached is not None and cached[0] > time.time():
            return cached[1]
        principal, expires = await self._verify(token)
        if len(self._verified) >= self.cache_size:
            now = time.time()
            self._verified = {t: v for t, v in self._verified.items() if v[0] > now}
            if len(self._verified) >= self.cache_size:
                self._verified.clear()
        self._verified[token] = (expires, principal)
        return principal

    async def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthenticated("invalid token") from exc
        kid = header.get("kid")
        if not isinstance(kid, str) or any(h in header for h in _FOREIGN_KEY_HEADERS):
            raise Unauthenticated("invalid token")
        key = await self._key(kid)
        if header.get("alg") != key.algorithm_name:
            raise Unauthenticated("invalid token")
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[key.algorithm_name],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "jti", "aud", "iss"]},
                leeway=5,
            )
            act = claims.get("act")
            principal = Principal(
                user_id=str(claims["sub"]),
                tenant_id=str(claims["tid"]),
                tenant=str(claims["tenant"]),
                roles=frozenset(str(r) for r in claims["roles"]),
                session_id=str(claims["sid"]),
                actor=str(act["sub"]) if act is not None else None,
                auth_time=int(claims["auth_time"]) if "auth_time" in claims else None,
            )
            return principal, float(claims["exp"])
        except (jwt.PyJWTError, KeyError, TypeError) as exc:
            raise Unauthenticated("invalid token") from exc

    async def _key(self, kid: str) -> jwt.PyJWK:
        keys = await self.source.keys()
        if kid not in keys:
            keys = await self.source.keys(refresh=True)  # a key rotated in since the last fetch
        if kid not in keys:
            raise Unauthenticated("invalid token")
        return keys[kid]


async def verified_token(request: Request) -> Principal:
    token = request.headers.get(INTERNAL_TOKEN_HEADER)
    if not token:
        raise Unauthenticated("authentication required")
    verifier: TokenVerifier = request.app.state.verifier
    return await verifier.verify(token)


async def current_principal(request: Request) -> Principal:
    """The person calling through the gateway; a token another service acts with is for the
    internal routes that expect that service, never for the person's own routes."""
    principal = await verified_token(request)
    if principal.actor is not None:
        raise Unauthenticated("authentication required")
    return principal


#: The answer to a sensitive action (an export, an erasure, a change of second factor) whose
#: session has not entered its credentials recently: the page asks for the password again.
REAUTHENTICATE = "recent sign-in required: confirm your password"
#: How recent a sign-in a sensitive action needs (OWASP ASVS 7.5: re-authentication).
RECENT_SIGN_IN_MINUTES = 10


def require_recent_sign_in(principal: Principal, *, minutes: int = RECENT_SIGN_IN_MINUTES) -> None:
    """Refuse (403, ``REAUTHENTICATE``) unless the person entered their credentials within
    ``minutes`` (``POST /api/auth/reauthenticate`` renews it without a new session)."""
    if principal.auth_time is None or time.time() - principal.auth_time > minutes * 60:
        raise Forbidden(REAUTHENTICATE)


def service_caller(
    *services: str, roles: Iterable[Role] = ()
) -> Callable[[Request], Awaitable[Principal]]:
    """An internal route's dependency: the call must come from one of ``services``, acting for
    a person (an exchanged token naming it) who holds one of ``roles`` when given; a person's
    own token, or another service's, is refused (403)."""
    allowed, needed = frozenset(services), frozenset(roles)

    async def dependency(request: Request) -> Principal:
        principal = await verified_token(request)
        if principal.actor not in allowed:
            raise Forbidden("not a call this service accepts")
        if needed and not principal.has_any(needed):
            raise Forbidden("not allowed for your role")
        return principal

    dependency.allowed_callers = allowed  # type: ignore[attr-defined]  # read by kit.openapi
    if needed:
        dependency.allowed_roles = needed  # type: ignore[attr-defined]
    return dependency


CurrentUser = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets through a user having any of ``roles``; others get 403."""
    allowed = frozenset(roles)

    async def dependency(principal: CurrentUser) -> Principal:
        if not principal.has_any(allowed):
            raise Forbidden("not allowed for your role")
        return principal

    dependency.allowed_roles = allowed  # type: ignore[attr-defined]  # read by kit.openapi
    return dependency


#: The routes' usual callers, by role (a service declares its own mixes where it needs one).
TenantAdmin = Annotated[Principal, Depends(require_roles(Role.TENANT_ADMIN))]
SupportAgent = Annotated[Principal, Depends(require_roles(Role.SUPPORT_AGENT))]
DpoUser = Annotated[Principal, Depends(require_roles(Role.DPO))]
