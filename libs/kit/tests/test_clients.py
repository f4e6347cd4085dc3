"""Typed clients: one exchange per caller and audience, the peer's refusals as domain errors."""

import json

import httpx
import pytest

from kit.auth import Principal
from kit.clients import IdentityClient, Peers, SubsidiesClient
from kit.errors import Invalid, NotFound, Unavailable
from kit.settings import ServiceSettings
from kit.testing import BadgeVerifier

settings = ServiceSettings(service_name="orders")
seen: list[tuple[str, str, str | None]] = []


def peer(request: httpx.Request) -> httpx.Response:
    seen.append((request.method, request.url.path, request.headers.get("X-Internal-Token")))
    path = request.url.path
    if path == "/internal/token":
        return httpx.Response(200, json={"access_token": "exchanged", "expires_in": 60})
    if path == "/internal/users/contact":
        return httpx.Response(200, json={"email": "ann@demo.test"})
    if path == "/internal/users/lookup":
        return httpx.Response(404 if b"nobody" in request.content else 422, json={})
    if path == "/api/auth/tenants/demo":
        return httpx.Response(200, json={"slug": "demo", "name": "Demo"})
    if path == "/internal/grants":
        return httpx.Response(503, json={})
    return httpx.Response(404, json={})


@pytest.fixture
def peers() -> Peers:
    seen.clear()
    return Peers(settings, transport=httpx.MockTransport(peer))


async def test_a_call_for_the_caller_carries_a_token_exchanged_once(peers: Peers) -> None:
    identity = IdentityClient(peers, settings.identity_url, "caller-token")
    assert await identity.contact() == "ann@demo.test"
    assert await identity.contact() == "ann@demo.test"
    assert [s[1] for s in seen].count("/internal/token") == 1  # kept while it lives
    assert seen[-1] == ("GET", "/internal/users/contact", "exchanged")


def person(session: str, roles: frozenset[str] = frozenset({"employee"})) -> Principal:
    return Principal(user_id="u1", tenant_id="t1", tenant="demo", roles=roles, session_id=session)


async def test_an_exchange_is_kept_for_the_person_not_for_each_token_of_their_session() -> None:
    """The gateway signs a new token for a session every 30 s: the next one, verified as the
    same person, session and roles, finds the exchange still living; another session, other
    roles or a token that does not verify get an exchange of their own."""
    seen.clear()
    verifier = BadgeVerifier(
        {
            "first": person("s1"),
            "next": person("s1"),  # the same session's next token
            "other-session": person("s2"),
            "promoted": person("s1", frozenset({"employee", "cse_admin"})),
        }
    )
    carried: list[str | None] = []

    def identity(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/internal/token":  # each exchange names the token it came from
            subject = json.loads(request.content)["subject_token"]
            return httpx.Response(200, json={"access_token": f"for-{subject}", "expires_in": 60})
        carried.append(request.headers.get("X-Internal-Token"))
        return httpx.Response(200, json={"email": "ann@demo.test"})

    peers = Peers(settings, verifier=verifier, transport=httpx.MockTransport(identity))
    for token in ("first", "next", "first", "other-session", "promoted", "forged", "forged"):
        assert await IdentityClient(peers, settings.identity_url, token).contact()
    # first and next share one; other-session, promoted and forged (kept as the token) one each
    assert carried == [
        "for-first",
        "for-first",
        "for-first",
        "for-other-session",
        "for-promoted",
        "for-forged",
        "for-forged",
    ]


async def test_refusals_become_domain_errors(peers: Peers) -> None:
    identity = IdentityClient(peers, settings.identity_url, "caller-token")
    with pytest.raises(NotFound):
        await identity.account_id("nobody@demo.test")
    with pytest.raises(Invalid):
        await identity.account_id("not-an-email")
    with pytest.raises(Unavailable):
        await SubsidiesClient(peers, settings.subsidies_url, "caller-token").reserve("o1", [])


async def test_public_route_needs_no_caller_and_sends_no_token(peers: Peers) -> None:
    assert await IdentityClient(peers, settings.identity_url, None).tenant_slug("DEMO") == "demo"
    assert seen == [("GET", "/api/auth/tenants/demo", None)]
    with pytest.raises(NotFound):
        await IdentityClient(peers, settings.identity_url, None).tenant_slug("nope")


async def test_a_peer_that_cannot_be_reached_is_unavailable() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    peers = Peers(settings, transport=httpx.MockTransport(down))
    with pytest.raises(Unavailable):
        await IdentityClient(peers, settings.identity_url, "t").contact()
