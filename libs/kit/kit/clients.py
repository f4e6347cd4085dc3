"""Typed clients for the calls one service makes to another, on the app's connection pool.

A route takes ``clients: ClientsDep`` and hands ``clients.identity`` or ``clients.subsidies`` to
the service function, whose parameter is typed ``IdentityClient`` or ``SubsidiesClient``: the
service layer never sees FastAPI, a URL or a token. A call made for the person of the request
carries a token exchanged at identity for the callee's audience, naming this service as the
actor (``identity.tokens``); the callee accepts it only from the callers it expects.

Each method answers the value the caller needs and turns the callee's refusals into kit's
domain errors: the peer down or failing is ``Unavailable`` (503), never a 500.
"""

import time
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar
from urllib.parse import urlencode

import httpx
from fastapi import Depends, Request
from opentelemetry.trace import SpanKind

from kit import tracing
from kit.auth import INTERNAL_TOKEN_HEADER, Principal, TokenVerifier
from kit.errors import DomainError, Forbidden, Invalid, NotFound, Unavailable
from kit.settings import ServiceSettings

#: What a caller says when a peer cannot answer: nothing of the peer's own answer leaks.
UNAVAILABLE = "a service the platform needs cannot answer right now"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"  # noqa: S105 (a grant type)


class Peers(httpx.AsyncClient):
    """The app's one pool for calls to the other services, with the exchanged tokens it keeps
    while they live (per caller token and audience).

    Every connection stays open for reuse (httpx keeps 20 of 100 by default, so a busy service
    would open and close most of them for each call), and there are few of them: httpcore checks
    each idle connection on every request. One pool per app: a client per call would load the CA
    bundle each time, tens of milliseconds.

    An exchanged token is kept for the caller as ``verifier`` (the app's) reads the caller's
    token: the same person, tenant, roles and session. The gateway hands out a new token for a
    session every 30 s (identity's ``internal_token_reuse_seconds``), so kept for the token
    itself, an exchange was made again for nearly every order under ``make load``
    (docs/performance.md). Nothing is granted that the exchange would not grant again: the
    exchanged token carries exactly those claims, lives at most as long as the token it was
    exchanged for, and the gateway still checks the session before each request."""

    def __init__(
        self, settings: ServiceSettings, *, verifier: TokenVerifier | None = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("timeout", 5)
        kwargs.setdefault("limits", httpx.Limits(max_connections=16, max_keepalive_connections=16))
        super().__init__(**kwargs)
        self.settings = settings
        self.verifier = verifier
        self._exchanged: dict[tuple[Principal | str, str], tuple[float, str]] = {}

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
    ) -> httpx.Response:
        """One call, in a client span whose ``traceparent`` goes with it (the callee continues
        the trace); the peer unreachable is ``Unavailable``. The span names the peer's host and
        the method, never the path or the body (they may name a person)."""
        host = httpx.URL(url).host
        with tracing.span(
            f"{method} {host}",
            kind=SpanKind.CLIENT,
            attributes={"http.request.method": method, "server.address": host},
        ) as span:
            try:
                response = await self.request(
                    method, url, json=json, headers=tracing.inject(dict(headers or {}))
                )
            except httpx.TransportError as exc:
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
    ) -> httpx.Response:
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
