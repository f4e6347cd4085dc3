"""Typed clients for the calls one service makes to another, on the app's connection pool.

A route takes ``clients: ClientsDep`` and hands ``clients.identity`` or ``clients.subsidies`` to
the service function, whose parameter is typed ``IdentityClient`` or ``SubsidiesClient``: the
service layer never sees FastAPI, a URL or a token. A call made for the person of the request
carries a token exchanged at identity for the callee's audience, naming this service as the
actor (``identity.tokens``); the callee accepts it only from the callers it expects.

Each method answers the value the caller needs and turns the callee's refusals into kit's
domain errors: the peer down or failing is ``Unavailable`` (503), never a 500.
"""

import json as jsonlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar
from urllib.parse import urlencode, urlsplit

import aiohttp
from fastapi import Depends, Request
from opentelemetry.trace import SpanKind

from kit import tracing
from kit.auth import INTERNAL_TOKEN_HEADER, Principal, TokenVerifier
from kit.errors import DomainError, Forbidden, Invalid, NotFound, Unavailable
from kit.settings import ServiceSettings

#: What a caller says when a peer cannot answer: nothing of the peer's own answer leaks.
UNAVAILABLE = "a service the platform needs cannot answer right now"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"  # noqa: S105 (a grant type)


@dataclass(frozen=True)
class PeerRequest:
    """One call to a peer, as a transport sends it."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None

    @property
    def path(self) -> str:
        return urlsplit(self.url).path


@dataclass(frozen=True)
class Answer:
    """A peer's answer, read whole."""

    status_code: int
    content: bytes = b""

    @classmethod
    def of(cls, status_code: int, body: Any) -> "Answer":
        """An answer with ``body`` as JSON (a transport standing in for a peer in tests)."""
        return cls(status_code, jsonlib.dumps(body).encode())

    def json(self) -> Any:
        """The body as JSON; a body that is not is the peer failing (``Unavailable``)."""
        try:
            return jsonlib.loads(self.content)
        except ValueError:
            raise Unavailable(UNAVAILABLE) from None


#: What sends a call and reads its answer: ``HttpTransport`` unless one is given (a test's
#: stand-in for the peer). Raises ``PeerUnreachable`` when the peer cannot be reached.
Transport = Callable[[PeerRequest], Awaitable[Answer]]


class PeerUnreachable(Exception):
    """The peer could not be reached, or did not answer in time."""


class HttpTransport:
    """Calls over one aiohttp pool, opened on the first call (in the app's event loop).

    aiohttp rather than httpx: a call costs the caller about 210 µs of CPU against 800 µs
    through httpx (the same call to a local app, one after another), and the calls are most of
    what orders does beyond its statements when it places an order (docs/performance.md). The
    connections stay open for reuse (the services keep theirs 75 s, the pool 15 s), no cookie
    is kept between calls made for different people, and no redirect is followed. ``timeout``
    bounds each step as httpx's did: a free connection (or a new one), and each read of the
    answer; a peer that keeps sending is not cut off in the middle."""

    def __init__(self, *, timeout: float = 5.0, connections: int = 16) -> None:
        self.timeout = timeout
        self.connections = connections
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    def _open(self) -> aiohttp.ClientSession:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.connections, keepalive_timeout=15),
            timeout=aiohttp.ClientTimeout(total=None, connect=self.timeout, sock_read=self.timeout),
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        return self._session

    async def __call__(self, request: PeerRequest) -> Answer:
        if self._closed:  # the app is stopping: no new pool that nothing would close
            raise PeerUnreachable("closed")
        session = self._session if self._session is not None else self._open()
        try:
            async with session.request(
                request.method,
                request.url,
                data=request.content,
                headers=request.headers,
                allow_redirects=False,
            ) as response:
                return Answer(response.status, await response.read())
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise PeerUnreachable(type(exc).__name__) from exc

    async def aclose(self) -> None:
        self._closed = True
        if self._session is not None:
            await self._session.close()
            self._session = None


class Peers:
    """The app's one pool for calls to the other services, with the exchanged tokens it keeps
    while they live (per caller and audience).

    An exchanged token is kept for the caller as ``verifier`` (the app's) reads the caller's
    token: the same person, tenant, roles and session. The gateway hands out a new token for a
    session every 30 s (identity's ``internal_token_reuse_seconds``), so kept for the token
    itself, an exchange was made again for nearly every order under ``make load``
    (docs/performance.md). Nothing is granted that the exchange would not grant again: the
    exchanged token carries exactly those claims, lives at most as long as the token it was
    exchanged for, and the gateway still checks the session before each request."""

    def __init__(
        self,
        settings: ServiceSettings,
        *,
        verifier: TokenVerifier | None = None,
        transport: Transport | None = None,
    ) -> None:
        self.settings = settings
        self.verifier = verifier
        self._http: HttpTransport | None = None
        if transport is None:
            transport = self._http = HttpTransport()
        self.transport = transport
        self._exchanged: dict[tuple[Principal | str, str], tuple[float, str]] = {}

    async def __aenter__(self) -> "Peers":
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    @property
    def token_url(self) -> str:
        """Identity's token exchange, next to its JWKS."""
        return self.settings.jwks_url.rsplit("/.well-known/", 1)[0] + "/internal/token"

    async def _caller(self, caller_token: str) -> Principal | str:
        """Who an exchange is kept for: the caller as the token verifies here, or the token
        itself when it does not (identity then answers for it, and refuses it)."""
        if self.verifier is not None:
            try:
                return await self.verifier.verify(caller_token)
            except DomainError:
                pass
        return caller_token

    async def exchanged_token(self, caller_token: str, audience: str) -> str:
        """The caller's token traded at identity for one addressed to ``audience``."""
        caller = await self._caller(caller_token)
        found = self._exchanged.get((caller, audience))
        if found is not None and found[0] > time.monotonic():
            return found[1]
        body = {
            "grant_type": TOKEN_EXCHANGE,
            "subject_token": caller_token,
            "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
            "audience": audience,
        }
        response = await self.send_checked("POST", self.token_url, json=body)
        if response.status_code != 200:
            raise Unavailable(UNAVAILABLE)
        answer = response.json()
        if len(self._exchanged) > 10_000:
            self._exchanged.clear()
        token = str(answer["access_token"])
        self._exchanged[(caller, audience)] = (
            time.monotonic() + int(answer["expires_in"]) - 5,
            token,
        )
        return token

    async def send_checked(
        self, method: str, url: str, *, json: Any = None, headers: dict[str, str] | None = None
    ) -> Answer:
        """One call, in a client span whose ``traceparent`` goes with it (the callee continues
        the trace); the peer unreachable is ``Unavailable``. The span names the peer's host and
        the method, never the path or the body (they may name a person)."""
        host = urlsplit(url).hostname or ""
        with tracing.span(
            f"{method} {host}",
            kind=SpanKind.CLIENT,
            attributes={"http.request.method": method, "server.address": host},
        ) as span:
            sent = tracing.inject(dict(headers or {}))
            content = None
            if json is not None:
                content = jsonlib.dumps(json).encode()
                sent["Content-Type"] = "application/json"
            try:
                response = await self.transport(PeerRequest(method, url, sent, content))
            except PeerUnreachable as exc:
                raise Unavailable(UNAVAILABLE) from exc
            span.set_attribute("http.response.status_code", response.status_code)
            return response


class PeerClient:
    """One peer service, called for the person whose token came with the request (or for no
    one, on the peer's public routes)."""

    audience: ClassVar[str]

    def __init__(self, peers: Peers, base_url: str, caller_token: str | None) -> None:
        self.peers = peers
        self.base_url = base_url.rstrip("/")
        self.caller_token = caller_token

    async def call(
        self, method: str, path: str, *, json: Any = None, on_behalf: bool = True
    ) -> Answer:
        headers: dict[str, str] = {}
        if on_behalf:
            if self.caller_token is None:
                raise Unavailable(UNAVAILABLE)  # a route without a caller cannot act for one
            token = await self.peers.exchanged_token(self.caller_token, self.audience)
            headers[INTERNAL_TOKEN_HEADER] = token
        return await self.peers.send_checked(
            method, f"{self.base_url}{path}", json=json, headers=headers
        )


class IdentityClient(PeerClient):
    audience = "identity"

    async def contact(self) -> str:
        """The caller's own email address (identity answers it to orders alone)."""
        response = await self.call("GET", "/internal/users/contact")
        if response.status_code != 200:
            raise Unavailable("the identity service cannot answer right now")
        return str(response.json()["email"])

    async def account_id(self, email: str) -> str:
        """The id of the account with ``email`` in the caller's tenant (a DPO's lookup)."""
        response = await self.call("POST", "/internal/users/lookup", json={"email": email})
        if response.status_code == 404:
            raise NotFound("no account with this email in your tenant")
        if response.status_code == 422:
            raise Invalid("not a valid email address")
        if response.status_code != 200:
            raise Unavailable("the identity service cannot answer right now")
        return str(response.json()["id"])

    async def employees(self) -> list[str]:
        """The ids of the caller's tenant's active employees (a tenant admin's gift campaign),
        every page of them."""
        ids: list[str] = []
        after: str | None = None
        while True:
            query = f"?{urlencode({'after': after})}" if after else ""
            response = await self.call("GET", f"/internal/users/employees{query}")
            if response.status_code == 403:
                raise Forbidden("not allowed for your role")
            if response.status_code != 200:
                raise Unavailable("the identity service cannot answer right now")
            page = response.json()
            ids.extend(str(i) for i in page["ids"])
            following = page["next"]
            if not following:
                return ids
            if after is not None and str(following) <= after:  # pages go forward, by id
                raise Unavailable("the identity service cannot answer right now")
            after = str(following)

    async def tenant_slug(self, slug: str) -> str:
        """The company's slug as identity knows it (its public route); 404 when unknown."""
        cannot_check = Unavailable("the platform cannot check the company right now")
        try:
            response = await self.call("GET", f"/api/auth/tenants/{slug.lower()}", on_behalf=False)
        except Unavailable:
            raise cannot_check from None
        if response.status_code == 404:
            raise NotFound("no company of that name on the platform")
        if response.status_code != 200:
            raise cannot_check
        return str(response.json()["slug"])


class SubsidiesClient(PeerClient):
    audience = "subsidies"

    async def reserve(self, order_id: str, lines: list[dict[str, Any]]) -> int:
        """Reserve what the buyer is entitled to for an order being placed (held until
        ``order.placed`` confirms it, released if the order is cancelled): the subsidy in
        cents."""
        body = {
            "order_id": order_id,
            "lines": [
                {
                    "kind": line["kind"],
                    "quantity": line["quantity"],
                    "unit_price_cents": line["unit_price_cents"],
                }
                for line in lines
            ],
        }
        response = await self.call("POST", "/internal/grants", json=body)
        if response.status_code != 200:
            raise Unavailable("the subsidies service cannot answer right now; try again")
        return int(response.json()["subsidy_cents"])


@dataclass(frozen=True)
class Clients:
    """The peers a route may hand to its service, bound to the request's caller."""

    identity: IdentityClient
    subsidies: SubsidiesClient


async def clients(request: Request) -> Clients:
    peers: Peers = request.app.state.peers
    settings: ServiceSettings = request.app.state.settings
    token = request.headers.get(INTERNAL_TOKEN_HEADER)
    return Clients(
        identity=IdentityClient(peers, settings.identity_url, token),
        subsidies=SubsidiesClient(peers, settings.subsidies_url, token),
    )


ClientsDep = Annotated[Clients, Depends(clients)]
